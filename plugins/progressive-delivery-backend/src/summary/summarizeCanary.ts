import { sanitizeCanary } from './sanitize';
import {
  AnalysisMetric,
  CANARY_PHASES,
  CanaryEvent,
  CanaryPhase,
  CanarySummary,
  ConfiguredWebhook,
  DeliveryStrategy,
  getAllActionAvailability,
  MetricVerdict,
  ReleaseState,
  TrackedConfig,
  TrafficProgress,
  WorkloadSide,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionState, WatchedCanary } from '../service/types';
import { toCanaryEvents } from './events';

type Obj = Record<string, any>;

/** A metric's current value as the metrics cache knows it. */
export interface MetricReading {
  value?: number;
  primaryValue?: number;
  query?: string;
  primaryQuery?: string;
  error?: string;
  at: string;
}

export interface SummarizeContext {
  decisions: DecisionState;
  webhookBaseUrl?: string;
  now: Date;
  clusterFresh: boolean;
  metricReadings?: Map<string, MetricReading>;
  /** Browser-reachable Prometheus, for links; undefined when not configured. */
  prometheusUrl?: string;
  prometheusConfigured?: boolean;
  /** Flagger's `-mesh-provider` in the canary's cluster, for canaries without `spec.provider`. */
  meshProvider?: string;
}

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

/**
 * Go's `time.ParseDuration` in seconds ("30s", "1m30s", "1.5h", "0"), as Flagger reads
 * `analysis.interval`; undefined when Go would reject the value.
 */
export function parseGoDurationSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = /^([-+]?)(.*)$/.exec(text)!;
  const sign = match[1] === '-' ? -1 : 1;
  const body = match[2];
  if (body === '0') return 0;
  if (body === '') return undefined;
  let total = 0;
  let rest = body;
  while (rest.length > 0) {
    const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!part) return undefined;
    total += Number(part[1]) * GO_DURATION_UNITS[part[2]];
    rest = rest.slice(part[0].length);
  }
  return sign * total;
}

/** A duration in seconds, or `fallback` when it is missing or Go could not parse it. */
export function parseDurationSeconds(value: unknown, fallback: number): number {
  return parseGoDurationSeconds(value) ?? fallback;
}

/** `GetAnalysisInterval()`: default 60 s, unparsable 60 s, below 10 s raised to 10 s. */
export function analysisIntervalSeconds(analysis: Obj | undefined): number {
  if (!analysis?.interval) return 60;
  const seconds = parseGoDurationSeconds(analysis.interval);
  if (seconds === undefined) return 60;
  return seconds < 10 ? 10 : seconds;
}

export function analysisOf(canary: Obj): Obj | undefined {
  return canary.spec?.analysis ?? canary.spec?.canaryAnalysis;
}

/** The provider Flagger routes with: the canary's own, else the cluster's `-mesh-provider`. */
export function routingProviderOf(
  canary: Obj,
  meshProvider?: string,
): string | undefined {
  const own = canary.spec?.provider;
  return typeof own === 'string' && own !== '' ? own : meshProvider;
}

export function strategyOf(
  canary: Obj,
  meshProvider?: string,
): DeliveryStrategy {
  const analysis = analysisOf(canary) ?? {};
  if (routingProviderOf(canary, meshProvider) === 'kubernetes')
    return 'blue-green';
  if (
    analysis.iterations > 0 &&
    Array.isArray(analysis.match) &&
    analysis.match.length > 0
  ) {
    return 'ab-testing';
  }
  if (analysis.iterations > 0) return 'blue-green';
  return 'canary';
}

/** Flagger's `maxWeight()`: the last of `stepWeights` (at most 100), else `maxWeight`, else 100. */
export function effectiveMaxWeight(analysis: Obj): number {
  let weight = analysis.maxWeight > 0 ? analysis.maxWeight : 100;
  if (Array.isArray(analysis.stepWeights) && analysis.stepWeights.length > 0) {
    weight = analysis.stepWeights[analysis.stepWeights.length - 1];
  }
  return Math.max(0, Math.min(100, weight));
}

/**
 * The weights Flagger moves the canary through (`nextStepWeight()` from 0 until the weight
 * reaches maxWeight), e.g. stepWeight 30 and maxWeight 50 give [30, 60].
 */
