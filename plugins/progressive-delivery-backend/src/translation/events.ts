import { CanaryEvent, CanaryEventCategory } from '@progressive-delivery/plugin-progressive-delivery-common';

type Obj = Record<string, any>;

// Flagger gives every event reason "Synced"; the message prefix is what tells them apart.
const RULES: Array<[RegExp, CanaryEventCategory]> = [
  [/waiting for (approval|traffic increase approval|promotion approval)/i, 'gate-wait'],
  [/^(Confirm-[a-z-]+|Pre-rollout|Post-rollout|Rollback) check .* passed/i, 'gate-pass'],
  [/^Rolling back|manual webhook invoked/i, 'rollback'],
  [/^Canary failed|^Promotion of .* failed|Post-rollout hook .* failed/i, 'failure'],
  [/^Halt|no values found|query failed|not ready/i, 'halt'],
  [/^New revision detected/i, 'new-revision'],
  [/^Advance|^Starting canary analysis|^Routing all traffic to canary|^Stop traffic mirroring/i, 'advance'],
  [/^Copying|^Routing all traffic to primary|^Promotion completed/i, 'promotion'],
  [/^Initialization done|metrics providers are available|^Error checking metric providers/i, 'initialization'],
];

export function classifyEventMessage(message: string): CanaryEventCategory {
  return RULES.find(([pattern]) => pattern.test(message))?.[1] ?? 'other';
}

const time = (event: Obj, field: 'first' | 'last'): string =>
  (field === 'first'
    ? event.firstTimestamp ?? event.eventTime ?? event.metadata?.creationTimestamp
    : event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp
  )?.toString() ?? new Date(0).toISOString();

const iso = (value: string | Date) => new Date(value).toISOString();

/** Kubernetes Events about one Canary, classified, newest first. */
export function toCanaryEvents(events: Obj[]): CanaryEvent[] {
  return events
    .map((event, order) => ({
      order,
      category: classifyEventMessage(event.message ?? ''),
      type: (event.type === 'Warning' ? 'Warning' : 'Normal') as CanaryEvent['type'],
      message: event.message ?? '',
      firstSeen: iso(time(event, 'first')),
      lastSeen: iso(time(event, 'last')),
      count: event.count ?? 1,
    }))
    // Timestamps have second precision; within a second, later in the list is newer.
    .sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || b.order - a.order)
    .map(({ order: _order, ...event }) => event);
}
