import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  CanaryRef,
  FlaggerWebhookPayload,
  GateKind,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { timingSafeEqual } from 'node:crypto';
import { DecisionSlot, DecisionStore } from '../database/DecisionStore';
import { RolloutHistory } from '../database/RolloutHistory';
import { ChangeFeed } from './ChangeFeed';
import { CanaryStore, WatchedCanary } from '../types';

/** Flagger reads a status ≤ 202 as "yes" and anything above as "no"; the text becomes its event message. */
export interface GateAnswer {
  status: 200 | 403;
  message: string;
}

/** What the two verdict gates answer: yes to their own decision, no otherwise. */
const VERDICT_GATES = {
  'confirm-promotion': {
    action: 'promote',
    yes: 'Promotion approved',
    no: 'Waiting for promotion in Backstage',
  },
  rollback: {
    action: 'rollback',
    yes: 'Rollback requested',
    no: 'No rollback requested in Backstage',
  },
} as const;

/** Longest Flagger event message kept. */
const MAX_EVENT_MESSAGE = 2000;
/** Longest event type kept (the column is a varchar(255)). */
const MAX_EVENT_TYPE = 64;

/**
 * Answers Flagger's gate webhooks from the decisions people recorded, and keeps Flagger's event
 * webhook calls as history. Reveals nothing beyond the gate's answer.
 */
export class GateKeeper {
  constructor(
    private readonly options: {
      store: CanaryStore;
      decisions: DecisionStore;
      rollouts: RolloutHistory;
      feed: ChangeFeed;
      logger: LoggerService;
      auditor: AuditorService;
      /** `progressiveDelivery.webhooks.baseUrl`; without it no gate is the portal's. */
      webhookBaseUrl?: string;
      /**
       * The secret each cluster's webhooks must carry as `metadata.secret`: the cluster's own,
       * else the shared one; undefined when neither is set.
       */
      secretFor: (cluster: string) => string | undefined;
    },
  ) {}

