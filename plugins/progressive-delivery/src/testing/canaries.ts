import {
  ActionContext,
  CanaryDetailsResponse,
  canaryKey,
  CanaryListResponse,
  CanarySummary,
  ClusterStatus,
  getAllActionAvailability,
  MetricSeries,
  RolloutRecord,
  WaitingRelease,
  WaitingResponse,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import generated from './__fixtures__/summaries.json';

/**
 * Test data the backend's summarizer produced from objects captured in the sandbox
 * (`__fixtures__/summaries.json`, written by the backend's `src/__fixtures__/frontendFixtures.ts`;
 * see CONTRIBUTING.md). Every time in it is moved so the summaries were made at `NOW`, so
 * relative dates read naturally in tests and screenshots.
 */
export const NOW = new Date();

export function minutesAgo(minutes: number, now: Date = NOW): string {
  return new Date(now.getTime() - minutes * 60_000).toISOString();
}

type Release = keyof typeof generated.summaries;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function movedToNow<T>(value: T, offsetMs: number): T {
  if (typeof value === 'string' && ISO_TIME.test(value)) {
    return new Date(Date.parse(value) + offsetMs).toISOString() as T;
  }
  if (Array.isArray(value)) {
    return value.map(item => movedToNow(item, offsetMs)) as T;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        movedToNow(item, offsetMs),
      ]),
    ) as T;
  }
  return value;
}

const OFFSET_MS = NOW.getTime() - Date.parse(generated.generatedAt);

/** A summary the backend produced, times moved to `NOW`, with the test's changes on top. */
function release(
  name: Release,
  overrides: Partial<CanarySummary>,
): CanarySummary {
  const summary: CanarySummary = {
    ...movedToNow(generated.summaries[name] as CanarySummary, OFFSET_MS),
    ...overrides,
  };
  // A changed phase, webhook or strategy changes what is possible, as in the backend.
  if (Object.keys(overrides).length > 0 && !overrides.actions) {
    summary.actions = availabilityFor(summary);
  }
  return summary;
}

/** `hello-contour` in dev (Contour, 20% steps up to 60%) at 40%: step 2 of 3, with the portal's gates. */
export function createCanarySummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  return release('progressing', overrides);
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

/** The Kubernetes blue-green sample `hello-bluegreen` in dev: iteration 2 of 4, no traffic weight. */
export function createBlueGreenSummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  return release('blueGreen', overrides);
}

/** `hello-gated` in dev after the analysis passed: held at 60% until someone promotes. */
export function createWaitingPromotionSummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  return release('waitingPromotion', overrides);
}

/** `hello-contour` in prod, rolled back: request-success-rate 60.00% < 99%. */
export function createFailedSummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  return release('failed', overrides);
}

/** `hello-gated` in dev after its promotion: both sides on the same image. */
export function createSucceededSummary(
  overrides: Partial<CanarySummary> = {},
): CanarySummary {
  return release('succeeded', overrides);
}

export function createClusterStatus(
  overrides: Partial<ClusterStatus> = {},
): ClusterStatus {
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

export function createRolloutRecord(
  overrides: Partial<RolloutRecord> = {},
): RolloutRecord {
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
  const name = (Object.keys(generated.summaries) as Release[]).find(
    key => canaryKey(generated.summaries[key].ref) === canaryKey(summary.ref),
  );
  return {
    summary,
    manifest: movedToNow(
      (name ? generated.manifests[name] : {}) as Record<string, unknown>,
      OFFSET_MS,
    ),
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
      value: Number(
        (
          base +
          Math.sin(i + index) * (metric.unit === 'percent' ? 0.4 : 40)
        ).toFixed(2),
      ),
    }));
    return {
      metric: metric.name,
      unit: metric.unit,
      thresholdRange: metric.thresholdRange,
      canary,
      primary: metric.primaryQuery
        ? canary.map(sample => ({
            at: sample.at,
            value: Number((sample.value + 0.1).toFixed(2)),
          }))
        : undefined,
    };
  });
}

/** A row of the waiting page: hello-gated in dev, waiting for promotion, which the user may decide. */
export function createWaitingRelease(
  overrides: Partial<WaitingRelease> = {},
): WaitingRelease {
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
    clusters: [
      createClusterStatus({ name: 'dev' }),
      createClusterStatus({ name: 'prod' }),
    ],
    generatedAt: NOW.toISOString(),
    ...overrides,
  };
}
