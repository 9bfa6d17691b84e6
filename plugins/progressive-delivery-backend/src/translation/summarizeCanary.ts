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
}

/** Flagger's interval parsing: "30s", "1m", "1m30s"; below 10 s becomes 10 s; unparsable 60 s. */
export function parseDurationSeconds(value: unknown, fallback: number): number {
  if (typeof value !== 'string' || value.trim() === '') return fallback;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = '';
  for (const match of value.matchAll(pattern)) {
    const amount = Number(match[1]);
    total += match[2] === 'h' ? amount * 3600 : match[2] === 'm' ? amount * 60 : match[2] === 's' ? amount : amount / 1000;
    consumed += match[0];
  }
  return consumed === value.trim() && total > 0 ? total : fallback;
}

export function analysisOf(canary: Obj): Obj | undefined {
  return canary.spec?.analysis ?? canary.spec?.canaryAnalysis;
}

export function strategyOf(canary: Obj): DeliveryStrategy {
  const analysis = analysisOf(canary) ?? {};
  if (canary.spec?.provider === 'kubernetes') return 'blue-green';
  if (analysis.iterations > 0 && Array.isArray(analysis.match) && analysis.match.length > 0) {
    return 'ab-testing';
  }
  if (analysis.iterations > 0) return 'blue-green';
  return 'canary';
}

export function effectiveMaxWeight(analysis: Obj): number {
  if (Array.isArray(analysis.stepWeights) && analysis.stepWeights.length > 0) {
    return Math.min(100, analysis.stepWeights[analysis.stepWeights.length - 1]);
  }
  return analysis.maxWeight > 0 ? Math.min(100, analysis.maxWeight) : 100;
}

function isKnownPhase(phase: unknown): phase is CanaryPhase {
  return typeof phase === 'string' && (CANARY_PHASES as readonly string[]).includes(phase);
}

function traffic(canary: Obj, strategy: DeliveryStrategy, phase?: CanaryPhase): TrafficProgress {
  const analysis = analysisOf(canary) ?? {};
  const status = canary.status ?? {};
  if (strategy === 'canary') {
    const maxWeight = effectiveMaxWeight(analysis);
    const stepWeights: number[] | undefined = Array.isArray(analysis.stepWeights) ? analysis.stepWeights : undefined;
    const stepWeight: number | undefined = analysis.stepWeight > 0 ? analysis.stepWeight : undefined;
    let canaryWeight: number | undefined = typeof status.canaryWeight === 'number' ? status.canaryWeight : undefined;
    let weightSource: TrafficProgress['weightSource'] = canaryWeight === undefined ? undefined : 'status';
    // Flagger writes canaryWeight 0 in WaitingPromotion while the route still holds max weight.
    if (phase === 'WaitingPromotion') {
      canaryWeight = maxWeight;
      weightSource = 'derived';
    }
    const totalSteps = stepWeights
      ? stepWeights.filter(weight => weight <= maxWeight).length
      : stepWeight
        ? Math.ceil(maxWeight / stepWeight)
        : undefined;
    const currentStep = stepWeights
      ? stepWeights.filter(weight => weight <= (canaryWeight ?? 0)).length
      : stepWeight
        ? Math.min(totalSteps ?? Infinity, Math.ceil((canaryWeight ?? 0) / stepWeight))
        : 0;
    return { mode: 'weight', canaryWeight, weightSource, maxWeight, stepWeight, stepWeights, currentStep, totalSteps };
  }
  const configured = analysis.iterations > 0 ? analysis.iterations : canary.spec?.provider === 'kubernetes' ? 10 : undefined;
  const done = typeof status.iterations === 'number' && status.iterations > 0 ? status.iterations : 0;
  return {
    mode: 'iterations',
    currentStep: phase === 'WaitingPromotion' && configured ? configured : Math.min(done, configured ?? done),
    totalSteps: configured,
  };
}

function side(deployment: Obj | undefined): WorkloadSide | undefined {
  if (!deployment) return undefined;
  return {
    name: deployment.metadata?.name,
    images: (deployment.spec?.template?.spec?.containers ?? []).map((container: Obj) => ({
      container: container.name,
      image: container.image,
    })),
    replicas: {
      desired: deployment.spec?.replicas ?? 0,
      available: deployment.status?.availableReplicas ?? 0,
    },
  };
}

function trackedConfigs(canary: Obj): TrackedConfig[] {
  return Object.entries((canary.status?.trackedConfigs ?? {}) as Record<string, string>).map(
    ([key, checksum]) => {
      const [kind, ...rest] = key.split('/');
      return { kind: kind === 'secret' ? 'secret' : 'configmap', name: rest.join('/'), checksum };
    },
  );
}

function webhooks(canary: Obj, webhookBaseUrl?: string): ConfiguredWebhook[] {
  return ((analysisOf(canary) ?? {}).webhooks ?? []).map((hook: Obj) => ({
    name: hook.name,
    type: hook.type || 'rollout',
    url: hook.url,
    servedByPortal: Boolean(webhookBaseUrl && typeof hook.url === 'string' && hook.url.startsWith(webhookBaseUrl)),
  }));
}