export function weightSteps(analysis: Obj): number[] {
  const maxWeight = effectiveMaxWeight(analysis);
  const steps: number[] = [];
  if (
    analysis.stepWeight > 0 ||
    !Array.isArray(analysis.stepWeights) ||
    analysis.stepWeights.length === 0
  ) {
    if (!(analysis.stepWeight > 0)) return steps;
    for (let weight = 0; weight < maxWeight && steps.length < 100; ) {
      weight = Math.min(100, weight + analysis.stepWeight);
      steps.push(weight);
    }
    return steps;
  }
  for (const weight of analysis.stepWeights as number[]) {
    if (typeof weight !== 'number' || weight <= (steps[steps.length - 1] ?? 0))
      continue;
    steps.push(Math.min(100, weight));
    if (weight >= maxWeight) break;
  }
  return steps;
}

function isKnownPhase(phase: unknown): phase is CanaryPhase {
  return (
    typeof phase === 'string' &&
    (CANARY_PHASES as readonly string[]).includes(phase)
  );
}

/** Iterations the analysis runs: `analysis.iterations`, or 10 when the kubernetes provider forces blue-green without them. */
export function configuredIterations(
  canary: Obj,
  meshProvider?: string,
): number | undefined {
  const iterations = analysisOf(canary)?.iterations;
  if (typeof iterations === 'number' && iterations > 0) return iterations;
  return routingProviderOf(canary, meshProvider) === 'kubernetes'
    ? 10
    : undefined;
}

function traffic(
  canary: Obj,
  strategy: DeliveryStrategy,
  phase?: CanaryPhase,
  meshProvider?: string,
): TrafficProgress {
  const analysis = analysisOf(canary) ?? {};
  const status = canary.status ?? {};
  if (strategy === 'canary') {
    const maxWeight = effectiveMaxWeight(analysis);
    const steps = weightSteps(analysis);
    const stepWeights: number[] | undefined = Array.isArray(
      analysis.stepWeights,
    )
      ? analysis.stepWeights
      : undefined;
    const stepWeight: number | undefined =
      analysis.stepWeight > 0 ? analysis.stepWeight : undefined;
    let canaryWeight: number | undefined =
      typeof status.canaryWeight === 'number'
        ? Math.max(0, Math.min(100, status.canaryWeight))
        : undefined;
    let weightSource: TrafficProgress['weightSource'] =
      canaryWeight === undefined ? undefined : 'status';
    // setStatusPhase writes canaryWeight 0 for WaitingPromotion while the route still holds
    // the last step's weight (the one that reached maxWeight).
    if (phase === 'WaitingPromotion') {
      canaryWeight = steps.length > 0 ? steps[steps.length - 1] : maxWeight;
      weightSource = 'derived';
    }
    const totalSteps = steps.length > 0 ? steps.length : undefined;
    const currentStep = steps.filter(
      weight => weight <= (canaryWeight ?? 0),
    ).length;
    return {
      mode: 'weight',
      canaryWeight,
      weightSource,
      maxWeight,
      stepWeight,
      stepWeights,
      currentStep,
      totalSteps,
    };
  }
  const configured = configuredIterations(canary, meshProvider);
  // WaitingPromotion writes iterations-1 (the analysis is complete); after the last iteration
  // Flagger counts one more while it routes all traffic to the canary.
  const done =
    typeof status.iterations === 'number' && status.iterations > 0
      ? status.iterations
      : 0;
  return {
    mode: 'iterations',
    currentStep:
      phase === 'WaitingPromotion' && configured
        ? configured
        : Math.min(done, configured ?? done),
    totalSteps: configured,
  };
}

function side(deployment: Obj | undefined): WorkloadSide | undefined {
  if (!deployment) return undefined;
  return {
    name: deployment.metadata?.name,
    images: (deployment.spec?.template?.spec?.containers ?? []).map(
      (container: Obj) => ({
        container: container.name,
        image: container.image,
      }),
    ),
    replicas: {
      desired: deployment.spec?.replicas ?? 0,
      available: deployment.status?.availableReplicas ?? 0,
    },
  };
}

function trackedConfigs(canary: Obj): TrackedConfig[] {
  return Object.entries(
    (canary.status?.trackedConfigs ?? {}) as Record<string, string>,
  ).map(([key, checksum]) => {
    const [kind, ...rest] = key.split('/');
    return {
      kind: kind === 'secret' ? 'secret' : 'configmap',
      name: rest.join('/'),
      checksum,
    };
  });
}

