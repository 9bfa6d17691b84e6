import { LoggerService } from '@backstage/backend-plugin-api';
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
      /** When set, every webhook call must carry it as `metadata.secret`. */
      sharedSecret?: string;
    },
  ) {}

  async answerGate(
    cluster: string,
    gate: GateKind,
    payload: FlaggerWebhookPayload,
  ): Promise<GateAnswer> {
    const watched = await this.#canary(cluster, payload);
    const { ref, revision } = watched;
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
          ((payload.phase !== undefined && payload.phase !== 'Waiting') ||
            enteredWaiting > Date.parse(decision.appliedAt));
        if (decision && !usedUp) {
          await this.#applied(ref, revision, 'start', payload.checksum);
          return {
            status: 200,
            message: `Rollout approved in Backstage by ${decision.decidedBy}`,
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
          await this.#applied(ref, revision, 'traffic', payload.checksum);
          return {
            status: 403,
            message: `Traffic increases paused in Backstage by ${decision.decidedBy}`,
          };
        }
        if (decision?.action === 'resume')
          await this.#applied(ref, revision, 'traffic', payload.checksum);
        return { status: 200, message: 'Traffic increase approved' };
      }
      case 'confirm-promotion':
      case 'rollback': {
        // Promotion and rollback share the verdict slot: each gate says yes to its own word.
        const verdict = VERDICT_GATES[gate];
        const decision = await this.#open(ref, revision, 'verdict');
        if (decision?.action === verdict.action) {
          await this.#applied(ref, revision, 'verdict', payload.checksum);
          return {
            status: 200,
            message: `${verdict.yes} in Backstage by ${decision.decidedBy}`,
          };
        }
        return { status: 403, message: verdict.no };
      }
      default:
        throw new NotFoundError(`Unknown gate "${gate}"`);
    }
  }

  /**
   * Keeps one call of Flagger's event webhook (Kubernetes events expire after an hour) and feeds
   * the rollout history from the messages that end a rollout or say why it halted.
   */
  async recordEvent(
    cluster: string,
    payload: FlaggerWebhookPayload,
  ): Promise<void> {
    const watched = await this.#canary(cluster, payload);
    const metadata = payload.metadata ?? {};
    const message = (metadata.eventMessage ?? '').slice(0, MAX_EVENT_MESSAGE);
    const timestamp = Number(metadata.timestamp);
    const at = new Date(
      Number.isFinite(timestamp) && timestamp > 0 ? timestamp : Date.now(),
    ).toISOString();
    const { rollouts, feed } = this.options;
    await rollouts.recordFlaggerEvent({
      ref: watched.ref,
      phase: payload.phase,
      checksum: payload.checksum,
      eventType: metadata.eventType,
      message,
      at,
    });
    const revision = watched.revision;
    if (!revision) return;
    const meaning = meaningOf(message);
    let changed = false;
    if (meaning?.kind === 'halt') {
      await rollouts.noteHalt(watched.ref, revision, meaning.reason);
    } else if (meaning?.kind === 'failed') {
      changed = await rollouts.rolloutEnded(
        watched.ref,
        revision,
        'failed',
        at,
        {
          failureReason: meaning.reason,
          images: imagesOf(watched),
        },
      );
    } else if (meaning?.kind === 'succeeded') {
      changed = await rollouts.rolloutEnded(
        watched.ref,
        revision,
        'succeeded',
        at,
        { images: imagesOf(watched) },
      );
    }
    if (changed) feed.publish({ type: 'history-changed', ref: watched.ref });
  }

  async #open(ref: CanaryRef, revision: string, slot: DecisionSlot) {
    return this.options.decisions.decision(ref, revision, slot);
  }

  async #applied(
    ref: CanaryRef,
    revision: string,
    slot: DecisionSlot,
    checksum?: string,
  ) {
    if (
      await this.options.decisions.markApplied(ref, revision, slot, checksum)
    ) {
      this.options.feed.publish({ type: 'canary-changed', ref });
    }
  }

  /** The canary the webhook is about, read fresh from its API server (the cache only as a fallback). */
  async #canary(
    cluster: string,
    payload: FlaggerWebhookPayload,
  ): Promise<WatchedCanary> {
    const secret = this.options.sharedSecret;
    if (secret && !secretsMatch(secret, payload.metadata?.secret)) {
      throw new NotAllowedError(
        'The webhook metadata does not carry the shared secret this portal requires',
      );
    }
    const { store, logger } = this.options;
    if (!store.hasCluster(cluster))
      throw new NotFoundError(`Unknown cluster "${cluster}"`);
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
    return watched;
  }
}

type EventMeaning =
  | { kind: 'halt'; reason: string }
  | { kind: 'failed'; reason: string }
  | { kind: 'succeeded' };

/** Reads the Flagger event messages (pkg/controller/events.go) that matter to the history. */
export function meaningOf(message: string): EventMeaning | undefined {
  const halt = /^Halt (?:\S+ )?advancement (.+)$/.exec(message);
  if (halt && !/^waiting for/.test(halt[1]))
    return { kind: 'halt', reason: halt[1] };
  const rollingBack = /^Rolling back \S+ (.+)$/.exec(message);
  if (rollingBack) {
    const reason =
      rollingBack[1] === 'manual webhook invoked'
        ? 'rolled back through the rollback gate'
        : rollingBack[1];
    return { kind: 'failed', reason };
  }
  if (/^Promotion of \S+ failed/.test(message))
    return { kind: 'failed', reason: message };
  if (/^Promotion completed!/.test(message)) return { kind: 'succeeded' };
  return undefined;
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
