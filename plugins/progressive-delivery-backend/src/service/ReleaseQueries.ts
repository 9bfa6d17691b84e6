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
import { EntityCanaries, EntitySelection } from './EntityCanaries';
import { RecentSummaries } from './RecentSummaries';
import { SteeringPolicy } from './SteeringPolicy';
import { CanaryStore, CanarySummarizer } from '../types';

type Obj = Record<string, any>;

export const LAST_APPLIED_ANNOTATION =
  'kubectl.kubernetes.io/last-applied-configuration';
const REDACTED = '<redacted>';

/**
 * The Canary as readers see it: without managedFields, webhook `metadata` values (they carry
 * the webhook secret and whatever else a gate is told) and kubectl's copy of the applied
 * manifest (which carries the same again).
 */
export function redactedManifest(object: Obj): Obj {
  const manifest = structuredClone(withoutManagedFields(object));
  const annotations = manifest.metadata?.annotations;
  if (annotations && LAST_APPLIED_ANNOTATION in annotations) {
    annotations[LAST_APPLIED_ANNOTATION] = REDACTED;
  }
  for (const analysis of [
    manifest.spec?.analysis,
    manifest.spec?.canaryAnalysis,
  ]) {
    for (const hook of Array.isArray(analysis?.webhooks)
      ? analysis.webhooks
      : []) {
      if (hook?.metadata && typeof hook.metadata === 'object') {
        hook.metadata = Object.fromEntries(
          Object.keys(hook.metadata).map(key => [key, REDACTED]),
        );
      }
    }
  }
  return manifest;
}

/** What people read: an entity's canaries, one canary in detail, its metric series, the history. */
export class ReleaseQueries {
  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      rollouts: RolloutHistory;
      entities: EntityCanaries;
      steering: SteeringPolicy;
      /** Shares an entity's list among its readers while nothing in it changed. */
      recent?: RecentSummaries;
    },
  ) {}

  async list(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<CanaryListResponse> {
    const selection = await this.options.entities.selectorFor(
      entityRef,
      credentials,
    );
    const { recent } = this.options;
    return recent
      ? recent.get(selection.entityRef, () => this.#list(selection))
      : this.#list(selection);
  }

  async #list({
    selector,
    entity,
  }: EntitySelection): Promise<CanaryListResponse> {
    const { store, summarizer, decisions, rollouts, steering } = this.options;
    const canaries = store.findCanaries(selector);
    const summaries = await summarizeWithDecisions(
      summarizer,
      decisions,
      canaries,
      rollouts,
    );
    return {
      items: summaries.map((summary, index) => ({
        ...summary,
        actions: SteeringPolicy.applyTo(
          summary.actions,
          steering.refusal(canaries[index], entity),
        ),
      })),
      clusters: store.getClusterStatuses(),
      selector,
    };
  }

  async details(
    ref: CanaryRef,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<CanaryDetailsResponse> {
    const { summarizer, decisions, rollouts, entities, steering } =
      this.options;
    const { watched, entity } = await entities.canaryWithEntity(
      ref,
      entityRef,
      credentials,
    );
    const [summary] = await summarizeWithDecisions(
      summarizer,
      decisions,
      [watched],
      rollouts,
    );
    return {
      summary: {
        ...summary,
        actions: SteeringPolicy.applyTo(
          summary.actions,
          steering.refusal(watched, entity),
        ),
      },
      manifest: redactedManifest(watched.object),
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
