import {
  ActionResponse,
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/** An accepted action whose effect Flagger has not shown yet. */
export interface PendingAction {
  action: CanaryAction;
  response: ActionResponse;
  requestedAt: number;
  /** The summary when the action was accepted, to notice when Flagger moved. */
  before: Pick<CanarySummary, 'phase' | 'revision'> & {
    stateKind: CanarySummary['state']['kind'];
    currentStep: number;
  };
}

export function pendingFrom(
  action: CanaryAction,
  response: ActionResponse,
  summary: CanarySummary,
  now = Date.now(),
): PendingAction {
  return {
    action,
    response,
    requestedAt: now,
    before: {
      phase: summary.phase,
      revision: summary.revision,
      stateKind: summary.state.kind,
      currentStep: summary.traffic.currentStep,
    },
  };
}

/**
 * Whether the latest summary shows that Flagger acted on the decision: it reports the
 * decision as applied, the phase or revision moved on, or (pause/resume, which have no
 * phase of their own) the traffic state changed accordingly.
 */
export function isActionSeen(
  pending: PendingAction,
  summary: CanarySummary,
): boolean {
  const decision = summary.pendingDecision;
  if (decision?.action === pending.action && decision.appliedAt) {
    return true;
  }
  if (
    summary.revision !== pending.before.revision ||
    summary.phase !== pending.before.phase
  ) {
    return true;
  }
  switch (pending.action) {
    case 'pause':
      return summary.state.kind === 'waiting-traffic-approval';
    case 'resume':
      return (
        summary.traffic.currentStep !== pending.before.currentStep ||
        (pending.before.stateKind === 'waiting-traffic-approval' &&
          summary.state.kind !== 'waiting-traffic-approval')
      );
    default:
      return false;
  }
}

/** A decision Flagger acted on, and the release as it was at that moment. */
export interface AppliedAction {
  action: CanaryAction;
  requestedAt: number;
  phase: CanarySummary['phase'];
  revision: CanarySummary['revision'];
  stateKind: CanarySummary['state']['kind'];
}

export function appliedFrom(
  pending: PendingAction,
  summary: CanarySummary,
): AppliedAction {
  return {
    action: pending.action,
    requestedAt: pending.requestedAt,
    phase: summary.phase,
    revision: summary.revision,
    stateKind: summary.state.kind,
  };
}

/**
 * Whether the release has moved past the moment Flagger applied the decision: another
 * phase, revision or state (a release can wait at another gate while its phase stays the
 * same), or it waits for a person again (and for a pause, traffic no longer held), so the
 * line "Flagger applied it" no longer describes it.
 */
export function hasMovedPast(
  applied: AppliedAction,
  summary: CanarySummary,
): boolean {
  if (
    summary.phase !== applied.phase ||
    summary.revision !== applied.revision ||
    summary.state.kind !== applied.stateKind
  ) {
    return true;
  }
  if (applied.action === 'pause') {
    return summary.state.kind !== 'waiting-traffic-approval';
  }
  // Waiting for a person again is news of its own; "applied" would read as if nothing were asked.
  return summary.state.waitingFor !== undefined;
}

const DONE: Record<CanaryAction, string> = {
  promote: 'You promoted this release',
  rollback: 'You rolled this release back',
  pause: 'You paused the traffic increases',
  resume: 'You resumed the traffic increases',
  'approve-rollout': 'You approved this rollout',
};

/**
 * What became of a decision, in words of the release's state now; undefined once a new
 * revision is under release, because then the decision is history.
 */
export function describeOutcome(
  applied: AppliedAction,
  summary: CanarySummary,
  when: string | undefined,
): string | undefined {
  if (summary.revision !== applied.revision) {
    return undefined;
  }
  const kind = summary.state.kind;
  // A new rollout is on its way (Flagger writes its revision only when it starts): the decision is history.
  const terminalDecision =
    applied.action === 'promote' || applied.action === 'rollback';
  if (
    kind === 'waiting-rollout-approval' ||
    kind === 'initializing' ||
    (terminalDecision &&
      !['promoting', 'finalising', 'succeeded', 'failed'].includes(kind))
  ) {
    return undefined;
  }
  const done = `${DONE[applied.action]}${when ? ` ${when}` : ''}`;
  if (kind === 'succeeded' && applied.action !== 'rollback') {
    return `${done}; Flagger promoted it and all traffic is on the new version.`;
  }
  if (kind === 'failed' && applied.action === 'rollback') {
    return `${done}; Flagger rolled it back and all traffic is on the primary.`;
  }
  if (kind === 'failed') {
    return `${done}; Flagger then rolled it back: ${summary.state.headline}.`;
  }
  return `${done}. Since then: ${summary.state.headline}.`;
}

/** How long to wait before saying that Flagger seems slow: three analysis ticks, at least a minute. */
export function patienceMs(summary: CanarySummary): number {
  return Math.max(60, summary.intervalSeconds * 3) * 1000;
}

/** What the action does, in words for the confirmation dialog. */
export function describeAction(
  action: CanaryAction,
  summary: CanarySummary,
): string {
  const canaryImages = summary.canary?.images.map(i => i.image).join(', ');
  const version = canaryImages ? ` (${canaryImages})` : '';
  switch (action) {
    case 'promote':
      return summary.phase === 'WaitingPromotion'
        ? `Flagger copies the canary${version} to the primary, moves all traffic to it and scales the canary down.`
        : `Approves promotion of this revision${version} in advance: Flagger keeps analysing and promotes as soon as the remaining steps pass. Failed checks can still roll it back.`;
    case 'rollback':
      return `Flagger stops the analysis, sends all traffic back to the primary${
        summary.primary?.images.length
          ? ` (${summary.primary.images.map(i => i.image).join(', ')})`
          : ''
      }, scales the canary down and marks the rollout Failed.`;
    case 'pause':
      return `Flagger holds the canary at its current traffic weight${
        summary.traffic.canaryWeight !== undefined
          ? ` (${summary.traffic.canaryWeight}%)`
          : ''
      }. The analysis keeps running, so failed checks can still roll it back.`;
    case 'resume':
      return 'Flagger continues to increase the canary traffic step by step as the analysis passes.';
    case 'approve-rollout':
      return `Flagger starts the analysis of the new revision${version}: the canary is scaled up and receives traffic step by step.`;
    default:
      return '';
  }
}
