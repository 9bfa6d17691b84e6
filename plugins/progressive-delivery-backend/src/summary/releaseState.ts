import {
  CanaryEvent,
  CanaryPhase,
  ReleaseBlocker,
  ReleaseState,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionState } from '../types';
import { currentRun } from './events';

/**
 * The release-state machine: what a canary's phase, its events, its failed checks and the
 * decisions recorded for its revision say it is doing now, in words for people.
 */

type Obj = Record<string, any>;

/** Flagger's halt message with the canary name taken out and the metric named as in the spec. */
function haltReason(message: string): string {
  return message
    .replace(/^Halt (?:\S+ )?advancement /, '')
    .replace(/^success rate /, 'request-success-rate ')
    .replace(/^request duration /, 'request-duration ');
}

/** Why the current run rolled back, in Flagger's words, most specific first. */
function rollbackReason(events: CanaryEvent[]): string | undefined {
  const run = currentRun(events);
  const rollback = run.find(
    event =>
      event.category === 'rollback' && /^Rolling back /.test(event.message),
  );
  if (rollback && /manual webhook invoked/.test(rollback.message))
    return 'manual rollback (webhook)';
  const halt = run.find(event => event.category === 'halt');
  if (halt) return haltReason(halt.message);
  if (rollback) return rollback.message.replace(/^Rolling back \S+ /, '');
  const failure = run.find(
    event =>
      event.category === 'failure' && /^Promotion of /.test(event.message),
  );
  return failure?.message;
}

/**
 * The newest event that tells what the analysis is doing right now; Flagger's noisy per-tick
 * "Rollback hook ... not signaling a rollback" and similar messages are skipped.
 */
function latestProgressEvent(events: CanaryEvent[]): CanaryEvent | undefined {
  return events.find(
    event =>
      [
        'gate-wait',
        'advance',
        'halt',
        'new-revision',
        'promotion',
        'rollback',
        'failure',
      ].includes(event.category) ||
      (event.category === 'gate-pass' &&
        /^Confirm-traffic-increase/i.test(event.message)),
  );
}

/** "2026-11-23 03:10:00 UTC" */
function utc(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}

function deadlineSentence(
  deadline: NonNullable<ReleaseBlocker['progressDeadline']>,
): string {
  const { seconds, at, passed, enforced } = deadline;
  if (enforced) {
    return passed
      ? `The progress deadline (progressDeadlineSeconds ${seconds}) has passed: Flagger rolls the release back at its next check.`
      : `Flagger rolls the release back if it is still not ready at ${utc(
          at,
        )} (progressDeadlineSeconds ${seconds}).`;
  }
  return passed
    ? `It has been in this phase past its progress deadline (progressDeadlineSeconds ${seconds}, ${utc(
        at,
      )}), but Flagger counts the deadline only from the Deployment's Available=False condition, which the Deployment does not report: Flagger keeps waiting.`
    : `The progress deadline (progressDeadlineSeconds ${seconds} in this phase) is ${utc(
        at,
      )}; Flagger enforces it once the Deployment reports Available=False.`;
}

const PHASE_PREFIX: Partial<Record<CanaryPhase, string>> = {
  Initializing: 'Initializing',
  Promoting: 'Promoting',
  Finalising: 'Finalising',
};

/** The phase's state, told as what holds it, in Flagger's words. */
function blockedState(
  base: ReleaseState,
  phase: CanaryPhase | undefined,
  blocker: ReleaseBlocker,
  checks: { failedChecks: number; threshold: number },
): ReleaseState {
  const quote = `Flagger: "${blocker.message}".`;
  if (blocker.webhook) {
    return {
      ...base,
      tone: 'waiting',
      headline: `Held: ${blocker.webhook.type} check ${blocker.webhook.name} failing`,
      detail: `${quote} ${checks.failedChecks} of ${checks.threshold} failed checks; reaching ${checks.threshold} rolls the release back.`,
      blockedBy: blocker,
    };
  }
  const workload = blocker.workload!;
  const deadline = blocker.progressDeadline!;
  const side = blocker.kind === 'primary-not-ready' ? 'primary' : 'canary';
  const prefix =
    (phase && PHASE_PREFIX[phase]) ?? (phase ? 'Held' : 'Initializing');
  return {
    ...base,
    tone: deadline.passed ? 'error' : 'waiting',
    headline: `${prefix}: ${side} ${workload.name} not ready (${workload.readyReplicas} of ${workload.desiredReplicas} pods ready)`,
    detail: [
      quote,
      workload.condition ? `The Deployment: "${workload.condition}".` : '',
      deadlineSentence(deadline),
    ]
      .filter(Boolean)
      .join(' '),
    blockedBy: blocker,
  };
}

