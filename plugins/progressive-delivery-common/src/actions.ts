import {
  ActionAvailability,
  CanaryAction,
  CanaryPhase,
  ConfiguredWebhook,
  GateKind,
} from './canary';

/**
 * The gate through which the portal carries out each action.
 *
 * @public
 */
export const GATE_FOR_ACTION: Record<CanaryAction, GateKind> = {
  promote: 'confirm-promotion',
  rollback: 'rollback',
  pause: 'confirm-traffic-increase',
  resume: 'confirm-traffic-increase',
  'approve-rollout': 'confirm-rollout',
};

/**
 * The words a button or a message uses for each action.
 *
 * @public
 */
export const ACTION_LABELS: Record<CanaryAction, string> = {
  promote: 'Promote',
  rollback: 'Roll back',
  pause: 'Pause',
  resume: 'Resume',
  'approve-rollout': 'Approve rollout',
};

/**
 * What the canary looks like to the rules below.
 *
 * @public
 */
export interface ActionContext {
  /** The canary's Flagger phase, when it has one. */
  phase?: CanaryPhase;
  /** How Flagger moves traffic for the canary. */
  strategy: 'canary' | 'blue-green' | 'ab-testing';
  /** The canary's webhooks; an action needs its gate pointing at this portal. */
  webhooks: ConfiguredWebhook[];
  /** The portal has paused traffic increases for the current revision. */
  paused: boolean;
  /** A terminal decision (promote or rollback) already recorded for the current revision. */
  decided?: 'promote' | 'rollback';
  /** The analysis interval, to say when an action takes effect. */
  intervalSeconds: number;
}

const ANALYSIS_PHASES: CanaryPhase[] = ['Progressing', 'WaitingPromotion'];

function phaseAllows(
  action: CanaryAction,
  context: ActionContext,
): string | undefined {
  const phase = context.phase;
  const inAnalysis = phase !== undefined && ANALYSIS_PHASES.includes(phase);
  switch (action) {
    case 'promote':
    case 'rollback':
    case 'pause':
      if (!inAnalysis) {
        return phase
          ? `Only possible while the analysis runs (Progressing or WaitingPromotion); the canary is ${phase}.`
          : 'Only possible while the analysis runs; the canary has no phase yet.';
      }
      if (action === 'pause' && context.strategy !== 'canary') {
        return 'Pause holds the traffic weight, which only the canary strategy increases step by step.';
      }
      if (action === 'pause' && phase === 'WaitingPromotion') {
        // Flagger asks confirm-traffic-increase only before a step while Progressing.
        return 'Every traffic step is done and the canary waits for promotion; nothing is left to pause. Promote or roll back.';
      }
      if (action === 'pause' && context.paused) {
        return 'Traffic increases are already paused for this revision.';
      }
      return undefined;
    case 'resume':
      return context.paused
        ? undefined
        : 'Nothing to resume: traffic increases are not paused.';
    case 'approve-rollout':
      return phase === 'Waiting'
        ? undefined
        : `Only possible while a new revision waits for approval to start (Waiting); the canary is ${
            phase ?? 'without a phase'
          }.`;
    default:
      return 'Unknown action.';
  }
}

/**
 * Whether the current state allows an action, and why not. The backend enforces the same
 * rules (answering 409), so the buttons and the API never disagree.
 *
 * @public
 */
export function getActionAvailability(
  action: CanaryAction,
  context: ActionContext,
): ActionAvailability {
  const gate = GATE_FOR_ACTION[action];
  const effect = `Takes effect when Flagger next calls its ${gate} webhook, at the next analysis tick (within ${context.intervalSeconds}s).`;
  const hasGate = context.webhooks.some(
    hook => hook.type === gate && hook.servedByPortal,
  );
  if (!hasGate) {
    return {
      action,
      applicable: false,
      reason: `The Canary has no ${gate} webhook pointing at this portal, so Flagger would not ask; add one to spec.analysis.webhooks.`,
      effect,
    };
  }
  if (
    context.decided &&
    (action === 'promote' || action === 'rollback') &&
    context.decided !== action
  ) {
    return {
      action,
      applicable: false,
      reason: `This revision is already decided: ${
        context.decided === 'promote' ? 'promotion' : 'rollback'
      } was approved.`,
      effect,
    };
  }
  const reason = phaseAllows(action, context);
  return { action, applicable: reason === undefined, reason, effect };
}

/**
 * Every action, in the order a UI shows them.
 *
 * @public
 */
export const CANARY_ACTIONS: CanaryAction[] = [
  'approve-rollout',
  'promote',
  'pause',
  'resume',
  'rollback',
];

/**
 * {@link getActionAvailability} for every action in {@link CANARY_ACTIONS}.
 *
 * @public
 */
export function getAllActionAvailability(
  context: ActionContext,
): ActionAvailability[] {
  return CANARY_ACTIONS.map(action => getActionAvailability(action, context));
}
