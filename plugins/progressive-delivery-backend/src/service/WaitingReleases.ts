import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  DEFAULT_NAMESPACE,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ACTION_LABELS,
  ANNOTATION_CANARIES,
  ANNOTATION_WORKLOAD_NAME,
  CanaryAction,
  CanarySelector,
  CanarySummary,
  canaryKey,
  GATE_FOR_ACTION,
  getCanarySelector,
  permissionForAction,
  progressiveDeliveryReadPermission,
  WAITING_SCOPES,
  WaitingRelease,
  WaitingResponse,
  WaitingScope,
  WaitingSection,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionStore } from '../database/DecisionStore';
import { CanaryStore, CanarySummarizer, WatchedCanary } from '../types';
import { authorizeInBatches } from './authorizeInBatches';
import { summarizeWithDecisions } from './decisionState';
import { steeringEntityOf } from './EntityCanaries';
import { SteeringEntity, SteeringPolicy } from './SteeringPolicy';
import { AT_REST_PHASES, sectionOf } from './waitingSections';

/** The catalog query the page makes; `CatalogService` from plugin-catalog-node fits it. */
export interface EntityQuery {
  getEntities(
    request: {
      filter: Array<Record<string, string | symbol | Array<string | symbol>>>;
      fields: string[];
    },
    options: { credentials: BackstageCredentials },
  ): Promise<{ items: Entity[] }>;
}

/** What of an entity the page needs: enough to select its canaries, bind steering and name it. */
const ENTITY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
];

/** Reads `?scope=`; anything else is the caller's mistake, said with the accepted values. */
export function parseWaitingScope(value: unknown): WaitingScope {
  if (value === undefined || value === '') return 'owned';
  if (
    typeof value === 'string' &&
    (WAITING_SCOPES as readonly string[]).includes(value)
  ) {
    return value as WaitingScope;
  }
  throw new InputError(
    `Invalid query: scope must be one of ${WAITING_SCOPES.join(
      ', ',
    )} (got ${JSON.stringify(
      value,
    )}); leave it out for the releases of the entities you own.`,
  );
}

interface Candidate {
  entity: Entity;
  ref: string;
  selector: CanarySelector;
  steering: SteeringEntity;
}

/**
 * What waits for a person across the catalog: the releases of the entities the caller owns (or
 * may read) that wait at a gate the caller may decide, those that failed within the last day,
 * and those in progress. One catalog query and one permission batch per question, whatever the
 * number of entities; canaries come from the watch caches, never from the API servers.
 *
 * Shared by the `/waiting` route and the agents' "what waits for me" action.
 */
