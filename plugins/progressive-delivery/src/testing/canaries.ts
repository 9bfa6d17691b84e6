import {
  ActionContext,
  AnalysisMetric,
  CanaryDetailsResponse,
  CanaryEvent,
  CanaryListResponse,
  CanarySummary,
  ClusterStatus,
  ConfiguredWebhook,
  getAllActionAvailability,
  MetricSeries,
  RolloutRecord,
  WaitingRelease,
  WaitingResponse,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * Test data shaped like what the backend produces for the sandbox apps (`hello-contour`,
 * `hello-bluegreen`, `hello-gated`). Times are relative to `NOW` so relative dates read
 * naturally in tests and screenshots.
 */
export const NOW = new Date();

export function minutesAgo(minutes: number, now: Date = NOW): string {
  return new Date(now.getTime() - minutes * 60_000).toISOString();
}

const PORTAL = 'http://backstage.local:7007/api/progressive-delivery/webhooks';

export function portalGates(cluster: string): ConfiguredWebhook[] {
  return [
    { name: 'approve-rollout', type: 'confirm-rollout', url: `${PORTAL}/${cluster}/gates/confirm-rollout`, servedByPortal: true },
    { name: 'traffic', type: 'confirm-traffic-increase', url: `${PORTAL}/${cluster}/gates/confirm-traffic-increase`, servedByPortal: true },
    { name: 'promotion', type: 'confirm-promotion', url: `${PORTAL}/${cluster}/gates/confirm-promotion`, servedByPortal: true },
    { name: 'rollback', type: 'rollback', url: `${PORTAL}/${cluster}/gates/rollback`, servedByPortal: true },
    { name: 'load-test', type: 'rollout', url: 'http://flagger-loadtester.test/', servedByPortal: false },
  ];
}

export function builtinMetrics(options: {
  successRate?: number;
  primarySuccessRate?: number;
  durationMs?: number;
  verdict?: 'pass' | 'fail' | 'no-data' | 'unavailable';
  message?: string;
  at?: string;
  canaryName?: string;
  namespace?: string;
}): AnalysisMetric[] {
  const at = options.at ?? minutesAgo(0.5);
  const name = options.canaryName ?? 'hello-contour';
  const namespace = options.namespace ?? 'demo';
  const unavailable = options.verdict === 'unavailable';
  const successQuery = `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"${namespace}_${name}-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"${namespace}_${name}-canary_[0-9a-zA-Z-]+"}[1m])) * 100`;
  return [
    {
      name: 'request-success-rate',
      source: 'builtin',
      interval: '1m',
      thresholdRange: { min: 99 },
      unit: 'percent',
      query: successQuery,
      primaryQuery: successQuery.replace(/-canary_/g, '-primary_'),
      prometheusUrl: `http://prometheus.local:9090/graph?g0.expr=${encodeURIComponent(successQuery)}`,
      current: unavailable
        ? { verdict: 'unavailable', message: options.message ?? 'Prometheus is unreachable', at }
        : {
            verdict: options.verdict ?? 'pass',
            value: options.successRate ?? 99.84,
            primaryValue: options.primarySuccessRate ?? 99.91,
            at,
          },
    },
    {
      name: 'request-duration',
      source: 'builtin',
      interval: '1m',
      thresholdRange: { max: 500 },
      unit: 'milliseconds',
      query: `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"${namespace}_${name}-canary_[0-9a-zA-Z-]+"}[1m])) by (le))`,
      current: unavailable
        ? { verdict: 'unavailable', message: options.message ?? 'Prometheus is unreachable', at }
        : { verdict: 'pass', value: options.durationMs ?? 212, primaryValue: 198, at },
    },
  ];
}

function events(name: string, namespace: string): CanaryEvent[] {
  return [
    { category: 'new-revision', type: 'Normal', message: `New revision detected! Scaling up ${name}.${namespace}`, firstSeen: minutesAgo(7), lastSeen: minutesAgo(7), count: 1 },
    { category: 'initialization', type: 'Normal', message: `Starting canary analysis for ${name}.${namespace}`, firstSeen: minutesAgo(6), lastSeen: minutesAgo(6), count: 1 },
    { category: 'advance', type: 'Normal', message: `Advance ${name}.${namespace} canary weight 10`, firstSeen: minutesAgo(5), lastSeen: minutesAgo(5), count: 1 },
    { category: 'advance', type: 'Normal', message: `Advance ${name}.${namespace} canary weight 20`, firstSeen: minutesAgo(4), lastSeen: minutesAgo(4), count: 1 },
    { category: 'halt', type: 'Warning', message: `Halt advancement ${name}-canary.${namespace} waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available`, firstSeen: minutesAgo(3.5), lastSeen: minutesAgo(3.5), count: 1 },
    { category: 'advance', type: 'Normal', message: `Advance ${name}.${namespace} canary weight 30`, firstSeen: minutesAgo(2), lastSeen: minutesAgo(2), count: 1 },
  ];
}

/** A canary (Contour, weight strategy) at 30% of a 50% max in 10% steps: step 3 of 5. */
export function createCanarySummary(overrides: Partial<CanarySummary> = {}): CanarySummary {
  const ref = overrides.ref ?? { cluster: 'dev', namespace: 'demo', name: 'hello-contour' };
  const base: CanarySummary = {
    ref,
    revision: '7c9f5d6b84',
    targetRef: { kind: 'Deployment', name: ref.name },
    workloadName: ref.name,
    provider: 'contour',
    strategy: 'canary',
    mirroring: false,
    phase: 'Progressing',
    rawPhase: 'Progressing',
    state: {
      kind: 'progressing',
      tone: 'progress',
      headline: 'Progressing: 30% of traffic on the canary',
      detail: 'Next step to 40% at the next analysis tick if all checks pass.',
    },
    suspended: false,
    skipAnalysis: false,
    traffic: {
      mode: 'weight',
      canaryWeight: 30,
      weightSource: 'status',
      maxWeight: 50,
      stepWeight: 10,
      currentStep: 3,
      totalSteps: 5,
    },
    checks: { failedChecks: 0, threshold: 5 },
    intervalSeconds: 30,
    progressDeadlineSeconds: 600,
    metrics: builtinMetrics({ canaryName: ref.name, namespace: ref.namespace }),
    webhooks: portalGates(ref.cluster),
    canary: {
      name: ref.name,
      images: [{ container: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }],
      replicas: { desired: 2, available: 2 },
    },
    primary: {
      name: `${ref.name}-primary`,
      images: [{ container: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.0' }],
      replicas: { desired: 2, available: 2 },
    },
    trackedConfigs: [{ kind: 'configmap', name: `${ref.name}-config`, checksum: '5d8f7c9b6' }],
    lastTransitionTime: minutesAgo(2),
    startedAt: minutesAgo(7),
    estimatedSecondsLeft: 60,
    events: events(ref.name, ref.namespace),
    actions: [],
    fresh: true,
  };
  const summary = { ...base, ...overrides };
  if (!overrides.actions) {
    summary.actions = availabilityFor(summary);
  }
  return summary;
}

/** The action rules from common applied to a summary, as the backend does. */
export function availabilityFor(
  summary: CanarySummary,
  extra: Partial<ActionContext> = {},
) {
  return getAllActionAvailability({
    phase: summary.phase,
    strategy: summary.strategy,
    webhooks: summary.webhooks,
    paused: summary.state.kind === 'waiting-traffic-approval',
    intervalSeconds: summary.intervalSeconds,
    ...extra,
  });
}

/** The Kubernetes blue-green sample (`hello-bluegreen`): iterations, no traffic weight. */
export function createBlueGreenSummary(overrides: Partial<CanarySummary> = {}): CanarySummary {
  const ref = overrides.ref ?? { cluster: 'dev', namespace: 'demo', name: 'hello-bluegreen' };
  return createCanarySummary({
    ref,
    targetRef: { kind: 'Deployment', name: ref.name },
    workloadName: ref.name,
    provider: 'kubernetes',
    strategy: 'blue-green',
    state: {
      kind: 'progressing',
      tone: 'progress',
      headline: 'Progressing: iteration 2 of 5',
      detail: 'Blue-green: the new version gets test traffic only until promotion.',
    },
    traffic: { mode: 'iterations', currentStep: 2, totalSteps: 5 },
    metrics: builtinMetrics({ canaryName: ref.name, namespace: ref.namespace }),
    estimatedSecondsLeft: 90,
    ...overrides,
  });
}

/** `hello-gated` after the analysis finished: held at max weight until someone promotes. */
export function createWaitingPromotionSummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  const ref = overrides.ref ?? { cluster: 'dev', namespace: 'demo', name: 'hello-gated' };
  return createCanarySummary({
    ref,
    targetRef: { kind: 'Deployment', name: ref.name },
    workloadName: ref.name,
    phase: 'WaitingPromotion',
    rawPhase: 'WaitingPromotion',
    state: {
      kind: 'waiting-promotion-approval',
      tone: 'waiting',
      headline: 'Waiting for promotion approval',
      detail: 'The analysis passed every step; the canary keeps 50% of the traffic until someone promotes or rolls back.',
      waitingFor: 'confirm-promotion',
    },
    traffic: {
      mode: 'weight',
      canaryWeight: 50,
      weightSource: 'derived',
      maxWeight: 50,
      stepWeight: 10,
      currentStep: 5,
      totalSteps: 5,
    },
    estimatedSecondsLeft: undefined,
    metrics: builtinMetrics({ canaryName: ref.name, namespace: ref.namespace }),
    webhooks: portalGates(ref.cluster),
    ...overrides,
  });
}

/** A rollout that failed its analysis and was rolled back. */
export function createFailedSummary(overrides: Partial<CanarySummary> = {}): CanarySummary {
  const ref = overrides.ref ?? { cluster: 'prod', namespace: 'demo', name: 'hello-contour' };
  return createCanarySummary({
    ref,
    phase: 'Failed',
    rawPhase: 'Failed',
    state: {
      kind: 'failed',
      tone: 'error',
      headline: 'Rolled back: request-success-rate 91.20% < 99%',
      detail: 'Failed checks reached the threshold (5 of 5); all traffic is back on the primary.',
    },
    traffic: {
      mode: 'weight',
      canaryWeight: 0,
      weightSource: 'status',
      maxWeight: 50,
      stepWeight: 10,
      // Flagger resets weight, step and failed checks when it rolls back.
      currentStep: 0,
      totalSteps: 5,
    },
    checks: { failedChecks: 0, threshold: 5 },
    rollback: {
      reachedStep: 2,
      totalSteps: 5,
      reachedWeight: 20,
      failedChecks: 5,
      threshold: 5,
      failures: [
        {
          message: `Halt ${ref.name}.${ref.namespace} advancement success rate 91.20% < 99%`,
          count: 5,
          lastSeen: minutesAgo(12),
        },
      ],
    },
    trigger: {
      kind: 'image',
      images: [{ container: 'app', from: 'ghcr.io/stefanprodan/podinfo:6.7.0', to: 'ghcr.io/stefanprodan/podinfo:6.7.1' }],
      configs: [],
      description: 'Image of container app changed from ghcr.io/stefanprodan/podinfo:6.7.0 to ghcr.io/stefanprodan/podinfo:6.7.1',
    },
    metrics: builtinMetrics({
      canaryName: ref.name,
      namespace: ref.namespace,
      successRate: 91.2,
      primarySuccessRate: 99.9,
      verdict: 'fail',
    }),
    estimatedSecondsLeft: undefined,
    lastTransitionTime: minutesAgo(12),
    ...overrides,
  });
}

export function createSucceededSummary(overrides: Partial<CanarySummary> = {}): CanarySummary {
  const ref = overrides.ref ?? { cluster: 'prod', namespace: 'demo', name: 'hello-contour' };
  return createCanarySummary({
    ref,
    phase: 'Succeeded',
    rawPhase: 'Succeeded',
    state: {
      kind: 'succeeded',
      tone: 'ok',
      headline: 'Promoted: podinfo:6.7.1 is live',
    },
    traffic: {
      mode: 'weight',
      canaryWeight: 0,
      weightSource: 'status',
      maxWeight: 50,
      stepWeight: 10,
      currentStep: 0,
      totalSteps: 5,
    },
    canary: {
      name: ref.name,
      images: [{ container: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }],
      replicas: { desired: 0, available: 0 },
    },
    primary: {
      name: `${ref.name}-primary`,
      images: [{ container: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }],
      replicas: { desired: 2, available: 2 },
    },
    estimatedSecondsLeft: undefined,
    lastTransitionTime: minutesAgo(90),
    ...overrides,
  });
}

export function createClusterStatus(overrides: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    name: 'dev',
    status: 'ok',
    lastSyncAt: minutesAgo(0.1),
    prometheus: { status: 'ok' },
    ...overrides,
  };
}

export function createListResponse(
  items: CanarySummary[],
  overrides: Partial<CanaryListResponse> = {},
): CanaryListResponse {
  const clusterNames = Array.from(new Set(items.map(item => item.ref.cluster)));
  return {
    items,
    clusters: (clusterNames.length ? clusterNames : ['dev']).map(name =>
      createClusterStatus({ name }),
    ),
    selector: { workloadNames: ['hello-contour'], canaries: [] },
    ...overrides,
  };
}

export function createRolloutRecord(overrides: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    ref: { cluster: 'dev', namespace: 'demo', name: 'hello-contour' },
    revision: '7c9f5d6b84',
    images: ['ghcr.io/stefanprodan/podinfo:6.7.1'],
    startedAt: minutesAgo(7),
    outcome: 'in-progress',
    decisions: [],
    ...overrides,
  };
}

