import {
  CanaryEvent,
  CanaryEventCategory,
} from '@progressive-delivery/plugin-progressive-delivery-common';

type Obj = Record<string, any>;

/*
 * Flagger gives every event reason "Synced"; the message is what tells them apart
 * (pkg/controller/events.go and the scheduler). First match wins, so the specific forms
 * ("Halt ... waiting for ... approval", "Advance ... primary weight") come before the
 * general ones.
 */
const RULES: Array<[RegExp, CanaryEventCategory]> = [
  [
    /^all the metrics providers are available|^Initialization done|^Error checking metric providers/i,
    'initialization',
  ],
  [/^New revision detected/i, 'new-revision'],
  [
    /^Halt .*advancement waiting for (approval|traffic increase approval|promotion approval)/i,
    'gate-wait',
  ],
  [/^Rollback check .* passed|^Rolling back /i, 'rollback'],
  [
    /^(Confirm-rollout|Confirm-traffic-increase|Confirm-promotion|Pre-rollout|Post-rollout) check .* passed/i,
    'gate-pass',
  ],
  [
    /^Canary failed|^Promotion of .* failed|^Post-rollout hook .* failed/i,
    'failure',
  ],
  [
    /^Copying |^Routing all traffic to primary|^Advance .* primary weight|^Promotion completed/i,
    'promotion',
  ],
  [
    /^Advance |^Starting canary analysis|^Routing all traffic to canary|^Stop traffic mirroring/i,
    'advance',
  ],
  [
    /^Halt |^Prometheus query failed|^Metric query failed| not ready: /i,
    'halt',
  ],
];

export function classifyEventMessage(message: string): CanaryEventCategory {
  return RULES.find(([pattern]) => pattern.test(message))?.[1] ?? 'other';
}

function timestamp(event: Obj, which: 'first' | 'last'): string {
  const value =
    which === 'first'
      ? event.firstTimestamp ??
        event.eventTime ??
        event.metadata?.creationTimestamp
      : event.series?.lastObservedTime ??
        event.lastTimestamp ??
        event.eventTime ??
        event.firstTimestamp ??
        event.metadata?.creationTimestamp;
  const parsed =
    typeof value === 'string' || typeof value === 'number'
      ? new Date(value)
      : undefined;
  return parsed && !Number.isNaN(parsed.getTime())
    ? parsed.toISOString()
    : new Date(0).toISOString();
}

/**
 * Kubernetes Events about one Canary (given oldest first, as the store keeps them),
 * classified and ordered **newest first**, the order a person reads a log of what just happened.
 */
export function toCanaryEvents(events: Obj[]): CanaryEvent[] {
  return (
    events
      .map((event, order) => {
        const message = typeof event.message === 'string' ? event.message : '';
        const count = event.series?.count ?? event.count;
        return {
          order,
          category: classifyEventMessage(message),
          type: (event.type === 'Warning'
            ? 'Warning'
            : 'Normal') as CanaryEvent['type'],
          message,
          firstSeen: timestamp(event, 'first'),
          lastSeen: timestamp(event, 'last'),
          count:
            typeof count === 'number' && Number.isFinite(count)
              ? Math.max(1, count)
              : 1,
        };
      })
      // Timestamps have second precision; within a second, later in the input is newer.
      .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || b.order - a.order)
      .map(({ order: _order, ...event }) => event)
  );
}

/** The events of the current run (newest first): those since the newest "New revision detected". */
export function currentRun(events: CanaryEvent[]): CanaryEvent[] {
  const start = events.findIndex(event => event.category === 'new-revision');
  return start === -1 ? events : events.slice(0, start + 1);
}