function metricUnit(name: string, isBuiltin: boolean): AnalysisMetric['unit'] {
  if (!isBuiltin) return 'none';
  return name === 'request-success-rate' ? 'percent' : 'milliseconds';
}

export const BUILTIN_METRICS = ['request-success-rate', 'request-duration'];

export function thresholdRangeOf(metric: Obj): { min?: number; max?: number } {
  if (metric.thresholdRange) {
    return {
      min: typeof metric.thresholdRange.min === 'number' ? metric.thresholdRange.min : undefined,
      max: typeof metric.thresholdRange.max === 'number' ? metric.thresholdRange.max : undefined,
    };
  }
  if (typeof metric.threshold === 'number') {
    // Deprecated form: success rate fails below it, everything else above it.
    return metric.name === 'request-success-rate' ? { min: metric.threshold } : { max: metric.threshold };
  }
  return {};
}

export function verdictOf(value: number | undefined, range: { min?: number; max?: number }): MetricVerdict {
  if (value === undefined || Number.isNaN(value)) return 'no-data';
  if (range.min !== undefined && value < range.min) return 'fail';
  if (range.max !== undefined && value > range.max) return 'fail';
  return 'pass';
}

function metrics(canary: Obj, context: SummarizeContext): AnalysisMetric[] {
  return ((analysisOf(canary) ?? {}).metrics ?? []).map((metric: Obj) => {
    const isBuiltin = BUILTIN_METRICS.includes(metric.name) && !metric.templateRef && !metric.query;
    const thresholdRange = thresholdRangeOf(metric);
    const reading = context.metricReadings?.get(metric.name);
    const result: AnalysisMetric = {
      name: metric.name,
      source: metric.templateRef ? 'template' : metric.query ? 'inline-query' : 'builtin',
      templateRef: metric.templateRef
        ? { namespace: metric.templateRef.namespace ?? canary.metadata.namespace, name: metric.templateRef.name }
        : undefined,
      interval: metric.interval ?? '1m',
      thresholdRange,
      unit: metricUnit(metric.name, isBuiltin),
      query: reading?.query,
      primaryQuery: reading?.primaryQuery,
      prometheusUrl:
        reading?.query && context.prometheusUrl
          ? `${context.prometheusUrl}/graph?g0.expr=${encodeURIComponent(reading.query)}&g0.tab=0&g0.range_input=30m`
          : undefined,
    };
    if (!context.prometheusConfigured) {
      result.current = {
        verdict: 'unavailable',
        message: 'No Prometheus is configured for this cluster (progressiveDelivery.clusters.<name>.prometheus.url).',
        at: context.now.toISOString(),
      };
    } else if (reading?.error) {
      result.current = { verdict: 'unavailable', message: reading.error, at: reading.at };
    } else if (reading) {
      const verdict = verdictOf(reading.value, thresholdRange);
      result.current = {
        verdict,
        value: reading.value,
        primaryValue: reading.primaryValue,
        message: verdict === 'no-data' ? 'Prometheus has no value for the canary yet: it may not be receiving traffic.' : undefined,
        at: reading.at,
      };
    }
    return result;
  });
}

