import { DateTime } from 'luxon';
import {
  canaryKey,
  AnalysisMetric,
  CanaryRef,
  CanarySummary,
  GateKind,
} from '@progressive-delivery/plugin-progressive-delivery-common';

export { canaryKey } from '@progressive-delivery/plugin-progressive-delivery-common';

export function sameRef(a: CanaryRef, b: CanaryRef): boolean {
  return (
    a.cluster === b.cluster && a.namespace === b.namespace && a.name === b.name
  );
}

/** "ada.lovelace" for "user:default/ada.lovelace"; other refs stay whole. */
export function personName(entityRef: string): string {
  return entityRef.replace(/^user:(default\/)?/, '');
}

/** "3 minutes ago"; undefined input gives undefined. */
export function relativeTime(iso: string | undefined): string | undefined {
  if (!iso) {
    return undefined;
  }
  const time = DateTime.fromISO(iso);
  if (!time.isValid) {
    return undefined;
  }
  // Clocks of browser and cluster differ a little, and Luxon calls "now" "in 0 seconds":
  // anything within a few seconds of now (or slightly ahead of it) is "just now".
  if (DateTime.now().diff(time, 'seconds').seconds < 5) {
    return 'just now';
  }
  return time.toRelative() ?? undefined;
}

export function absoluteTime(iso: string | undefined): string | undefined {
  if (!iso) {
    return undefined;
  }
  const time = DateTime.fromISO(iso);
  return time.isValid
    ? time.toLocaleString(DateTime.DATETIME_MED_WITH_SECONDS)
    : undefined;
}

/** A short duration for people: "under a minute", "4 min", "1 h 5 min". */
export function humanDuration(seconds: number): string {
  if (seconds < 60) {
    return 'under a minute';
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** "under a minute" or "about 5 min": never "about under a minute". */
export function approximateDuration(seconds: number): string {
  return seconds < 60 ? 'under a minute' : `about ${humanDuration(seconds)}`;
}

export const STRATEGY_LABELS: Record<CanarySummary['strategy'], string> = {
  canary: 'Canary',
  'blue-green': 'Blue-green',
  'ab-testing': 'A/B testing',
};

/** What a gate waits for, as the end of "Waiting for you: …". */
export const GATE_WAIT_LABELS: Record<GateKind, string> = {
  'confirm-rollout': 'approval to start the rollout',
  'confirm-traffic-increase': 'approval to increase traffic',
  'confirm-promotion': 'promotion approval',
  rollback: 'a rollback decision',
};

/** "Waiting for you: promotion approval", or the external gate's name when the portal does not serve it. */
export function waitingForText(summary: CanarySummary): string | undefined {
  const gate = summary.state.waitingFor;
  if (!gate) {
    return undefined;
  }
  const hooks = summary.webhooks.filter(hook => hook.type === gate);
  const servedHere = hooks.some(hook => hook.servedByPortal);
  if (servedHere || hooks.length === 0) {
    return `Waiting for you: ${GATE_WAIT_LABELS[gate]}`;
  }
  return `Waiting for an external gate (${hooks
    .map(hook => hook.name)
    .join(', ')}): ${GATE_WAIT_LABELS[gate]}`;
}

export function formatMetricValue(
  value: number | undefined,
  unit: AnalysisMetric['unit'],
): string {
  if (value === undefined || Number.isNaN(value)) {
    return '–';
  }
  const rounded = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2);
  switch (unit) {
    case 'percent':
      return `${value.toFixed(2)}%`;
    case 'milliseconds':
      return `${rounded} ms`;
    default:
      return rounded;
  }
}

/** "≥ 99%", "≤ 500 ms", "between 1 and 5". */
export function formatThreshold(
  range: { min?: number; max?: number },
  unit: AnalysisMetric['unit'],
): string {
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `between ${formatMetricValue(min, unit)} and ${formatMetricValue(
      max,
      unit,
    )}`;
  }
  if (min !== undefined) {
    return `≥ ${formatMetricValue(min, unit)}`;
  }
  if (max !== undefined) {
    return `≤ ${formatMetricValue(max, unit)}`;
  }
  return 'no threshold';
}

/**
 * Splits two image references into the shared prefix and the differing rest, so the UI can
 * highlight what changed ("ghcr.io/org/app:" + "6.7.0" vs "6.7.1"). The split never cuts a
 * path segment or tag in half.
 */
export function splitImageDifference(
  from: string,
  to: string,
): { common: string; from: string; to: string } {
  if (from === to) {
    return { common: from, from: '', to: '' };
  }
  let index = 0;
  while (
    index < from.length &&
    index < to.length &&
    from[index] === to[index]
  ) {
    index++;
  }
  const boundary = Math.max(
    from.lastIndexOf('/', index - 1),
    from.lastIndexOf(':', index - 1),
    from.lastIndexOf('@', index - 1),
  );
  const cut = boundary + 1;
  return {
    common: from.slice(0, cut),
    from: from.slice(cut),
    to: to.slice(cut),
  };
}

/**
 * The short form of an image reference people recognise: the last path segment with its tag
 * ("podinfo:6.7.1" for "ghcr.io/stefanprodan/podinfo:6.7.1"), a digest cut to 12 hex digits.
 */
export function shortImage(reference: string): string {
  const [withoutDigest, digest] = reference.split('@');
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  if (!digest) {
    return lastSegment;
  }
  const [algorithm, hex = ''] = digest.split(':');
  return `${lastSegment}@${
    hex ? `${algorithm}:${hex.slice(0, 12)}` : algorithm
  }`;
}

/** The state of a release in two or three words, for the compact overview's cells. */
export function shortStateLabel(summary: CanarySummary): string {
  const weight = summary.traffic.canaryWeight;
  switch (summary.state.kind) {
    case 'initializing':
      return 'Initializing';
    case 'idle':
      return 'No release running';
    case 'waiting-rollout-approval':
      return 'Waits to start';
    case 'progressing':
      return summary.traffic.mode === 'weight' && weight !== undefined
        ? `Progressing, ${weight}%`
        : `Progressing, ${summary.traffic.currentStep} of ${
            summary.traffic.totalSteps ?? '?'
          }`;
    case 'waiting-traffic-approval':
      return weight !== undefined ? `Paused at ${weight}%` : 'Paused';
    case 'waiting-promotion-approval':
      return 'Waits for promotion';
    case 'promoting':
      return 'Promoting';
    case 'finalising':
      return 'Finalising';
    case 'succeeded':
      return 'Promoted';
    case 'failed':
      return 'Rolled back';
    case 'terminating':
      return 'Terminating';
    case 'terminated':
      return 'Terminated';
    case 'suspended':
      return 'Suspended';
    default:
      return summary.phase ?? 'Unknown';
  }
}

/** An id for a canary's row that is safe in a URL fragment and an HTML id. */
export function canaryRowId(ref: CanaryRef): string {
  return `pd-row-${canaryKey(ref).replace(/[^a-zA-Z0-9-]/g, '-')}`;
}
