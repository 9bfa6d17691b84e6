/* Where a release goes on the "Waiting for you" page, from its summary alone. */
import {
  CanarySummary,
  ReleaseStateKind,
  WAITING_FAILED_WITHIN_MS,
  WaitingSection,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * Phases whose releases the page never lists; most canaries are in one of them most of the time,
 * so they are not summarized at all.
 */
export const AT_REST_PHASES: unknown[] = [
  'Initialized',
  'Succeeded',
  'Terminating',
  'Terminated',
];

/** States a release is moving in (or held in) rather than at rest. */
const IN_PROGRESS_KINDS: ReleaseStateKind[] = [
  'initializing',
  'waiting-rollout-approval',
  'progressing',
  'waiting-traffic-approval',
  'waiting-promotion-approval',
  'promoting',
  'finalising',
];

/** Which section a release belongs in before the caller's permissions are known; undefined when at rest. */
export function sectionOf(
  summary: CanarySummary,
  now: Date,
): WaitingSection | undefined {
  const { state } = summary;
  if (state.kind === 'failed') {
    const since = summary.lastTransitionTime;
    return since &&
      now.getTime() - Date.parse(since) <= WAITING_FAILED_WITHIN_MS
      ? 'failed'
      : undefined;
  }
  if (state.waitingFor) return 'waiting';
  return IN_PROGRESS_KINDS.includes(state.kind) ? 'in-progress' : undefined;
}