export function createDetailsResponse(
  summary: CanarySummary,
  overrides: Partial<CanaryDetailsResponse> = {},
): CanaryDetailsResponse {
  return {
    summary,
    manifest: {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: summary.ref.name, namespace: summary.ref.namespace, generation: 3 },
      spec: {
        provider: summary.provider,
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: summary.targetRef.name },
        service: { port: 80, targetPort: 9898 },
        analysis: {
          interval: `${summary.intervalSeconds}s`,
          threshold: summary.checks.threshold,
          maxWeight: summary.traffic.maxWeight,
          stepWeight: summary.traffic.stepWeight,
          metrics: summary.metrics.map(metric => ({
            name: metric.name,
            thresholdRange: metric.thresholdRange,
            interval: metric.interval,
          })),
          webhooks: summary.webhooks.map(hook => ({ name: hook.name, type: hook.type, url: hook.url })),
        },
      },
      status: {
        phase: summary.rawPhase,
        canaryWeight: summary.traffic.canaryWeight ?? 0,
        failedChecks: summary.checks.failedChecks,
        lastTransitionTime: summary.lastTransitionTime,
      },
    },
    history: [
      createRolloutRecord({ ref: summary.ref }),
      createRolloutRecord({
        ref: summary.ref,
        revision: '5b7d9e2c31',
        images: ['ghcr.io/stefanprodan/podinfo:6.7.0'],
        startedAt: minutesAgo(60 * 26),
        endedAt: minutesAgo(60 * 26 - 9),
        outcome: 'succeeded',
        decisions: [
          {
            action: 'promote',
            revision: '5b7d9e2c31',
            decidedBy: 'user:default/ada.lovelace',
            decidedAt: minutesAgo(60 * 26 - 8),
            comment: 'Checked the dashboards, looks good',
            appliedAt: minutesAgo(60 * 26 - 8),
          },
        ],
      }),
      createRolloutRecord({
        ref: summary.ref,
        revision: '3a1c8f4e07',
        images: ['ghcr.io/stefanprodan/podinfo:6.6.9'],
        startedAt: minutesAgo(60 * 50),
        endedAt: minutesAgo(60 * 50 - 4),
        outcome: 'failed',
        failureReason: 'request-duration 812ms > 500ms',
        decisions: [],
      }),
    ],
    ...overrides,
  };
}