export class WaitingReleases {
  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      catalog: EntityQuery;
      permissions: Pick<PermissionsService, 'authorize'>;
      steering: SteeringPolicy;
      /** Resolves the caller's groups; without it only the user entity itself counts as owner. */
      userInfo?: Pick<UserInfoService, 'getUserInfo'>;
      now?: () => Date;
    },
  ) {}

  /** The releases waiting for the signed-in user in `scope`, sectioned and sorted for the page. */
  async forUser(
    credentials: BackstageCredentials,
    scope: WaitingScope,
  ): Promise<WaitingResponse> {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
    };
    if (principal.type !== 'user' || !principal.userEntityRef) {
      throw new NotAllowedError(
        'The releases waiting for a person are listed for signed-in users only; call with a user token.',
      );
    }
    const now = this.options.now?.() ?? new Date();
    const ownershipRefs =
      scope === 'owned'
        ? await this.#ownershipRefs(credentials, principal.userEntityRef)
        : undefined;
    const candidates = await this.#optedInEntities(credentials, ownershipRefs);
    const readable = await this.#readable(candidates, credentials);

    const pairs = readable.flatMap(candidate =>
      this.options.store
        .findCanaries(candidate.selector)
        .filter(
          watched => !AT_REST_PHASES.includes(watched.object.status?.phase),
        )
        .map(watched => ({ candidate, watched })),
    );
    const summaries = await this.#summaries(pairs.map(p => p.watched));
    const rows = pairs.flatMap(({ candidate, watched }) => {
      const summary = summaries.get(canaryKey(watched.ref));
      const section = summary && sectionOf(summary, now);
      return summary && section
        ? [{ candidate, watched, summary, section }]
        : [];
    });
    const allowed = await this.#allowedActions(rows, credentials);

    const result: WaitingResponse = {
      scope,
      waiting: [],
      failed: [],
      inProgress: [],
      entityCount: readable.length,
      ...(ownershipRefs ? { ownershipRefs } : {}),
      clusters: this.options.store.getClusterStatuses(),
      generatedAt: now.toISOString(),
    };
    for (const { candidate, watched, summary, section } of rows) {
      const release = this.#release(
        candidate,
        watched,
        summary,
        section,
        allowed,
      );
      if (release.section === 'waiting') result.waiting.push(release);
      else if (release.section === 'failed') result.failed.push(release);
      else result.inProgress.push(release);
    }
    const time = (release: WaitingRelease) =>
      release.since ? Date.parse(release.since) : 0;
    result.waiting.sort((a, b) => time(a) - time(b));
    result.failed.sort((a, b) => time(b) - time(a));
    result.inProgress.sort((a, b) => time(b) - time(a));
    return result;
  }

  async #ownershipRefs(
    credentials: BackstageCredentials,
    userEntityRef: string,
  ): Promise<string[]> {
    const info = await this.options.userInfo?.getUserInfo(credentials);
    return [...new Set([userEntityRef, ...(info?.ownershipEntityRefs ?? [])])];
  }

  /** One catalog query: the entities with either opt-in annotation (and owned by the caller). */
  async #optedInEntities(
    credentials: BackstageCredentials,
    ownershipRefs: string[] | undefined,
  ): Promise<Candidate[]> {
    const filter = [ANNOTATION_WORKLOAD_NAME, ANNOTATION_CANARIES].map(
      annotation => ({
        [`metadata.annotations.${annotation}`]: CATALOG_FILTER_EXISTS,
        ...(ownershipRefs ? { 'relations.ownedBy': ownershipRefs } : {}),
      }),
    );
    const { items } = await this.options.catalog.getEntities(
      { filter, fields: ENTITY_FIELDS },
      { credentials },
    );
    return items.flatMap(entity => {
      let selector: CanarySelector | undefined;
      try {
        selector = getCanarySelector(entity);
      } catch {
        // A malformed annotation is shown on the entity's own tab; the page skips the entity.
        return [];
      }
      if (!selector) return [];
      const ref = stringifyEntityRef(entity);
      return [
        {
          entity,
          ref,
          selector,
          steering: steeringEntityOf(entity, ref),
        },
      ];
    });
  }

  /** The entities whose releases the caller may read, in permission batches. */
  async #readable(
    candidates: Candidate[],
    credentials: BackstageCredentials,
  ): Promise<Candidate[]> {
    if (candidates.length === 0) return [];
    const decisions = await authorizeInBatches(
      this.options.permissions,
      candidates.map(candidate => ({
        permission: progressiveDeliveryReadPermission,
        resourceRef: candidate.ref,
      })),
      credentials,
    );
    return candidates.filter(
      (_, index) => decisions[index]?.result === AuthorizeResult.ALLOW,
    );
  }

  /** Each canary summarized once, with its decisions read in one query. */
  async #summaries(
    canaries: WatchedCanary[],
  ): Promise<Map<string, CanarySummary>> {
    const unique = [
      ...new Map(canaries.map(c => [canaryKey(c.ref), c])).values(),
    ];
    const summaries = await summarizeWithDecisions(
      this.options.summarizer,
      this.options.decisions,
      unique,
    );
    return new Map(summaries.map(s => [canaryKey(s.ref), s]));
  }

  /**
   * The actions each row's entity lets the caller take, asked in permission batches for every
   * entity and permission the applicable actions need. Keyed by entity ref and action.
   */
  async #allowedActions(
    rows: Array<{
      candidate: Candidate;
      watched: WatchedCanary;
      summary: CanarySummary;
    }>,
    credentials: BackstageCredentials,
  ): Promise<Set<string>> {
    const requests = new Map<
      string,
      { entityRef: string; actions: CanaryAction[] }
    >();
    for (const { candidate, watched, summary } of rows) {
      for (const action of this.#applicable(candidate, watched, summary)) {
        const permission = permissionForAction[action];
        const key = `${candidate.ref}|${permission.name}`;
        const request = requests.get(key) ?? {
          entityRef: candidate.ref,
          actions: [],
        };
        if (!request.actions.includes(action)) request.actions.push(action);
        requests.set(key, request);
      }
    }
    const asked = [...requests.values()];
    if (asked.length === 0) return new Set();
    const decisions = await authorizeInBatches(
      this.options.permissions,
      asked.map(({ entityRef, actions }) => ({
        permission: permissionForAction[actions[0]],
        resourceRef: entityRef,
      })),
      credentials,
    );
    const allowed = new Set<string>();
    asked.forEach(({ entityRef, actions }, index) => {
      if (decisions[index]?.result !== AuthorizeResult.ALLOW) return;
      for (const action of actions) allowed.add(`${entityRef}|${action}`);
    });
    return allowed;
  }

  /** The actions the state allows and steering through the entity permits. */
  #applicable(
    candidate: Candidate,
    watched: WatchedCanary,
    summary: CanarySummary,
  ): CanaryAction[] {
    return SteeringPolicy.applyTo(
      summary.actions,
      this.options.steering.refusal(watched, candidate.steering),
    )
      .filter(availability => availability.applicable)
      .map(availability => availability.action);
  }

  #release(
    candidate: Candidate,
    watched: WatchedCanary,
    summary: CanarySummary,
    section: WaitingSection,
    allowed: Set<string>,
  ): WaitingRelease {
    const { entity, ref } = candidate;
    const actions = this.#applicable(candidate, watched, summary).filter(
      action => allowed.has(`${ref}|${action}`),
    );
    let placed = section;
    let cannotAct: string | undefined;
    if (section === 'waiting') {
      cannotAct = this.#whyNotDecide(candidate, watched, summary, actions);
      if (cannotAct) placed = 'in-progress';
    }
    return {
      section: placed,
      entity: {
        ref,
        kind: entity.kind,
        namespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
        name: entity.metadata.name,
        ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
      },
      canary: watched.ref,
      state: summary.state,
      since: summary.lastTransitionTime ?? summary.startedAt,
      revision: summary.revision,
      actions,
      ...(cannotAct ? { cannotAct } : {}),
      fresh: summary.fresh,
    };
  }

  /** Why a release waiting at a gate does not wait for the caller; undefined when it does. */
  #whyNotDecide(
    candidate: Candidate,
    watched: WatchedCanary,
    summary: CanarySummary,
    allowedActions: CanaryAction[],
  ): string | undefined {
    const gate = summary.state.waitingFor;
    const pending = summary.pendingDecision;
    if (
      pending &&
      !pending.appliedAt &&
      GATE_FOR_ACTION[pending.action] === gate
    ) {
      return `Already decided: ${ACTION_LABELS[pending.action]} by ${
        pending.decidedBy
      }; Flagger applies it at its next check.`;
    }
    if (allowedActions.some(action => GATE_FOR_ACTION[action] === gate)) {
      return undefined;
    }
    const deciding = summary.actions.filter(
      availability => GATE_FOR_ACTION[availability.action] === gate,
    );
    const refusal = this.options.steering.refusal(watched, candidate.steering);
    if (refusal && deciding.some(availability => availability.applicable)) {
      return refusal.reason;
    }
    const applicable = deciding.filter(availability => availability.applicable);
    if (applicable.length > 0) {
      return `You may not decide this gate: ${applicable
        .map(availability => ACTION_LABELS[availability.action])
        .join(' or ')} on ${candidate.ref} needs ${[
        ...new Set(
          applicable.map(
            availability => permissionForAction[availability.action].name,
          ),
        ),
      ].join(' or ')}.`;
    }
    return (
      deciding.find(availability => availability.reason)?.reason ??
      `Nothing in this portal decides its ${gate} gate.`
    );
  }
}
