import {
  AnalysisMetric,
  CANARY_PHASES,
  CanaryPhase,
  CanarySummary,
  ConfiguredWebhook,
  DeliveryStrategy,
  getAllActionAvailability,
  TrackedConfig,
  TrafficProgress,
  WorkloadSide,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  analysisIntervalSeconds,
  analysisOf,
  configuredIterations,
  effectiveMaxWeight,
  routingProviderOf,
  strategyOf,
  weightSteps,
} from '../flagger/analysis';
import {
  metricSource,
  metricUnit,
  thresholdRangeOf,
  verdictOf,
} from '../flagger/metrics';
import { MetricReading } from '../prometheus/MetricsCache';
import { DecisionState, WatchedCanary } from '../types';
import { blockerOf } from './blockers';
import { toCanaryEvents } from './events';
import { releaseState } from './releaseState';
import { sanitizeCanary } from './sanitize';
import { rollbackReport, rolloutTrigger } from './whatHappened';

/**
 * The assembly of a canary's summary: the watched objects, the metric readings and the
 * decision state put together into the domain model the frontend shows. What Flagger's spec
 * means is read in `flagger/`; what the release is doing now in `releaseState`.
 */

type Obj = Record<string, any>;

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
  /** The query of a template or inline-query metric, rendered without any Prometheus. */
  customQuery?: (metric: Obj) => string | undefined;
}

function isKnownPhase(phase: unknown): phase is CanaryPhase {
  return (
    typeof phase === 'string' &&
    (CANARY_PHASES as readonly string[]).includes(phase)
  );
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
    const query = reading?.query ?? context.customQuery?.(metric);
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
      query,
      primaryQuery: reading?.primaryQuery,
      // A query meant for a server this backend has no URL for, or not read at all, does not
      // link to the cluster's own Prometheus.
      prometheusUrl:
        reading?.query && !reading.serverUnknown && context.prometheusUrl
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
    state: releaseState(
      canary,
      phase,
      rawPhase,
      events,
      checks,
      context.decisions,
      blockerOf({
        canary,
        phase,
        events,
        target: watched.target,
        primary: watched.primary,
        now: context.now,
      }),
    ),
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
    trigger: rolloutTrigger({
      phase,
      target: watched.target,
      primary: watched.primary,
      trackedConfigs: trackedConfigs(canary),
      previousRevision: context.decisions.rollout?.previousRevision,
    }),
    rollback: rollbackReport({
      phase,
      events,
      traffic: trafficProgress,
      weightSteps: strategy === 'canary' ? weightSteps(analysis) : [],
      threshold: checks.threshold,
      rollout: context.decisions.rollout,
    }),
    fresh: context.clusterFresh,
  };
}
