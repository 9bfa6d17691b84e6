import {
  CanaryEvent,
  CanaryPhase,
  RollbackReport,
  RolloutTrigger,
  TrackedConfig,
  TrafficProgress,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { RolloutProgress } from '../types';
import { currentRun } from './events';

/**
 * What happened to a release and why it started, for a person who was not watching: Flagger
 * resets the status of a failed canary and never says what changed.
 */

type Obj = Record<string, any>;

/** Phases in which the target holds the revision under release and the primary the previous one. */
const RELEASING: CanaryPhase[] = [
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Failed',
];

/** Tracked configs as `configmap/<name>` → checksum, from a revision key (`spec+a=x,b=y`). */
function trackedOfRevision(revision: string): Map<string, string> {
  const plus = revision.indexOf('+');
  const tracked = new Map<string, string>();
  if (plus === -1) return tracked;
  for (const entry of revision.slice(plus + 1).split(',')) {
    const equals = entry.lastIndexOf('=');
    if (equals > 0)
      tracked.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return tracked;
}

function containersOf(deployment: Obj | undefined): Obj[] {
  const containers = deployment?.spec?.template?.spec?.containers;
  return Array.isArray(containers) ? containers : [];
}

/**
 * The pod template as Flagger copies it to the primary: it renames the tracked ConfigMaps and
 * Secrets to `<name>-primary` and the app label to `<target>-primary`.
 */
function comparableTemplate(
  deployment: Obj | undefined,
  primary: boolean,
): string {
  const spec = deployment?.spec?.template?.spec ?? {};
  const json = JSON.stringify({
    containers: spec.containers,
    initContainers: spec.initContainers,
    volumes: spec.volumes,
  });
  return primary ? json.replace(/-primary"/g, '"') : json;
}

/**
 * Why the current rollout started. Only while the target holds the new revision and the
 * primary the old one (Waiting through Progressing, and Failed); once promotion copies the
 * template, the two sides no longer tell.
 */
export function rolloutTrigger(options: {
  phase?: CanaryPhase;
  target?: Obj;
  primary?: Obj;
  trackedConfigs: TrackedConfig[];
  /** The revision key of the canary's rollout before this one, from the history. */
  previousRevision?: string;
}): RolloutTrigger | undefined {
  const { phase, target, primary } = options;
  if (!phase || !RELEASING.includes(phase) || !target || !primary)
    return undefined;
  const before = new Map(
    containersOf(primary).map(container => [container?.name, container?.image]),
  );
  const images = containersOf(target)
    .filter(
      container =>
        typeof container?.image === 'string' &&
        before.get(container.name) !== container.image,
    )
    .map(container => ({
      container: String(container.name),
      from: before.get(container.name) ?? undefined,
      to: container.image as string,
    }));
  // While Waiting, Flagger has not written the new revision's checksums yet.
  const previous =
    options.previousRevision !== undefined && phase !== 'Waiting'
      ? trackedOfRevision(options.previousRevision)
      : undefined;
  const configs = previous
    ? options.trackedConfigs
        .filter(
          config =>
            previous.get(`${config.kind}/${config.name}`) !== config.checksum,
        )
        .filter(() => previous.size > 0)
        .map(config => ({ kind: config.kind, name: config.name }))
    : [];
  const parts: string[] = [];
  if (images.length > 0) {
    parts.push(
      images
        .map(
          change =>
            `image of container ${change.container} changed${
              change.from ? ` from ${change.from}` : ''
            } to ${change.to}`,
        )
        .join('; '),
    );
  }
  if (configs.length > 0) {
    parts.push(
      `${configs
        .map(
          config =>
            `${config.kind === 'secret' ? 'Secret' : 'ConfigMap'} ${
              config.name
            }`,
        )
        .join(', ')} changed`,
    );
  }
  if (parts.length > 0) {
    const description = parts.join('; ');
    return {
      kind: images.length > 0 ? 'image' : 'config',
      images,
      configs,
      description: description[0].toUpperCase() + description.slice(1),
    };
  }
  const unchanged =
    comparableTemplate(target, false) === comparableTemplate(primary, true);
  if (!unchanged) {
    return {
      kind: 'pod-template',
      images,
      configs,
      description:
        'The pod template changed, not its images: environment, arguments, resources or volumes.',
    };
  }
  if (options.trackedConfigs.length > 0 && !previous) {
    return {
      kind: 'unknown',
      images,
      configs,
      description:
        'The pod template is the primary’s: a tracked ConfigMap or Secret changed, or Flagger restarted the analysis.',
    };
  }
  return {
    kind: 'restart',
    images,
    configs,
    description:
      'The pod template is unchanged: Flagger restarted the analysis of the same workload (as after a Flagger upgrade that changes its revision hash).',
  };
}

const ADVANCE_WEIGHT = /^Advance \S+ canary weight (\d+)/;
const ADVANCE_ITERATION = /^Advance \S+ canary iteration (\d+)\/(\d+)/;
const THRESHOLD_REACHED = /failed checks threshold reached (\d+)/;

/**
 * How far a rolled-back release got and the checks that ended it: the furthest of what the
 * rollout record saw and what the run's events say (Kubernetes keeps them about an hour).
 */
export function rollbackReport(options: {
  phase?: CanaryPhase;
  events: CanaryEvent[];
  traffic: TrafficProgress;
  /** Weights of the steps, for the step a weight was at (canary strategy). */
  weightSteps: number[];
  threshold: number;
  rollout?: RolloutProgress;
}): RollbackReport | undefined {
  if (options.phase !== 'Failed') return undefined;
  const { traffic, rollout, threshold } = options;
  const run = currentRun(options.events);
  const furthest = (values: Array<number | undefined>) => {
    const known = values.filter(
      (value): value is number => typeof value === 'number' && value > 0,
    );
    return known.length > 0 ? Math.max(...known) : undefined;
  };
  const weightFromEvents = run.map(event =>
    Number(ADVANCE_WEIGHT.exec(event.message)?.[1] ?? NaN),
  );
  const iterationsFromEvents = run.map(event =>
    Number(ADVANCE_ITERATION.exec(event.message)?.[1] ?? NaN),
  );
  const thresholdEvent = run.find(event =>
    THRESHOLD_REACHED.test(event.message),
  );
  const failures: RollbackReport['failures'] = run
    .filter(event => event.category === 'halt' && event.type === 'Warning')
    .map(event => ({
      message: event.message,
      count: event.count,
      lastSeen: event.lastSeen,
    }));
  if (failures.length === 0 && rollout?.lastHaltReason) {
    failures.push({ message: rollout.lastHaltReason, count: 1 });
  }
  const report: RollbackReport = {
    threshold,
    totalSteps: traffic.totalSteps,
    failedChecks: furthest([
      thresholdEvent
        ? Number(THRESHOLD_REACHED.exec(thresholdEvent.message)?.[1])
        : undefined,
      rollout?.failedChecks,
    ]),
    failures,
  };
  if (traffic.mode === 'weight') {
    report.reachedWeight = furthest([
      ...weightFromEvents,
      rollout?.reachedWeight,
    ]);
    report.reachedStep =
      report.reachedWeight !== undefined
        ? options.weightSteps.filter(weight => weight <= report.reachedWeight!)
            .length
        : undefined;
  } else {
    report.reachedStep = furthest([
      ...iterationsFromEvents,
      rollout?.reachedIterations,
    ]);
  }
  return report;
}