export function releaseState(
  canary: Obj,
  phase: CanaryPhase | undefined,
  rawPhase: string | undefined,
  events: CanaryEvent[],
  checks: { failedChecks: number; threshold: number },
  decisions: DecisionState,
  blocker?: ReleaseBlocker,
): ReleaseState {
  const state = phaseState(canary, phase, rawPhase, events, checks, decisions);
  const gated = state.waitingFor !== undefined;
  if (
    !blocker ||
    gated ||
    state.kind === 'suspended' ||
    state.kind === 'unknown'
  )
    return state;
  return blockedState(state, phase, blocker, checks);
}

function phaseState(
  canary: Obj,
  phase: CanaryPhase | undefined,
  rawPhase: string | undefined,
  events: CanaryEvent[],
  checks: { failedChecks: number; threshold: number },
  decisions: DecisionState,
): ReleaseState {
  if (canary.spec?.suspend) {
    return {
      kind: 'suspended',
      tone: 'neutral',
      headline: 'Suspended',
      detail: `spec.suspend is true: Flagger leaves this canary alone${
        phase ? ` (phase ${phase})` : ''
      } until it is resumed; traffic stays where it is.`,
    };
  }
  switch (phase) {
    case undefined:
      return rawPhase
        ? {
            kind: 'unknown',
            tone: 'neutral',
            headline: `Unknown phase "${rawPhase}"`,
            detail:
              'Flagger reports a phase this plugin does not know (a newer Flagger, or a fork); nothing is inferred from it.',
          }
        : {
            kind: 'initializing',
            tone: 'progress',
            headline: 'Not initialized yet',
            detail: 'Flagger has not written a status for this canary yet.',
          };
    case 'Initializing':
      return {
        kind: 'initializing',
        tone: 'progress',
        headline: 'Initializing',
        detail:
          'Flagger is creating the primary workload, services and routes.',
      };
    case 'Initialized':
      return {
        kind: 'idle',
        tone: 'ok',
        headline: 'Initialized: all traffic on the primary',
        detail: 'A new revision of the target starts a release.',
      };
    case 'Waiting':
      return {
        kind: 'waiting-rollout-approval',
        tone: 'waiting',
        headline: 'Waiting for approval to start the rollout',
        detail:
          'A new revision is ready; its confirm-rollout gate has not approved it yet.',
        waitingFor: 'confirm-rollout',
      };
    case 'Progressing': {
      const latest = latestProgressEvent(events);
      const trafficGateClosed =
        latest?.category === 'gate-wait' &&
        /traffic increase approval/i.test(latest.message);
      if (decisions.paused || trafficGateClosed) {
        return {
          kind: 'waiting-traffic-approval',
          tone: 'waiting',
          headline: decisions.paused
            ? 'Paused: traffic increases held'
            : 'Waiting for traffic increase approval',
          detail:
            'The weight stays where it is; metrics and failed checks are still evaluated.',
          waitingFor: 'confirm-traffic-increase',
        };
      }
      const halt =
        checks.failedChecks > 0
          ? currentRun(events).find(event => event.category === 'halt')
          : undefined;
      return {
        kind: 'progressing',
        tone: checks.failedChecks > 0 ? 'waiting' : 'progress',
        headline: 'Analysis in progress',
        detail:
          checks.failedChecks > 0
            ? `${checks.failedChecks} of ${checks.threshold} failed checks${
                halt ? `; last: ${haltReason(halt.message)}` : ''
              }. Reaching ${checks.threshold} rolls the release back.`
            : undefined,
      };
    }
    case 'WaitingPromotion':
      return {
        kind: 'waiting-promotion-approval',
        tone: 'waiting',
        headline: 'Waiting for promotion approval',
        detail:
          'The analysis passed; the confirm-promotion gate decides. Metrics keep being checked meanwhile.',
        waitingFor: 'confirm-promotion',
      };
    case 'Promoting':
      return {
        kind: 'promoting',
        tone: 'progress',
        headline: 'Promoting',
        detail: 'The canary template is being copied to the primary.',
      };
    case 'Finalising':
      return {
        kind: 'finalising',
        tone: 'progress',
        headline: 'Finalising',
        detail:
          'All traffic is back on the primary; the canary is scaled to zero.',
      };
    case 'Succeeded':
      return {
        kind: 'succeeded',
        tone: 'ok',
        headline: 'Succeeded: the new revision is promoted',
      };
    case 'Failed': {
      const reason = rollbackReason(events);
      return {
        kind: 'failed',
        tone: 'error',
        headline: reason ? `Rolled back: ${reason}` : 'Rolled back',
        detail:
          'The primary keeps serving the previous revision; a new revision starts a new release.',
      };
    }
    case 'Terminating':
      return {
        kind: 'terminating',
        tone: 'neutral',
        headline: 'Terminating',
        detail: 'The canary is being deleted and its changes reverted.',
      };
    case 'Terminated':
      return { kind: 'terminated', tone: 'neutral', headline: 'Terminated' };
    default:
      return {
        kind: 'unknown',
        tone: 'neutral',
        headline: `Unknown phase "${rawPhase}"`,
      };
  }
}