/** The newest event that says why a release halted or rolled back, in Flagger's own words. */
function lastReason(events: CanaryEvent[], categories: CanaryEvent['category'][]): string | undefined {
  const event = events.find(e => categories.includes(e.category));
  if (!event) return undefined;
  const message = event.message
    .replace(/^Halt [^ ]+ advancement /, '')
    .replace(/^Rolling back [^ ]+ /, '');
  return message;
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
      detail: 'spec.suspend is true: Flagger leaves this canary alone until it is resumed.',
    };
  }
  const newest = events[0];
  switch (phase) {
    case undefined:
      return rawPhase
        ? { kind: 'unknown', tone: 'neutral', headline: `Unknown phase "${rawPhase}"`, detail: 'This Flagger version reports a phase this plugin does not know.' }
        : { kind: 'initializing', tone: 'progress', headline: 'Not initialized yet', detail: 'Flagger has not written a status for this canary yet.' };
    case 'Initializing':
      return { kind: 'initializing', tone: 'progress', headline: 'Initializing', detail: 'Flagger is creating the primary workload, services and routes.' };
    case 'Initialized':
      return { kind: 'idle', tone: 'ok', headline: 'Initialized: all traffic on the primary', detail: 'A new revision of the target starts a release.' };
    case 'Waiting':
      return {
        kind: 'waiting-rollout-approval',
        tone: 'waiting',
        headline: 'Waiting for approval to start the rollout',
        detail: 'A new revision is ready; its confirm-rollout gate has not approved it yet.',
        waitingFor: 'confirm-rollout',
      };
    case 'Progressing': {
      if (decisions.paused || (newest?.category === 'gate-wait' && /traffic increase/.test(newest.message))) {
        return {
          kind: 'waiting-traffic-approval',
          tone: 'waiting',
          headline: decisions.paused ? 'Paused: traffic increases held' : 'Waiting for traffic increase approval',
          detail: 'The weight stays where it is; metrics and failed checks are still evaluated.',
          waitingFor: 'confirm-traffic-increase',
        };
      }
      const halt = checks.failedChecks > 0 ? lastReason(events, ['halt']) : undefined;
      return {
        kind: 'progressing',
        tone: checks.failedChecks > 0 ? 'waiting' : 'progress',
        headline: 'Analysis in progress',
        detail: halt
          ? `${checks.failedChecks} of ${checks.threshold} failed checks; last: ${halt}`
          : undefined,
      };
    }
    case 'WaitingPromotion':
      return {
        kind: 'waiting-promotion-approval',
        tone: 'waiting',
        headline: 'Waiting for promotion approval',
        detail: 'The analysis passed; the confirm-promotion gate decides. Metrics keep being checked meanwhile.',
        waitingFor: 'confirm-promotion',
      };
    case 'Promoting':
      return { kind: 'promoting', tone: 'progress', headline: 'Promoting', detail: 'The canary template is being copied to the primary.' };
    case 'Finalising':
      return { kind: 'finalising', tone: 'progress', headline: 'Finalising', detail: 'All traffic is back on the primary; the canary is scaled to zero.' };
    case 'Succeeded':
      return { kind: 'succeeded', tone: 'ok', headline: 'Succeeded: the new revision is promoted' };
    case 'Failed': {
      const reason =
        lastReason(events, ['rollback']) && /manual webhook/.test(lastReason(events, ['rollback'])!)
          ? 'rolled back by the rollback gate'
          : lastReason(events, ['halt']) ?? lastReason(events, ['rollback', 'failure']);
      return {
        kind: 'failed',
        tone: 'error',
        headline: reason ? `Rolled back: ${reason}` : 'Rolled back',
        detail: 'The primary keeps serving the previous revision; a new revision starts a new release.',
      };
    }
    case 'Terminating':
      return { kind: 'terminating', tone: 'neutral', headline: 'Terminating', detail: 'The canary is being deleted and its changes reverted.' };
    case 'Terminated':
      return { kind: 'terminated', tone: 'neutral', headline: 'Terminated' };
    default:
      return { kind: 'unknown', tone: 'neutral', headline: `Unknown phase "${rawPhase}"` };
  }
}

/** Turns a watched Canary (and what was watched beside it) into the domain model. */
export function summarizeCanary(watched: WatchedCanary, context: SummarizeContext): CanarySummary {
  const canary = watched.object;
  const analysis = analysisOf(canary) ?? {};
  const status = canary.status ?? {};
  const rawPhase: string | undefined = typeof status.phase === 'string' && status.phase !== '' ? status.phase : undefined;
  const phase = isKnownPhase(rawPhase) ? rawPhase : undefined;
  const strategy = strategyOf(canary);
  const events = toCanaryEvents(watched.events);
  const checks = {
    failedChecks: typeof status.failedChecks === 'number' && status.failedChecks > 0 ? status.failedChecks : 0,
    threshold: analysis.threshold > 0 ? analysis.threshold : 1,
  };
  const intervalSeconds = Math.max(10, parseDurationSeconds(analysis.interval, 60));
  const configuredHooks = webhooks(canary, context.webhookBaseUrl);
  const trafficProgress = traffic(canary, strategy, phase);
  const decision = context.decisions.decision;
  const startedAt = events
    .filter(event => event.category === 'new-revision')
    .map(event => event.lastSeen)[0];
  const inRelease = phase === 'Progressing' || phase === 'WaitingPromotion';
  const remainingSteps =
    inRelease && trafficProgress.totalSteps !== undefined
      ? Math.max(0, trafficProgress.totalSteps - trafficProgress.currentStep)
      : undefined;

  return {
    ref: watched.ref,
    revision: watched.revision,
    targetRef: { kind: canary.spec?.targetRef?.kind ?? 'Deployment', name: canary.spec?.targetRef?.name ?? '' },
    workloadName: watched.target?.metadata?.labels?.['carto.run/workload-name'] ?? canary.spec?.targetRef?.name,
    provider: canary.spec?.provider,
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
    progressDeadlineSeconds: canary.spec?.progressDeadlineSeconds ?? 600,
    metrics: metrics(canary, context),
    webhooks: configuredHooks,
    canary: side(watched.target),
    primary: side(watched.primary),
    trackedConfigs: trackedConfigs(canary),
    lastTransitionTime: status.lastTransitionTime ? new Date(status.lastTransitionTime).toISOString() : undefined,
    startedAt: inRelease ? startedAt : undefined,
    estimatedSecondsLeft: remainingSteps !== undefined ? remainingSteps * intervalSeconds : undefined,
    events,
    actions: getAllActionAvailability({
      phase,
      strategy,
      webhooks: configuredHooks,
      paused: context.decisions.paused,
      decided:
        decision?.action === 'promote' || decision?.action === 'rollback' ? decision.action : undefined,
      intervalSeconds,
    }),
    pendingDecision: decision,
    fresh: context.clusterFresh,
  };
}
