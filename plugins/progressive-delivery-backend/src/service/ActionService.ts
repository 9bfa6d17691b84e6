import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import {
  ACTION_LABELS,
  ActionResponse,
  CanaryAction,
  CanaryRef,
  GATE_FOR_ACTION,
  GateDecision,
  getActionAvailability,
  permissionForAction,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Request } from 'express';
import { DecisionStore } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';
import { decisionStateOf, summarizeWithDecisions } from './decisionState';
import { EntityCanaries, normalizeEntityRef } from './EntityCanaries';
import { CanaryStore, CanarySummarizer, WatchedCanary } from './types';

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
      entities: EntityCanaries;
      feed: ChangeFeed;
      auditor: AuditorService;
      logger: LoggerService;
    },
  ) {}

  async act(command: ActionCommand): Promise<ActionResponse> {
    const { ref, action, credentials, actor } = command;
    const { decisions, entities, auditor } = this.options;
    const comment = command.comment?.trim() || undefined;
    if (comment && comment.length > MAX_COMMENT_LENGTH) {
      throw new InputError(
        `The comment has ${comment.length} characters; at most ${MAX_COMMENT_LENGTH} are allowed. Shorten it and try again.`,
      );
    }
    const entityRef = normalizeEntityRef(command.entityRef);
    const canaryName = `${ref.cluster}/${ref.namespace}/${ref.name}`;
    const auditEvent = await auditor.createEvent({
      eventId: 'canary-action',
      severityLevel: 'medium',
      request: command.request,
      meta: {
        action,
        canary: canaryName,
        entityRef,
        actor,
        ...(comment ? { comment } : {}),
      },
    });
    let revision: string | undefined;
    try {
      const permission = permissionForAction[action];
      try {
        await entities.authorize(
          entityRef,
          permission,
          credentials,
          `You may not ${ACTION_LABELS[
            action
          ].toLowerCase()} releases of ${entityRef}`,
        );
      } catch (error) {
        await decisions.recordAttempt({
          ref,
          action,
          actor,
          comment,
          outcome: 'forbidden',
          message: (error as Error).message,
        });
        throw error;
      }
      const watched = await this.#fresh(
        await entities.canaryOf(ref, entityRef, credentials, false),
      );
      revision = watched.revision;
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
          ? availability.reason ??
            `${ACTION_LABELS[action]} is not possible now.`
          : 'Flagger has not initialized this canary yet, so there is no revision to decide on.';
        await decisions.recordAttempt({
          ref,
          revision,
          action,
          actor,
          comment,
          outcome: 'invalid',
          message: reason,
        });
        throw new ConflictError(reason);
      }
      const result = await decisions.decide({
        ref,
        revision,
        action,
        actor,
        comment,
      });
      const conflict =
        result.outcome === 'conflict'
          ? `This revision is already decided: ${ACTION_LABELS[
              result.decision.action
            ].toLowerCase()} by ${result.decision.decidedBy} at ${
              result.decision.decidedAt
            }.`
          : undefined;
      await decisions.recordAttempt({
        ref,
        revision,
        action,
        actor,
        comment,
        outcome: result.outcome,
        message: conflict,
      });
      if (conflict) throw new ConflictError(conflict);
      if (result.outcome === 'accepted')
        this.options.feed.publish({ type: 'canary-changed', ref });
      await auditEvent.success({ meta: { revision, outcome: result.outcome } });
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
    } catch (error) {
      await auditEvent.fail({
        error: error as Error,
        meta: revision ? { revision } : undefined,
      });
      throw error;
    }
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
