import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  CanaryDetailsResponse,
  CanaryListResponse,
  CanaryMetricsResponse,
  CanaryRef,
  HistoryResponse,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { withoutManagedFields } from '../clusters/projections';
import { DecisionStore } from '../database/DecisionStore';
import { RolloutHistory } from '../database/RolloutHistory';
import { summarizeWithDecisions } from './decisionState';
import { EntityCanaries } from './EntityCanaries';
import { CanaryStore, CanarySummarizer } from '../types';

/** What people read: an entity's canaries, one canary in detail, its metric series, the history. */
export class ReleaseQueries {
  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      rollouts: RolloutHistory;
      entities: EntityCanaries;
    },
  ) {}

  async list(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<CanaryListResponse> {
    const { store, summarizer, decisions, entities } = this.options;
    const { selector } = await entities.selectorFor(entityRef, credentials);
    return {
      items: await summarizeWithDecisions(
        summarizer,
        decisions,
        store.findCanaries(selector),
      ),
      clusters: store.getClusterStatuses(),
      selector,
    };
  }

  async details(
    ref: CanaryRef,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<CanaryDetailsResponse> {
    const { summarizer, decisions, entities } = this.options;
    const watched = await entities.canaryOf(ref, entityRef, credentials);
    const [summary] = await summarizeWithDecisions(summarizer, decisions, [
      watched,
    ]);
    return {
      summary,
      manifest: withoutManagedFields(watched.object),
      history: await this.options.rollouts.history([ref]),
    };
  }

  async metrics(
    ref: CanaryRef,
    entityRef: string,
    minutes: number,
    credentials: BackstageCredentials,
  ): Promise<CanaryMetricsResponse> {
    const watched = await this.options.entities.canaryOf(
      ref,
      entityRef,
      credentials,
    );
    return {
      series: await this.options.summarizer.metricSeries(watched, minutes),
    };
  }

  async history(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<HistoryResponse> {
    const { selector } = await this.options.entities.selectorFor(
      entityRef,
      credentials,
    );
    const refs = this.options.store
      .findCanaries(selector)
      .map(watched => watched.ref);
    return { items: await this.options.rollouts.history(refs) };
  }
}
