import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ACTION_LABELS,
  ActionResponse,
  CanaryAction,
  CanaryRef,
  canaryKey,
  GATE_FOR_ACTION,
  GateDecision,
  getActionAvailability,
  permissionForAction,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Request } from 'express';
import {
  ActionAttempt,
  ActionAttempts,
  AttemptOutcome,
} from '../database/ActionAttempts';
import { DecisionStore } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';
import { decisionStateOf, summarizeWithDecisions } from './decisionState';
import { EntityCanaries, normalizeEntityRef } from './EntityCanaries';
import { SteeringPolicy } from './SteeringPolicy';
import { CanaryStore, CanarySummarizer, WatchedCanary } from '../types';

/** Longest comment kept with a decision. */
export const MAX_COMMENT_LENGTH = 500;

export interface ActionCommand {
  ref: CanaryRef;
  action: CanaryAction;
  entityRef: string;
  comment?: string;
  credentials: BackstageCredentials;
  /** The user entity ref of the person acting. */
  actor: string;
  /** For the audit event (actor, IP, user agent). */
  request?: Request;
}

/** What is known of one attempt as it goes: the revision once read, the outcome once decided. */
type Attempt = Omit<ActionAttempt, 'at' | 'outcome'> & {
  outcome?: AttemptOutcome;
};

/**
 * Records the decisions people make: checks the permission on the entity, that the canary belongs
 * to it, that the state allows the action (the same rules the UI shows), then stores it for the
 * canary's current revision. Every attempt is audited and kept, refused ones included.
 */
export class ActionService {
  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      attempts: ActionAttempts;
      entities: EntityCanaries;
      steering: SteeringPolicy;
      feed: ChangeFeed;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  async act(command: ActionCommand): Promise<ActionResponse> {
    const { ref, action, actor } = command;
    const comment = command.comment?.trim() || undefined;
    if (comment && comment.length > MAX_COMMENT_LENGTH) {
      throw new InputError(
        `The comment has ${comment.length} characters; at most ${MAX_COMMENT_LENGTH} are allowed. Shorten it and try again.`,
      );
    }
    const entityRef = normalizeEntityRef(command.entityRef);
    const auditEvent = await this.options.auditor.createEvent({
      eventId: 'canary-action',
      severityLevel: 'medium',
      request: command.request,
      meta: {
        action,
        canary: canaryKey(ref),
        entityRef,
        actor,
        ...(comment ? { comment } : {}),
      },
    });
    const attempt: Attempt = { ref, action, actor, comment };
    try {
      const response = await this.#decide(command, entityRef, attempt);
      await auditEvent.success({
        meta: { revision: attempt.revision, outcome: attempt.outcome },
      });
      return response;
    } catch (error) {
      await auditEvent.fail({
        error: error as Error,
        meta: attempt.revision ? { revision: attempt.revision } : undefined,
      });
      throw error;
    }
  }

