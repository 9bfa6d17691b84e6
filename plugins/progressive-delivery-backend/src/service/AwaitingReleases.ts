import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_CANARIES,
  ANNOTATION_WORKLOAD_NAME,
  CanaryAction,
  CanaryRef,
  GateKind,
  ReleaseState,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { waitingForPortalDecision } from '../summary/attention';
import { EntityLister } from './CanaryOwners';
import { ReleaseQueries } from './ReleaseQueries';

/** The action that answers each gate. */
export const ANSWERS: Record<GateKind, CanaryAction> = {
  'confirm-rollout': 'approve-rollout',
  'confirm-traffic-increase': 'resume',
  'confirm-promotion': 'promote',
  rollback: 'rollback',
};

/** Entities asked about in one call, at most; the catalog's order decides which. */
export const MAX_ENTITIES = 100;

export interface AwaitingRelease {
  entityRef: string;
  ref: CanaryRef;
  state: Pick<ReleaseState, 'kind' | 'headline'>;
  waitingFor: GateKind;
  /** The action that lets the release go on. */
  answer: CanaryAction;
  since?: string;
}

/**
 * The releases that wait for a decision the caller may make, on the opted-in entities the
 * caller's groups (or the caller) own: read with the caller's credentials, so the catalog's
 * and the plugin's read permissions apply, and kept only where the answer is offered to them.
 */
export class AwaitingReleases {
  constructor(
    private readonly options: {
      queries: ReleaseQueries;
      catalog: EntityLister;
    },
  ) {}

  async forCaller(
    credentials: BackstageCredentials,
    ownershipEntityRefs: string[],
  ): Promise<{ items: AwaitingRelease[]; entitiesChecked: number }> {
    if (ownershipEntityRefs.length === 0)
      return { items: [], entitiesChecked: 0 };
    const { items: entities } = await this.options.catalog.getEntities(
      {
        filter: [ANNOTATION_WORKLOAD_NAME, ANNOTATION_CANARIES].map(
          annotation => ({
            [`metadata.annotations.${annotation}`]: CATALOG_FILTER_EXISTS,
            'relations.ownedBy': ownershipEntityRefs,
          }),
        ),
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      },
      { credentials },
    );
    const refs = [...new Set(entities.map(e => stringifyEntityRef(e)))].slice(
      0,
      MAX_ENTITIES,
    );
    const lists = await Promise.all(
      refs.map(entityRef =>
        this.options.queries
          .list(entityRef, credentials)
          .then(list => ({ entityRef, items: list.items }))
          // An entity the caller may not read, or with a broken annotation, waits for nobody here.
          .catch(() => ({ entityRef, items: [] })),
      ),
    );
    const items = lists.flatMap(({ entityRef, items: summaries }) =>
      summaries.flatMap(summary => {
        const gate = waitingForPortalDecision(summary);
        if (!gate) return [];
        const answer = ANSWERS[gate];
        const offered = summary.actions.find(
          a => a.action === answer && a.applicable,
        );
        if (!offered) return [];
        return [
          {
            entityRef,
            ref: summary.ref,
            state: {
              kind: summary.state.kind,
              headline: summary.state.headline,
            },
            waitingFor: gate,
            answer,
            since: summary.lastTransitionTime,
          },
        ];
      }),
    );
    return { items, entitiesChecked: refs.length };
  }
}
