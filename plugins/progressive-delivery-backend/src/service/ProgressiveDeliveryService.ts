import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ACTION_LABELS,
  ActionResponse,
  AnnotationError,
  CanaryAction,
  CanaryDetailsResponse,
  CanaryListResponse,
  CanaryRef,
  CanarySelector,
  CanarySummary,
  FlaggerWebhookPayload,
  GATE_FOR_ACTION,
  GateKind,
  getActionAvailability,
  getCanarySelector,
  HistoryResponse,
  permissionForAction,
  progressiveDeliveryReadPermission,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { timingSafeEqual } from 'node:crypto';
import { Request } from 'express';
import { KubernetesCanaryStore } from '../clusters/KubernetesCanaryStore';
import { DecisionStore } from '../database/DecisionStore';
import { MetricsCache } from '../prometheus/MetricsCache';
import { summarizeCanary } from '../translation/summarizeCanary';
import { ProgressiveDeliveryConfig } from './config';
import { DecisionState, WatchedCanary } from './types';

export const MAX_COMMENT_LENGTH = 500;

/** What an answer to Flagger looks like: ≤ 202 means yes, anything above means no. */
export interface GateAnswer {
  status: 200 | 403;
  message: string;
}

/**
 * The plugin's use cases: summaries for an entity, gate answers for Flagger, and the actions
 * people take. The router only translates HTTP to these calls.
 */