  /** Every attempt is kept, refused ones included, with the revision it was about. */
  async #recordAttempt(
    attempt: Attempt,
    outcome: AttemptOutcome,
    message?: string,
  ) {
    attempt.outcome = outcome;
    await this.options.attempts.recordAttempt({
      ...attempt,
      outcome,
      message,
    });
  }

  /** Permission, then the state the canary is in, then the decision itself. */
  async #decide(
    command: ActionCommand,
    entityRef: string,
    attempt: Attempt,
  ): Promise<ActionResponse> {
    const { ref, action, credentials } = command;
    const { decisions, entities } = this.options;
    try {
      await entities.authorize(
        entityRef,
        permissionForAction[action],
        credentials,
        `You may not ${ACTION_LABELS[
          action
        ].toLowerCase()} releases of ${entityRef}`,
      );
    } catch (error) {
      // Kept only about canaries that exist: made-up names must not fill the table (or the
      // replicas' relay of it).
      if (this.options.store.getCanary(ref))
        await this.#recordAttempt(
          attempt,
          'forbidden',
          (error as Error).message,
        );
      throw error;
    }
    const selected = await entities.canaryWithEntity(
      ref,
      entityRef,
      credentials,
      false,
    );
    const refusal = this.options.steering.refusal(
      selected.watched,
      selected.entity,
    );
    if (refusal) {
      await this.#recordAttempt(attempt, 'forbidden', refusal.reason);
      throw new NotAllowedError(refusal.reason);
    }
    const watched = await this.#fresh(selected.watched);
    const revision = watched.revision;
    attempt.revision = revision;
    const [summary] = await summarizeWithDecisions(
      this.options.summarizer,
      decisions,
      [watched],
    );
    const state = await decisionStateOf(
      decisions,
      ref,
      revision,
      watched.object.status?.phase,
    );
    const recorded = state.decision?.action;
    const availability = getActionAvailability(action, {
      phase: summary.phase,
      strategy: summary.strategy,
      webhooks: summary.webhooks,
      paused: state.paused,
      decided:
        recorded === 'promote' || recorded === 'rollback'
          ? recorded
          : undefined,
      intervalSeconds: summary.intervalSeconds,
    });
    // Repeating the decision already recorded is harmless, even once the phase moved on.
    const repeat = recorded === action;
    if (!revision || (!availability.applicable && !repeat)) {
      const reason = revision
        ? availability.reason ?? `${ACTION_LABELS[action]} is not possible now.`
        : 'Flagger has not initialized this canary yet, so there is no revision to decide on.';
      await this.#recordAttempt(attempt, 'invalid', reason);
      throw new ConflictError(reason);
    }
    const result = await decisions.decide({
      ref,
      revision,
      action,
      actor: attempt.actor,
      comment: attempt.comment,
    });
    const conflict =
      result.outcome === 'conflict'
        ? `This revision is already decided: ${ACTION_LABELS[
            result.decision.action
          ].toLowerCase()} by ${result.decision.decidedBy} at ${
            result.decision.decidedAt
          }.`
        : undefined;
    await this.#recordAttempt(attempt, result.outcome, conflict);
    if (conflict) throw new ConflictError(conflict);
    if (result.outcome === 'accepted')
      this.options.feed.publish({ type: 'canary-changed', ref });
    return {
      action,
      ref,
      decision: result.decision,
      message: messageFor(
        action,
        result.outcome === 'repeated',
        result.decision,
        summary.intervalSeconds,
      ),
    };
  }

  /** Binds the decision to the revision the API server has now; the cache only if it cannot answer. */
  async #fresh(cached: WatchedCanary): Promise<WatchedCanary> {
    try {
      return (await this.options.store.fetchCanary(cached.ref)) ?? cached;
    } catch (error) {
      this.options.logger.warn(
        `Could not read canary ${cached.ref.namespace}/${cached.ref.name} from cluster ${cached.ref.cluster} (${error}); deciding on the cached revision`,
      );
      return cached;
    }
  }
}

function messageFor(
  action: CanaryAction,
  repeated: boolean,
  decision: GateDecision,
  intervalSeconds: number,
): string {
  const gate = GATE_FOR_ACTION[action];
  const what: Record<CanaryAction, string> = {
    promote: 'Promotion approved',
    rollback: 'Rollback requested',
    pause: 'Traffic increases paused',
    resume: 'Traffic increases resumed',
    'approve-rollout': 'Rollout approved',
  };
  const next = `Flagger picks it up when it next calls the ${gate} webhook, at its next analysis tick (within ${intervalSeconds}s).`;
  if (!repeated) return `${what[action]}. ${next}`;
  if (decision.appliedAt) {
    return `${what[action]} already by ${decision.decidedBy}; Flagger acted on it at ${decision.appliedAt}.`;
  }
  return `${what[action]} already by ${decision.decidedBy}. ${next}`;
}