export function createMetricSeries(
  summary: CanarySummary,
  points = 12,
): MetricSeries[] {
  return summary.metrics.map((metric, index) => {
    const base = metric.unit === 'percent' ? 99.5 : 200;
    const canary = Array.from({ length: points }, (_, i) => ({
      at: minutesAgo(points - i),
      value: Number((base + Math.sin(i + index) * (metric.unit === 'percent' ? 0.4 : 40)).toFixed(2)),
    }));
    return {
      metric: metric.name,
      unit: metric.unit,
      thresholdRange: metric.thresholdRange,
      canary,
      primary: metric.primaryQuery
        ? canary.map(sample => ({ at: sample.at, value: Number((sample.value + 0.1).toFixed(2)) }))
        : undefined,
    };
  });
}

/** A row of the waiting page: hello-gated in dev, waiting for promotion, which the user may decide. */
export function createWaitingRelease(overrides: Partial<WaitingRelease> = {}): WaitingRelease {
  return {
    section: 'waiting',
    entity: {
      ref: 'component:default/hello-gated',
      kind: 'Component',
      namespace: 'default',
      name: 'hello-gated',
      title: 'Hello (gated)',
    },
    canary: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
    state: {
      kind: 'waiting-promotion-approval',
      tone: 'waiting',
      headline: 'Waiting for promotion approval',
      waitingFor: 'confirm-promotion',
    },
    since: minutesAgo(12),
    revision: '7c9f5d6b84',
    actions: ['promote', 'rollback'],
    fresh: true,
    ...overrides,
  };
}

/** The answer of `GET /waiting`, empty unless rows are given. */
export function createWaitingResponse(
  overrides: Partial<WaitingResponse> = {},
): WaitingResponse {
  return {
    scope: 'owned',
    waiting: [],
    failed: [],
    inProgress: [],
    entityCount: 3,
    ownershipRefs: ['user:default/guest', 'group:default/team-delivery'],
    clusters: [createClusterStatus({ name: 'dev' }), createClusterStatus({ name: 'prod' })],
    generatedAt: NOW.toISOString(),
    ...overrides,
  };
}
