import {
  ActionAvailability,
  CANARY_ACTIONS,
  CanaryAction,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/** Which actions a row offers as buttons, which it explains in its menu, in a stable order. */
export interface ActionPlan {
  /** Actions the current state allows (the common action rules say which). */
  buttons: ActionAvailability[];
  /** Actions that do not apply now, each with its reason. */
  menu: ActionAvailability[];
}

/**
 * Splits a canary's actions: those that apply now become buttons, the rest go into one menu
 * with their reason. Left out entirely: actions that never apply to the strategy (pause and
 * resume hold the weight, which only the canary strategy increases step by step), and the
 * one of Pause and Resume that is not the current choice.
 */
export function planActions(summary: CanarySummary): ActionPlan {
  const byAction = new Map(summary.actions.map(a => [a.action, a]));
  const resumable = Boolean(byAction.get('resume')?.applicable);
  const offered = CANARY_ACTIONS.filter((action: CanaryAction) => {
    switch (action) {
      case 'pause':
        return summary.strategy === 'canary' && !resumable;
      case 'resume':
        return summary.strategy === 'canary' && resumable;
      default:
        return true;
    }
  }).map(
    (action): ActionAvailability =>
      byAction.get(action) ?? {
        action,
        applicable: false,
        reason: 'The backend did not report whether this action is possible.',
      },
  );
  return {
    buttons: offered.filter(a => a.applicable),
    menu: offered.filter(a => !a.applicable),
  };
}