export class ProgressiveDeliveryService {
  constructor(
    private readonly options: {
      config: ProgressiveDeliveryConfig;
      store: KubernetesCanaryStore;
      metrics: MetricsCache;
      decisions: DecisionStore;
      catalog: CatalogService;
      permissions: PermissionsService;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  /** The entity's selector, after checking the caller may read its releases. */
  async selectorFor(entityRef: string, credentials: BackstageCredentials): Promise<{ entityRef: string; selector: CanarySelector }> {
    const ref = normalizeEntityRef(entityRef);
    const [decision] = await this.options.permissions.authorize(
      [{ permission: progressiveDeliveryReadPermission, resourceRef: ref }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(`You may not see the releases of ${ref} (${progressiveDeliveryReadPermission.name}).`);
    }
    const entity = await this.options.catalog.getEntityByRef(ref, { credentials });
    if (!entity) throw new NotFoundError(`No entity ${ref} in the catalog.`);
    try {
      const selector = getCanarySelector(entity);
      if (!selector) {
        throw new InputError(
          `${ref} has not opted in: add the annotation progressive-delivery/workload-name or progressive-delivery/canaries.`,
        );
      }
      return { entityRef: ref, selector };
    } catch (error) {
      if (error instanceof AnnotationError) throw new InputError(error.message);
      throw error;
    }
  }

  async list(entityRef: string, credentials: BackstageCredentials): Promise<CanaryListResponse> {
    const { selector } = await this.selectorFor(entityRef, credentials);
    return {
      items: await this.summarize(this.options.store.findCanaries(selector)),
      clusters: this.options.store.getClusterStatuses(),
      selector,
    };
  }

  async details(ref: CanaryRef, entityRef: string, credentials: BackstageCredentials): Promise<CanaryDetailsResponse> {
    const watched = await this.#canaryOfEntity(ref, entityRef, credentials);
    const [summary] = await this.summarize([watched]);
    return {
      summary,
      manifest: watched.object,
      history: await this.options.decisions.history([ref]),
    };
  }

  async metrics(ref: CanaryRef, entityRef: string, minutes: number, credentials: BackstageCredentials) {
    const watched = await this.#canaryOfEntity(ref, entityRef, credentials);
    return { series: await this.options.metrics.series(watched, minutes) };
  }

  async history(entityRef: string, credentials: BackstageCredentials): Promise<HistoryResponse> {
    const { selector } = await this.selectorFor(entityRef, credentials);
    const refs = this.options.store.findCanaries(selector).map(watched => watched.ref);
    return { items: await this.options.decisions.history(refs) };
  }

  async summarize(canaries: WatchedCanary[]): Promise<CanarySummary[]> {
    const { store, metrics, config } = this.options;
    return Promise.all(
      canaries.map(async watched =>
        summarizeCanary(watched, {
          decisions: await this.decisionState(watched.ref, watched.revision, watched.object.status?.phase),
          webhookBaseUrl: config.webhookBaseUrl,
          now: new Date(),
          clusterFresh: store.isFresh(watched.ref.cluster),
          metricReadings: metrics.readings(watched.ref.cluster, watched.ref.namespace, watched.ref.name),
          prometheusUrl: metrics.externalUrl(watched.ref.cluster),
          prometheusConfigured: metrics.isConfigured(watched.ref.cluster),
        }),
      ),
    );
  }

  async decisionState(ref: CanaryRef, revision: string | undefined, phase?: string): Promise<DecisionState> {
    if (!revision) return { paused: false };
    const decisions = await this.options.decisions.decisionsFor(ref, revision);
    const verdict = decisions.find(d => d.action === 'promote' || d.action === 'rollback');
    const traffic = decisions.find(d => d.action === 'pause' || d.action === 'resume');
    const start = decisions.find(d => d.action === 'approve-rollout');
    return {
      paused: traffic?.action === 'pause',
      decision: verdict ?? traffic ?? (phase === 'Waiting' ? start : undefined),
    };
  }

  /** Answers one of Flagger's gate webhooks for a canary of a configured cluster. */
  async answerGate(cluster: string, gate: GateKind, payload: FlaggerWebhookPayload): Promise<GateAnswer> {
    const watched = await this.#webhookCanary(cluster, payload);
    const ref = watched.ref;
    const revision = watched.revision;
    if (!revision) return { status: 403, message: 'The canary is not initialized yet; ask again later.' };
    const { decisions } = this.options;
    switch (gate) {
      case 'confirm-rollout': {
        const decision = await decisions.decision(ref, revision, 'start');
        if (decision) {
          await decisions.markApplied(ref, revision, 'start', payload.checksum);
          return { status: 200, message: `Rollout approved in Backstage by ${decision.decidedBy}` };
        }
        return { status: 403, message: 'Waiting for a person to approve the rollout in Backstage' };
      }
      case 'confirm-traffic-increase': {
        const decision = await decisions.decision(ref, revision, 'traffic');
        if (decision?.action === 'pause') {
          await decisions.markApplied(ref, revision, 'traffic', payload.checksum);
          return { status: 403, message: `Traffic increases paused in Backstage by ${decision.decidedBy}` };
        }
        if (decision?.action === 'resume') await decisions.markApplied(ref, revision, 'traffic', payload.checksum);
        return { status: 200, message: 'Traffic increase approved' };
      }
      case 'confirm-promotion': {
        const decision = await decisions.decision(ref, revision, 'verdict');
        if (decision?.action === 'promote') {
          await decisions.markApplied(ref, revision, 'verdict', payload.checksum);
          return { status: 200, message: `Promotion approved in Backstage by ${decision.decidedBy}` };
        }
        return { status: 403, message: 'Waiting for a person to promote in Backstage' };
      }
      case 'rollback': {
        const decision = await decisions.decision(ref, revision, 'verdict');
        if (decision?.action === 'rollback') {
          await decisions.markApplied(ref, revision, 'verdict', payload.checksum);
          return { status: 200, message: `Rollback requested in Backstage by ${decision.decidedBy}` };
        }
        return { status: 403, message: 'No rollback requested' };
      }
      default:
        throw new NotFoundError(`Unknown gate "${gate}"`);
    }
  }

  /** Keeps Flagger's event webhook calls as history. */
  async recordEvent(cluster: string, payload: FlaggerWebhookPayload) {
    const watched = await this.#webhookCanary(cluster, payload);
    const metadata = payload.metadata ?? {};
    const timestamp = Number(metadata.timestamp);
    await this.options.decisions.recordFlaggerEvent({
      ref: watched.ref,
      phase: payload.phase,
      checksum: payload.checksum,
      eventType: metadata.eventType,
      message: (metadata.eventMessage ?? '').slice(0, 2000),
      at: new Date(Number.isFinite(timestamp) ? timestamp : Date.now()).toISOString(),
    });
  }

  async act(options: {
    ref: CanaryRef;
    action: CanaryAction;
    entityRef: string;
    comment?: string;
    credentials: BackstageCredentials;
    actor: string;
    request: Request;
  }): Promise<ActionResponse> {
    const { ref, action, credentials, actor, request } = options;
    const comment = options.comment?.trim() || undefined;
    if (comment && comment.length > MAX_COMMENT_LENGTH) {
      throw new InputError(`The comment has ${comment.length} characters; at most ${MAX_COMMENT_LENGTH} are kept.`);
    }
    const entityRef = normalizeEntityRef(options.entityRef);
    const auditEvent = await this.options.auditor.createEvent({
      eventId: 'canary-action',
      severityLevel: 'medium',
      request,
      meta: { action, canary: `${ref.cluster}/${ref.namespace}/${ref.name}`, entityRef, comment },
    });
    const permission = permissionForAction[action];
    try {
      const [decision] = await this.options.permissions.authorize([{ permission, resourceRef: entityRef }], { credentials });
      if (decision.result !== AuthorizeResult.ALLOW) {
        await this.options.decisions.recordAttempt({ ref, action, actor, comment, outcome: 'forbidden' });
        throw new NotAllowedError(
          `You may not ${ACTION_LABELS[action].toLowerCase()} releases of ${entityRef} (${permission.name}).`,
        );
      }
      const watched = await this.#canaryOfEntity(ref, entityRef, credentials);
      const revision = watched.revision;
      const [summary] = await this.summarize([watched]);
      const state = await this.decisionState(ref, revision, summary.rawPhase);
      const verdict = state.decision?.action;
      const availability = getActionAvailability(action, {
        phase: summary.phase,
        strategy: summary.strategy,
        webhooks: summary.webhooks,
        paused: state.paused,
        decided: verdict === 'promote' || verdict === 'rollback' ? verdict : undefined,
        intervalSeconds: summary.intervalSeconds,
      });
      // Repeating the decision already recorded is harmless, even once the phase moved on.
      const alreadyThis = state.decision?.action === action;
      if (!revision || (!availability.applicable && !alreadyThis)) {
        const reason = availability.reason ?? 'The canary has no revision yet.';
        await this.options.decisions.recordAttempt({ ref, revision, action, actor, comment, outcome: 'invalid', message: reason });
        throw new ConflictError(reason);
      }
      const result = await this.options.decisions.decide({ ref, revision, action, actor, comment });
      await this.options.decisions.recordAttempt({
        ref,
        revision,
        action,
        actor,
        comment,
        outcome: result.outcome,
        message: result.outcome === 'conflict' ? `Already decided: ${result.decision.action}` : undefined,
      });
      if (result.outcome === 'conflict') {
        throw new ConflictError(
          `This revision is already decided: ${result.decision.action} by ${result.decision.decidedBy} at ${result.decision.decidedAt}.`,
        );
      }
      await auditEvent.success({ meta: { revision, outcome: result.outcome } });
      return {
        action,
        ref,
        decision: result.decision,
        message:
          result.outcome === 'repeated'
            ? `${ACTION_LABELS[action]} was already recorded for this revision; Flagger acts on it at its next ${GATE_FOR_ACTION[action]} call.`
            : `${ACTION_LABELS[action]} recorded. ${availability.effect ?? ''}`.trim(),
      };
    } catch (error) {
      await auditEvent.fail({ error: error as Error });
      throw error;
    }
  }

  async #canaryOfEntity(ref: CanaryRef, entityRef: string, credentials: BackstageCredentials): Promise<WatchedCanary> {
    if (!this.options.store.hasCluster(ref.cluster)) {
      throw new NotFoundError(
        `Unknown cluster "${ref.cluster}"; configured clusters: ${this.options.store.clusterNames().join(', ') || 'none'}.`,
      );
    }
    const { selector, entityRef: normalized } = await this.selectorFor(entityRef, credentials);
    const watched = this.options.store
      .findCanaries(selector)
      .find(c => c.ref.cluster === ref.cluster && c.ref.namespace === ref.namespace && c.ref.name === ref.name);
    if (!watched) {
      throw new NotFoundError(
        `Canary ${ref.namespace}/${ref.name} in cluster ${ref.cluster} does not exist or does not belong to ${normalized}.`,
      );
    }
    return watched;
  }

  async #webhookCanary(cluster: string, payload: FlaggerWebhookPayload): Promise<WatchedCanary> {
    const secret = this.options.config.sharedSecret;
    if (secret && !secretsMatch(secret, payload.metadata?.secret)) {
      throw new NotAllowedError('The webhook metadata does not carry the configured shared secret.');
    }
    if (!this.options.store.hasCluster(cluster)) throw new NotFoundError(`Unknown cluster "${cluster}".`);
    const ref = { cluster, namespace: payload.namespace, name: payload.name };
    let watched: WatchedCanary | undefined;
    try {
      watched = await this.options.store.fetchCanary(ref);
    } catch (error) {
      this.options.logger.warn(
        `Could not read canary ${ref.namespace}/${ref.name} from cluster ${cluster} (${error}); answering from the watch cache`,
      );
      watched = this.options.store.getCanary(ref);
    }
    if (!watched) throw new NotFoundError(`No canary ${ref.namespace}/${ref.name} in cluster ${cluster}.`);
    return watched;
  }
}

/** Accepts "component:default/x" and "component:x"; gives the canonical form. */
export function normalizeEntityRef(entityRef: string): string {
  try {
    return stringifyEntityRef(parseEntityRef(entityRef));
  } catch (error) {
    throw new InputError(`"${entityRef}" is not an entity reference; expected <kind>:<namespace>/<name>, e.g. component:default/checkout.`);
  }
}

function secretsMatch(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

