import {
  CanaryEvent,
  CanaryPhase,
  ReleaseBlocker,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { currentRun } from './events';

/**
 * What a canary is stuck on, read from Flagger's events of the current run and the Deployments
 * Flagger waits for. Flagger repeats the same warning every analysis tick while it waits, so
 * the newest event that tells what the analysis is doing says whether it is still stuck.
 */

type Obj = Record<string, any>;

/** Flagger v1.44's `progressDeadlineSeconds` default (pkg/apis/flagger/v1beta1/canary.go). */
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/*
 * Flagger's words (pkg/canary/deployment_ready.go, pkg/controller/scheduler_hooks.go and
 * scheduler.go): `<target>-primary.<ns> not ready: <why>`, `canary deployment <target>.<ns> not
 * ready: <why>`, `Halt <name>.<ns> advancement pre-rollout check <hook> failed <error>` and
 * `Halt <name>.<ns> advancement external check <hook> failed <error>` (rollout hooks).
 */
const PRIMARY_NOT_READY = /^(\S+)-primary\.\S+ not ready: /;
const CANARY_NOT_READY = /^canary deployment (\S+?)\.\S+ not ready: /;
const WEBHOOK_FAILED =
  /^Halt \S+ advancement (pre-rollout|external) check (\S+) failed ([\s\S]*)$/;

/**
 * Messages Flagger writes every tick before it runs into what holds it ("Starting canary
 * analysis" precedes the pre-rollout hooks, the providers check precedes the primary's
 * readiness during initialization): they say nothing about having moved on.
 */
const EVERY_TICK = /^Starting canary analysis|^all the metrics providers/i;

/** The phases in which Flagger waits for a workload or a hook, tick after tick. */
const WAITING_PHASES: ReadonlyArray<CanaryPhase | undefined> = [
  undefined,
  'Initializing',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];

function condition(deployment: Obj | undefined, type: string): Obj | undefined {
  const conditions = deployment?.status?.conditions;
  return Array.isArray(conditions)
    ? conditions.find(
        c => c !== null && typeof c === 'object' && c.type === type,
      )
    : undefined;
}

function iso(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : undefined;
}

/** The Deployment's own account of why it is not progressing, when it gives one. */
function deploymentReason(deployment: Obj): string | undefined {
  const failure = condition(deployment, 'ReplicaFailure');
  if (failure?.status === 'True' && typeof failure.message === 'string')
    return failure.message;
  const progressing = condition(deployment, 'Progressing');
  if (
    progressing?.reason === 'ProgressDeadlineExceeded' &&
    typeof progressing.message === 'string'
  )
    return progressing.message;
  return undefined;
}

/** When the canary entered its current phase: the Promoted condition Flagger keeps per phase. */
function phaseStart(canary: Obj, phase: CanaryPhase | undefined) {
  const promoted = Array.isArray(canary.status?.conditions)
    ? canary.status.conditions.find(
        (c: unknown) =>
          c !== null && typeof c === 'object' && (c as Obj).type === 'Promoted',
      )
    : undefined;
  if (phase && promoted?.reason === phase) {
    const at = iso(promoted.lastUpdateTime) ?? iso(promoted.lastTransitionTime);
    if (at) return at;
  }
  return iso(canary.status?.lastTransitionTime);
}

/**
 * Flagger's progress deadline for a workload that is not ready (`isDeploymentReady`): once the
 * Deployment has observed its generation and reports Available=False (MinimumReplicasUnavailable),
 * Flagger rolls back when that condition is older than `progressDeadlineSeconds`, and at once
 * when the Deployment itself reports ProgressDeadlineExceeded. Without that condition Flagger's
 * clock does not run; the deadline is then counted from the start of the phase, for information.
 */
function progressDeadline(
  canary: Obj,
  phase: CanaryPhase | undefined,
  deployment: Obj | undefined,
  since: string,
  now: Date,
): NonNullable<ReleaseBlocker['progressDeadline']> {
  const configured = canary.spec?.progressDeadlineSeconds;
  const seconds =
    typeof configured === 'number' &&
    Number.isFinite(configured) &&
    configured >= 0
      ? configured
      : DEFAULT_PROGRESS_DEADLINE_SECONDS;
  const generation = count(deployment?.metadata?.generation) ?? 0;
  const observed = count(deployment?.status?.observedGeneration) ?? -1;
  const available = condition(deployment, 'Available');
  const exceeded =
    condition(deployment, 'Progressing')?.reason === 'ProgressDeadlineExceeded';
  const flaggerClock =
    observed >= generation &&
    available?.status === 'False' &&
    available.reason === 'MinimumReplicasUnavailable'
      ? iso(available.lastUpdateTime)
      : undefined;
  const enforced =
    observed >= generation && (exceeded || Boolean(flaggerClock));
  const from = flaggerClock ?? phaseStart(canary, phase) ?? since;
  const at = new Date(Date.parse(from) + seconds * 1000);
  return {
    seconds,
    at: at.toISOString(),
    passed:
      (observed >= generation && exceeded) || now.getTime() >= at.getTime(),
    enforced,
  };
}

/**
 * What holds the canary in its phase, when Flagger's newest word in the current run says it
 * waits for a Deployment or failed a pre-rollout or rollout webhook; undefined otherwise.
 */
export function blockerOf(input: {
  canary: Obj;
  phase: CanaryPhase | undefined;
  events: CanaryEvent[];
  target?: Obj;
  primary?: Obj;
  now: Date;
}): ReleaseBlocker | undefined {
  const { canary, phase, events, now } = input;
  if (!WAITING_PHASES.includes(phase)) return undefined;
  const run = currentRun(events);
  const latest = run.find(
    event => event.category !== 'other' && !EVERY_TICK.test(event.message),
  );
  if (!latest) return undefined;
  // An aggregated event may have begun in an earlier run; this run's wait starts with the run.
  const runStart = run.find(
    event => event.category === 'new-revision',
  )?.lastSeen;
  const since =
    runStart && runStart > latest.firstSeen ? runStart : latest.firstSeen;

  const webhook = WEBHOOK_FAILED.exec(latest.message);
  if (webhook) {
    return {
      kind: 'webhook-failed',
      message: latest.message,
      since,
      webhook: {
        name: webhook[2],
        type: webhook[1] === 'pre-rollout' ? 'pre-rollout' : 'rollout',
        error: webhook[3],
      },
    };
  }

  let side: 'primary' | 'canary';
  if (PRIMARY_NOT_READY.test(latest.message)) side = 'primary';
  else if (CANARY_NOT_READY.test(latest.message)) side = 'canary';
  else return undefined;
  const deployment = side === 'primary' ? input.primary : input.target;
  const targetName =
    typeof canary.spec?.targetRef?.name === 'string'
      ? canary.spec.targetRef.name
      : '';
  return {
    kind: side === 'primary' ? 'primary-not-ready' : 'canary-not-ready',
    message: latest.message,
    since,
    workload: {
      name:
        typeof deployment?.metadata?.name === 'string'
          ? deployment.metadata.name
          : `${targetName}${side === 'primary' ? '-primary' : ''}`,
      readyReplicas: count(deployment?.status?.readyReplicas) ?? 0,
      // A Deployment without spec.replicas runs one pod.
      desiredReplicas: count(deployment?.spec?.replicas) ?? 1,
      condition: deployment ? deploymentReason(deployment) : undefined,
    },
    progressDeadline: progressDeadline(canary, phase, deployment, since, now),
  };
}