  /** A person's name goes into an answer only for a caller that proved it holds the secret. */
  #by(name: string, call: WebhookCall): string {
    return call.authenticated ? ` by ${name}` : '';
  }

  async #auditApplied(
    ref: CanaryRef,
    gate: string,
    revision: string,
    decision: { action: string; decidedBy: string },
  ) {
    const event = await this.options.auditor.createEvent({
      eventId: 'gate-decision-applied',
      severityLevel: 'medium',
      meta: {
        canary: `${ref.cluster}/${ref.namespace}/${ref.name}`,
        gate,
        revision,
        action: decision.action,
        decidedBy: decision.decidedBy,
      },
    });
    await event.success();
  }

  async answerGate(
    cluster: string,
    gate: GateKind,
    payload: FlaggerWebhookPayload,
  ): Promise<GateAnswer> {
    const call = await this.#canary(cluster, gate, payload);
    const { watched } = call;
    const { ref, revision } = watched;
    // Phases come from the canary as its API server has it, never from the request body.
    const phase: string | undefined = watched.object.status?.phase;
    if (!revision) {
      return {
        status: 403,
        message:
          'The canary is not initialized yet; ask again at the next tick',
      };
    }
    switch (gate) {
      case 'confirm-rollout': {
        const decision = await this.#open(ref, revision, 'start');
        // An approval already used by one rollout must not start the next: after that rollout
        // ends, Flagger asks again from Succeeded/Failed with the same revision key, and then
        // from a Waiting it entered after the approval was used (after a success the key stays
        // the finished release's until the next rollout starts). A Waiting entered before then is
        // the same release asking again (e.g. a retry after an error).
        const enteredWaiting = Date.parse(
          watched.object.status?.lastTransitionTime ?? '',
        );
        const usedUp =
          decision?.appliedAt !== undefined &&
          ((phase !== undefined && phase !== 'Waiting') ||
            enteredWaiting > Date.parse(decision.appliedAt));
        if (decision && !usedUp) {
          if (await this.#applied(ref, revision, 'start', call.checksum))
            await this.#auditApplied(ref, gate, revision, decision);
          return {
            status: 200,
            message: `Rollout approved in Backstage${this.#by(
              decision.decidedBy,
              call,
            )}`,
          };
        }
        if (
          usedUp &&
          (await this.options.decisions.closeUsedApproval(ref, revision))
        ) {
          this.options.feed.publish({ type: 'canary-changed', ref });
        }
        return {
          status: 403,
          message: 'Waiting for approval in Backstage (Approve rollout)',
        };
      }
      case 'confirm-traffic-increase': {
        const decision = await this.#open(ref, revision, 'traffic');
        if (decision?.action === 'pause') {
          // The "no" is what holds the traffic: the pause is in effect from here.
          if (await this.#applied(ref, revision, 'traffic', call.checksum))
            await this.#auditApplied(ref, gate, revision, decision);
          return {
            status: 403,
            message: `Traffic increases paused in Backstage${this.#by(
              decision.decidedBy,
              call,
            )}`,
          };
        }
        if (
          decision?.action === 'resume' &&
          (await this.#applied(ref, revision, 'traffic', call.checksum))
        )
          await this.#auditApplied(ref, gate, revision, decision);
        return { status: 200, message: 'Traffic increase approved' };
      }
      case 'confirm-promotion':
      case 'rollback': {
        // Promotion and rollback share the verdict slot: each gate says yes to its own word.
        const verdict = VERDICT_GATES[gate];
        const decision = await this.#open(ref, revision, 'verdict');
        if (decision?.action === verdict.action) {
          if (await this.#applied(ref, revision, 'verdict', call.checksum))
            await this.#auditApplied(ref, gate, revision, decision);
          return {
            status: 200,
            message: `${verdict.yes} in Backstage${this.#by(
              decision.decidedBy,
              call,
            )}`,
          };
        }
        return { status: 403, message: verdict.no };
      }
      default:
        throw new NotFoundError(`Unknown gate "${gate}"`);
    }
  }

  /**
   * Keeps one call of Flagger's event webhook (Kubernetes events expire after an hour) as
   * history attributed to Flagger's webhook. Anyone who can reach the portal can make this
   * call, so it states nothing: the time is when it arrived, the phase and revision are the
   * watched canary's, and it neither ends a rollout nor closes a decision (the history
   * recorder does that from the phases the watch sees).
   */
  async recordEvent(
    cluster: string,
    payload: FlaggerWebhookPayload,
  ): Promise<void> {
    const { watched } = await this.#canary(cluster, 'event', payload);
    const metadata = payload.metadata ?? {};
    const message = (metadata.eventMessage ?? '').slice(0, MAX_EVENT_MESSAGE);
    await this.options.rollouts.recordFlaggerEvent({
      ref: watched.ref,
      phase: watched.object.status?.phase,
      checksum: checksumOf(watched),
      eventType: metadata.eventType?.slice(0, MAX_EVENT_TYPE),
      message,
      at: new Date().toISOString(),
    });
  }

  async #open(ref: CanaryRef, revision: string, slot: DecisionSlot) {
    return this.options.decisions.decision(ref, revision, slot);
  }

  async #applied(
    ref: CanaryRef,
    revision: string,
    slot: DecisionSlot,
    checksum?: string,
  ): Promise<boolean> {
    if (
      await this.options.decisions.markApplied(ref, revision, slot, checksum)
    ) {
      this.options.feed.publish({ type: 'canary-changed', ref });
      return true;
    }
    return false;
  }

  /**
   * The canary the webhook is about, read fresh from its API server (the cache only as a
   * fallback), once the call proved the cluster's secret (when one is set) and the canary's
   * spec really sends this kind of call to this cluster's URL at the portal.
   */
  async #canary(
    cluster: string,
    kind: GateKind | 'event',
    payload: FlaggerWebhookPayload,
  ): Promise<WebhookCall> {
    const { store, logger, webhookBaseUrl } = this.options;
    if (!store.hasCluster(cluster))
      throw new NotFoundError(`Unknown cluster "${cluster}"`);
    const secret = this.options.secretFor(cluster);
    if (secret && !secretsMatch(secret, payload.metadata?.secret)) {
      const event = await this.options.auditor.createEvent({
        eventId: 'webhook-secret-refused',
        severityLevel: 'high',
        meta: {
          cluster,
          webhook: kind,
          canary: `${payload.namespace}/${payload.name}`,
        },
      });
      await event.fail({
        error: new Error('webhook secret missing or wrong'),
      });
      throw new NotAllowedError(
        `The webhook metadata does not carry the secret this portal requires for cluster ${cluster}`,
      );
    }
    const ref = { cluster, namespace: payload.namespace, name: payload.name };
    let watched: WatchedCanary | undefined;
    try {
      watched = await store.fetchCanary(ref);
    } catch (error) {
      logger.warn(
        `Could not read canary ${ref.namespace}/${ref.name} from cluster ${cluster} (${error}); answering Flagger from the watch cache`,
      );
      watched = store.getCanary(ref);
    }
    if (!watched)
      throw new NotFoundError(
        `No canary ${ref.namespace}/${ref.name} in cluster ${cluster}`,
      );
    const expected = webhookUrl(webhookBaseUrl, cluster, kind);
    if (!expected || !pointsAt(watched.object, kind, expected)) {
      throw new NotFoundError(
        expected
          ? `Canary ${ref.namespace}/${ref.name} in cluster ${cluster} has no ${kind} webhook at ${expected}`
          : 'progressiveDelivery.webhooks.baseUrl is not set, so no webhook is served by this portal',
      );
    }
    return {
      watched,
      authenticated: secret !== undefined,
      checksum: checksumOf(watched),
    };
  }
}

/** One webhook call, once its canary is known. */
interface WebhookCall {
  watched: WatchedCanary;
  /** The call carried the cluster's secret. */
  authenticated: boolean;
  /** The watched canary's checksum, recorded with an applied decision. */
  checksum?: string;
}

/** Flagger's checksum of the watched canary, as long as the varchar(255) column holds. */
function checksumOf(watched: WatchedCanary): string | undefined {
  const checksum = watched.object.status?.lastAppliedSpec;
  return typeof checksum === 'string' ? checksum.slice(0, 255) : undefined;
}

/** Where a canary of `cluster` sends `kind` when the portal serves it. */
export function webhookUrl(
  baseUrl: string | undefined,
  cluster: string,
  kind: GateKind | 'event',
): string | undefined {
  if (!baseUrl) return undefined;
  const base = baseUrl.replace(/\/+$/, '');
  return kind === 'event'
    ? `${base}/${cluster}/event`
    : `${base}/${cluster}/gates/${kind}`;
}

function pointsAt(canary: Record<string, any>, kind: string, url: string) {
  const hooks =
    canary.spec?.analysis?.webhooks ?? canary.spec?.canaryAnalysis?.webhooks;
  return (Array.isArray(hooks) ? hooks : []).some(
    hook =>
      hook?.type === kind &&
      typeof hook.url === 'string' &&
      hook.url.split('?')[0].replace(/\/+$/, '') === url,
  );
}

export function imagesOf(watched: WatchedCanary): string[] {
  return (watched.target?.spec?.template?.spec?.containers ?? [])
    .map((container: any) => container?.image)
    .filter((image: unknown): image is string => typeof image === 'string');
}

function secretsMatch(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time anyway.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(a, a);
}