/** The URL is the configured base or below it ("…/webhooks/dev/gates/…", not "…/webhooks-other"). */
export function isServedByPortal(
  url: unknown,
  webhookBaseUrl: string | undefined,
): boolean {
  if (!webhookBaseUrl || typeof url !== 'string') return false;
  const base = webhookBaseUrl.replace(/\/+$/, '');
  return (
    url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`)
  );
}

function webhooks(canary: Obj, webhookBaseUrl?: string): ConfiguredWebhook[] {
  const list = analysisOf(canary)?.webhooks;
  return (Array.isArray(list) ? list : [])
    .filter((hook: unknown) => hook !== null && typeof hook === 'object')
    .map((hook: Obj) => ({
      name: typeof hook.name === 'string' ? hook.name : '',
      type: typeof hook.type === 'string' && hook.type ? hook.type : 'rollout',
      url: typeof hook.url === 'string' ? hook.url : '',
      servedByPortal: isServedByPortal(hook.url, webhookBaseUrl),
    }));
}

export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'];

/** A metric Flagger answers with its own query for the provider (no `templateRef`, no `query`). */
export function isBuiltinMetric(metric: Obj): boolean {
  return (
    BUILTIN_METRICS.includes(metric?.name) &&
    !metric.templateRef &&
    !metric.query
  );
}

function metricUnit(metric: Obj): AnalysisMetric['unit'] {
  if (!isBuiltinMetric(metric)) return 'none';
  return metric.name === 'request-success-rate' ? 'percent' : 'milliseconds';
}

/**
 * The range a value must stay in. `thresholdRange` when set; otherwise the deprecated
 * `threshold` (Go's zero value 0 when absent) the way Flagger compares it: the builtin
 * success rate fails below it, every other metric above it.
 */
export function thresholdRangeOf(metric: Obj): { min?: number; max?: number } {
  if (metric.thresholdRange && typeof metric.thresholdRange === 'object') {
    return {
      min:
        typeof metric.thresholdRange.min === 'number'
          ? metric.thresholdRange.min
          : undefined,
      max:
        typeof metric.thresholdRange.max === 'number'
          ? metric.thresholdRange.max
          : undefined,
    };
  }
  const threshold = typeof metric.threshold === 'number' ? metric.threshold : 0;
  return metric.name === 'request-success-rate' &&
    !metric.templateRef &&
    !metric.query
    ? { min: threshold }
    : { max: threshold };
}

/** Flagger fails a check when the value is below min or above max (the bounds themselves pass). */
export function verdictOf(
  value: number | undefined,
  range: { min?: number; max?: number },
): MetricVerdict {
  if (value === undefined || Number.isNaN(value)) return 'no-data';
  if (range.min !== undefined && value < range.min) return 'fail';
  if (range.max !== undefined && value > range.max) return 'fail';
  return 'pass';
}

function metricSource(metric: Obj): AnalysisMetric['source'] {
  if (metric.templateRef) return 'template';
  if (metric.query) return 'inline-query';
  return 'builtin';
}

/** A link to the Prometheus graph page showing `query` over the last 30 minutes. */
export function prometheusGraphUrl(
  prometheusUrl: string,
  query: string,
): string {
  const params = new URLSearchParams({
    'g0.expr': query,
    'g0.tab': '0',
    'g0.range_input': '30m',
  });
  return `${prometheusUrl.replace(/\/+$/, '')}/graph?${params}`;
}

function metrics(
  canary: Obj,
  context: SummarizeContext,
  cluster: string,
): AnalysisMetric[] {
  const list = (analysisOf(canary) ?? {}).metrics;
  return (Array.isArray(list) ? list : []).map((metric: Obj) => {
    const thresholdRange = thresholdRangeOf(metric);
    const reading = context.metricReadings?.get(metric.name);
    const result: AnalysisMetric = {
      name: metric.name,
      source: metricSource(metric),
      templateRef: metric.templateRef
        ? {
            namespace:
              metric.templateRef.namespace ?? canary.metadata?.namespace,
            name: metric.templateRef.name,
          }
        : undefined,
      interval: metric.interval || '1m',
      thresholdRange,
      unit: metricUnit(metric),
      query: reading?.query,
      primaryQuery: reading?.primaryQuery,
      prometheusUrl:
        reading?.query && context.prometheusUrl
          ? prometheusGraphUrl(context.prometheusUrl, reading.query)
          : undefined,
    };
    if (!context.prometheusConfigured) {
      result.current = {
        verdict: 'unavailable',
        message: `No Prometheus is configured for this cluster (progressiveDelivery.clusters.${cluster}.prometheus.url).`,
        at: context.now.toISOString(),
      };
    } else if (reading?.error) {
      result.current = {
        verdict: 'unavailable',
        message: reading.error,
        at: reading.at,
      };
    } else if (reading) {
      const verdict = verdictOf(reading.value, thresholdRange);
      result.current = {
        verdict,
        value: reading.value,
        primaryValue: reading.primaryValue,
        message:
          verdict === 'no-data'
            ? 'Prometheus has no value for the canary: it is probably not receiving traffic (Flagger halts on this too).'
            : undefined,
        at: reading.at,
      };
    }
    return result;
  });
}

/** Flagger's halt message with the canary name taken out and the metric named as in the spec. */
function haltReason(message: string): string {
  return message
    .replace(/^Halt (?:\S+ )?advancement /, '')
    .replace(/^success rate /, 'request-success-rate ')
    .replace(/^request duration /, 'request-duration ');
}

/** The events of the current run: those since the newest "New revision detected". */
function currentRun(events: CanaryEvent[]): CanaryEvent[] {
  const start = events.findIndex(event => event.category === 'new-revision');
  return start === -1 ? events : events.slice(0, start + 1);
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

function state(
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

function isoOrUndefined(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Turns a watched Canary (and what was watched beside it) into the domain model. */
export function summarizeCanary(
  watched: WatchedCanary,
  context: SummarizeContext,
): CanarySummary {
  const canary = sanitizeCanary(watched.object);
  const analysis = analysisOf(canary) ?? {};
  const status = canary.status ?? {};
  const rawPhase: string | undefined =
    typeof status.phase === 'string' && status.phase !== ''
      ? status.phase
      : undefined;
  const phase = isKnownPhase(rawPhase) ? rawPhase : undefined;
  const strategy = strategyOf(canary, context.meshProvider);
  const events = toCanaryEvents(watched.events);
  const checks = {
    failedChecks:
      typeof status.failedChecks === 'number' && status.failedChecks > 0
        ? status.failedChecks
        : 0,
    threshold: analysis.threshold > 0 ? analysis.threshold : 1,
  };
  const intervalSeconds = analysisIntervalSeconds(analysisOf(canary));
  const configuredHooks = webhooks(canary, context.webhookBaseUrl);
  const trafficProgress = traffic(
    canary,
    strategy,
    phase,
    context.meshProvider,
  );
  const decision = context.decisions.decision;
  // Flagger's "New revision detected!" repeats word for word each run, so the aggregated
  // event's last occurrence is the start of the current run.
  const startedAt = events.find(
    event => event.category === 'new-revision',
  )?.lastSeen;
  const inRelease = phase === 'Progressing' || phase === 'WaitingPromotion';
  const runStarted =
    inRelease || phase === 'Promoting' || phase === 'Finalising';
  const remainingSteps =
    inRelease && trafficProgress.totalSteps !== undefined
      ? Math.max(0, trafficProgress.totalSteps - trafficProgress.currentStep)
      : undefined;

  return {
    ref: watched.ref,
    revision: watched.revision,
    targetRef: {
      kind: canary.spec?.targetRef?.kind ?? 'Deployment',
      name: canary.spec?.targetRef?.name ?? '',
    },
    workloadName:
      watched.target?.metadata?.labels?.['carto.run/workload-name'] ??
      canary.spec?.targetRef?.name,
    provider: routingProviderOf(canary, context.meshProvider),
    strategy,
    mirroring: Boolean(analysis.mirror),
    phase,
    rawPhase,
    state: state(canary, phase, rawPhase, events, checks, context.decisions),
    suspended: Boolean(canary.spec?.suspend),
    skipAnalysis: Boolean(canary.spec?.skipAnalysis),
    traffic: trafficProgress,
    checks,
    intervalSeconds,
    progressDeadlineSeconds:
      typeof canary.spec?.progressDeadlineSeconds === 'number'
        ? canary.spec.progressDeadlineSeconds
        : 600,
    metrics: metrics(canary, context, watched.ref.cluster),
    webhooks: configuredHooks,
    canary: side(watched.target),
    primary: side(watched.primary),
    trackedConfigs: trackedConfigs(canary),
    lastTransitionTime: isoOrUndefined(status.lastTransitionTime),
    startedAt: runStarted ? startedAt : undefined,
    estimatedSecondsLeft:
      remainingSteps !== undefined
        ? remainingSteps * intervalSeconds
        : undefined,
    events,
    actions: getAllActionAvailability({
      phase,
      strategy,
      webhooks: configuredHooks,
      paused: context.decisions.paused,
      decided:
        decision?.action === 'promote' || decision?.action === 'rollback'
          ? decision.action
          : undefined,
      intervalSeconds,
    }),
    pendingDecision: decision,
    fresh: context.clusterFresh,
  };
}
