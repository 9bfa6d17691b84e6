/*
 * Over 400 lines: one case per Flagger rule the summary follows (phases, strategies, steps,
 * thresholds, events), each small and independent; grouped here so they read as one spec.
 */
import { GateDecision } from '@progressive-delivery/plugin-progressive-delivery-common';
import { WatchedCanary } from '../types';
import { classifyEventMessage, toCanaryEvents } from './events';
import { revisionKey } from '../flagger/revision';
import {
  analysisIntervalSeconds,
  parseGoDurationSeconds,
  strategyOf,
  weightSteps,
} from '../flagger/analysis';
import { thresholdRangeOf, verdictOf } from '../flagger/metrics';
import {
  isServedByPortal,
  summarizeCanary,
  SummarizeContext,
} from './summarizeCanary';

/*
 * Flagger v1.44 semantics on canaries built from its Go types (pkg/apis/flagger/v1beta1);
 * summarizeCanary.test.ts covers the real objects captured from the sandbox.
 */
type Obj = Record<string, any>;

function canary(analysis: Obj | undefined, status?: Obj, spec: Obj = {}): Obj {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      provider: 'contour',
      targetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'checkout',
      },
      analysis,
      ...spec,
    },
    status,
  };
}

const weighted = {
  interval: '30s',
  threshold: 5,
  maxWeight: 50,
  stepWeight: 10,
};

const watched = (object: Obj, events: Obj[] = []): WatchedCanary => ({
  ref: { cluster: 'dev', namespace: 'shop', name: 'checkout' },
  object,
  events,
  revision: revisionKey(object),
});

const context = (
  overrides: Partial<SummarizeContext> = {},
): SummarizeContext => ({
  decisions: { paused: false },
  webhookBaseUrl:
    'https://portal.example.com/api/progressive-delivery/webhooks',
  now: new Date('2026-11-23T03:00:00Z'),
  clusterFresh: true,
  prometheusConfigured: true,
  ...overrides,
});

let second = 0;
const event = (message: string, type = 'Normal') => {
  second += 1;
  const at = new Date(
    Date.parse('2026-11-23T02:00:00Z') + second * 1000,
  ).toISOString();
  return {
    metadata: { uid: `e${second}` },
    message,
    type,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
  };
};

const summarize = (
  object: Obj,
  events: Obj[] = [],
  overrides: Partial<SummarizeContext> = {},
) => summarizeCanary(watched(object, events), context(overrides));

describe('strategy (Canary.DeploymentStrategy and the kubernetes provider)', () => {
  it.each([
    ['canary', weighted, {}],
    ['blue-green', { iterations: 5 }, {}],
    [
      'ab-testing',
      { iterations: 5, match: [{ headers: { x: { exact: 'y' } } }] },
      {},
    ],
    ['canary', { match: [{ headers: {} }], stepWeight: 10 }, {}],
    ['blue-green', weighted, { provider: 'kubernetes' }],
    [
      'blue-green',
      { iterations: 5, match: [{ headers: {} }] },
      { provider: 'kubernetes' },
    ],
    ['canary', undefined, {}],
  ])('%s for %j with %j', (expected, analysis, spec) => {
    expect(
      strategyOf(canary(analysis as Obj | undefined, undefined, spec)),
    ).toBe(expected);
  });

  it("takes the cluster's mesh provider for a canary without spec.provider, as Flagger does", () => {
    const bare = canary(weighted, undefined, { provider: undefined });
    expect(strategyOf(bare, 'kubernetes')).toBe('blue-green');
    expect(strategyOf(bare, 'istio')).toBe('canary');
    expect(
      strategyOf(
        canary(weighted, undefined, { provider: 'contour' }),
        'kubernetes',
      ),
    ).toBe('canary');
    expect(summarize(bare, [], { meshProvider: 'kubernetes' })).toMatchObject({
      provider: 'kubernetes',
      strategy: 'blue-green',
      traffic: { mode: 'iterations', totalSteps: 10 },
    });
  });

  it('reads the deprecated canaryAnalysis and reports mirroring', () => {
    const old = canary(undefined);
    old.spec.canaryAnalysis = { iterations: 3, mirror: true };
    const summary = summarize(old);
    expect(summary).toMatchObject({
      strategy: 'blue-green',
      mirroring: true,
      traffic: { mode: 'iterations', totalSteps: 3 },
    });
  });

  it('counts 10 iterations for the kubernetes provider without iterations, as Flagger forces', () => {
    const summary = summarize(
      canary(
        weighted,
        { phase: 'Progressing', iterations: 4 },
        { provider: 'kubernetes' },
      ),
    );
    expect(summary.traffic).toEqual({
      mode: 'iterations',
      currentStep: 4,
      totalSteps: 10,
    });
  });
});

describe('traffic', () => {
  it('walks the step weights Flagger walks, including a last step past maxWeight', () => {
    expect(weightSteps(weighted)).toEqual([10, 20, 30, 40, 50]);
    expect(weightSteps({ stepWeight: 30, maxWeight: 50 })).toEqual([30, 60]);
    expect(weightSteps({ stepWeights: [1, 5, 25, 80], maxWeight: 50 })).toEqual(
      [1, 5, 25, 80],
    );
    expect(weightSteps({ stepWeight: 40 })).toEqual([40, 80, 100]);
    expect(weightSteps({})).toEqual([]);
  });

  it('shows the weight and the step while progressing', () => {
    const summary = summarize(
      canary(weighted, {
        phase: 'Progressing',
        canaryWeight: 30,
        failedChecks: 0,
      }),
    );
    expect(summary.traffic).toMatchObject({
      mode: 'weight',
      canaryWeight: 30,
      weightSource: 'status',
      maxWeight: 50,
      currentStep: 3,
      totalSteps: 5,
    });
    expect(summary.estimatedSecondsLeft).toBe(2 * 30);
  });

  it('corrects the WaitingPromotion quirk: status says weight 0 and iterations -1, the route holds the last step', () => {
    const summary = summarize(
      canary(
        { stepWeight: 30, maxWeight: 50 },
        { phase: 'WaitingPromotion', canaryWeight: 0, iterations: -1 },
      ),
    );
    expect(summary.traffic).toMatchObject({
      canaryWeight: 60,
      weightSource: 'derived',
      maxWeight: 50,
      currentStep: 2,
      totalSteps: 2,
    });
    expect(summary.estimatedSecondsLeft).toBe(0);
  });

  it('counts a blue-green in WaitingPromotion (iterations written as analysis.iterations - 1) as done', () => {
    const summary = summarize(
      canary(
        { iterations: 4, interval: '1m' },
        { phase: 'WaitingPromotion', iterations: 3 },
      ),
    );
    expect(summary.traffic).toEqual({
      mode: 'iterations',
      currentStep: 4,
      totalSteps: 4,
    });
  });

  it('caps the extra iteration Flagger counts while routing all traffic to the canary', () => {
    expect(
      summarize(
        canary({ iterations: 4 }, { phase: 'Progressing', iterations: 5 }),
      ).traffic.currentStep,
    ).toBe(4);
    expect(
      summarize(
        canary({ iterations: 4 }, { phase: 'Progressing', iterations: -3 }),
      ).traffic.currentStep,
    ).toBe(0);
  });
});

describe('intervals and checks', () => {
  it('parses Go durations', () => {
    expect(parseGoDurationSeconds('1m30s')).toBe(90);
    expect(parseGoDurationSeconds('1.5h')).toBe(5400);
    expect(parseGoDurationSeconds('500ms')).toBe(0.5);
    expect(parseGoDurationSeconds('0')).toBe(0);
    expect(parseGoDurationSeconds('10')).toBeUndefined();
    expect(parseGoDurationSeconds('soon')).toBeUndefined();
  });

  it.each([
    [undefined, 60],
    ['', 60],
    ['2m', 120],
    ['5s', 10],
    ['0s', 10],
    ['every minute', 60],
  ])(
    'interval %j is %d seconds, like GetAnalysisInterval',
    (interval, seconds) => {
      expect(analysisIntervalSeconds({ interval })).toBe(seconds);
    },
  );

  it('treats a threshold of zero or less as one and defaults the progress deadline', () => {
    const summary = summarize(
      canary(
        { ...weighted, threshold: 0 },
        { phase: 'Progressing', failedChecks: 2 },
      ),
    );
    expect(summary.checks).toEqual({ failedChecks: 2, threshold: 1 });
    expect(summary.progressDeadlineSeconds).toBe(600);
    expect(
      summarize(canary(weighted, undefined, { progressDeadlineSeconds: 120 }))
        .progressDeadlineSeconds,
    ).toBe(120);
  });
});

describe('state', () => {
  const gated = {
    ...weighted,
    webhooks: [
      {
        name: 'gate',
        type: 'confirm-traffic-increase',
        url: 'https://portal.example.com/api/progressive-delivery/webhooks/dev/gates/confirm-traffic-increase',
      },
      {
        name: 'promote',
        type: 'confirm-promotion',
        url: 'https://portal.example.com/api/progressive-delivery/webhooks/dev/gates/confirm-promotion',
      },
      {
        name: 'rollback',
        type: 'rollback',
        url: 'https://portal.example.com/api/progressive-delivery/webhooks/dev/gates/rollback',
      },
      { name: 'load', type: 'rollout', url: 'http://flagger-loadtester.test/' },
    ],
  };

  it('sees a closed traffic gate behind Flagger’s per-tick rollback-hook noise', () => {
    const summary = summarize(
      canary(gated, { phase: 'Progressing', canaryWeight: 20 }),
      [
        event('Advance checkout.shop canary weight 20'),
        event(
          'Halt checkout.shop advancement waiting for traffic increase approval gate',
          'Warning',
        ),
        event('Rollback hook rollback not signaling a rollback'),
      ],
    );
    expect(summary.state).toMatchObject({
      kind: 'waiting-traffic-approval',
      tone: 'waiting',
      waitingFor: 'confirm-traffic-increase',
    });
  });

  it('is progressing again once the weight advanced after the gate opened', () => {
    const summary = summarize(
      canary(gated, { phase: 'Progressing', canaryWeight: 30 }),
      [
        event(
          'Halt checkout.shop advancement waiting for traffic increase approval gate',
          'Warning',
        ),
        event('Confirm-traffic-increase check gate passed'),
        event('Advance checkout.shop canary weight 30'),
      ],
    );
    expect(summary.state.kind).toBe('progressing');
  });

  it('names the last halt while failed checks accumulate', () => {
    const summary = summarize(
      canary(gated, {
        phase: 'Progressing',
        canaryWeight: 20,
        failedChecks: 2,
      }),
      [
        event('New revision detected! Scaling up checkout.shop'),
        event(
          'Halt checkout.shop advancement request duration 1.2s > 500ms',
          'Warning',
        ),
      ],
    );
    expect(summary.state).toMatchObject({
      kind: 'progressing',
      tone: 'waiting',
      detail:
        '2 of 5 failed checks; last: request-duration 1.2s > 500ms. Reaching 5 rolls the release back.',
    });
  });

  it.each([
    [
      'a metric check',
      [
        'New revision detected! Scaling up checkout.shop',
        'Halt checkout.shop advancement success rate 91.20% < 99%',
        'Rolling back checkout.shop failed checks threshold reached 5',
        'Canary failed! Scaling down checkout.shop',
      ],
      'Rolled back: request-success-rate 91.20% < 99%',
    ],
    [
      'the rollback gate',
      [
        'Rollback check rollback passed',
        'Rolling back checkout.shop manual webhook invoked',
        'Canary failed! Scaling down checkout.shop',
      ],
      'Rolled back: manual rollback (webhook)',
    ],
    [
      'the threshold without a metric halt in this run',
      [
        'Halt checkout.shop advancement success rate 50.00% < 99%',
        'New revision detected! Scaling up checkout.shop',
        'Rolling back checkout.shop failed checks threshold reached 5',
      ],
      'Rolled back: failed checks threshold reached 5',
    ],
    ['no event', [], 'Rolled back'],
  ])('explains a rollback caused by %s', (_cause, messages, headline) => {
    const summary = summarize(
      canary(gated, { phase: 'Failed', canaryWeight: 0 }),
      messages.map(m => event(m, 'Warning')),
    );
    expect(summary.state).toMatchObject({
      kind: 'failed',
      tone: 'error',
      headline,
    });
  });

  it('says a suspended canary is suspended, whatever its phase', () => {
    const summary = summarize(
      canary(
        weighted,
        { phase: 'Progressing', canaryWeight: 20 },
        { suspend: true },
      ),
    );
    expect(summary).toMatchObject({
      suspended: true,
      phase: 'Progressing',
      state: { kind: 'suspended', tone: 'neutral' },
    });
    expect(summary.state.detail).toContain('phase Progressing');
  });

  it('keeps an unknown phase as written and says it does not know it', () => {
    const summary = summarize(
      canary(weighted, { phase: 'WaitingTrafficIncrease' }),
    );
    expect(summary).toMatchObject({
      phase: undefined,
      rawPhase: 'WaitingTrafficIncrease',
      state: { kind: 'unknown' },
    });
    expect(summary.state.detail).toMatch(/does not know/);
    expect(summary.actions.every(action => !action.applicable)).toBe(true);
  });

  it('summarizes a canary without analysis or status', () => {
    const summary = summarize(canary(undefined));
    expect(summary).toMatchObject({
      strategy: 'canary',
      intervalSeconds: 60,
      checks: { failedChecks: 0, threshold: 1 },
      metrics: [],
      webhooks: [],
    });
    expect(summary.traffic).toEqual({
      mode: 'weight',
      canaryWeight: undefined,
      weightSource: undefined,
      maxWeight: 100,
      stepWeight: undefined,
      stepWeights: undefined,
      currentStep: 0,
      totalSteps: undefined,
    });
    expect(summary.revision).toBeUndefined();
  });

  it('feeds the decision state into the actions and the pending decision', () => {
    const decision: GateDecision = {
      action: 'promote',
      revision: 'r',
      decidedBy: 'user:default/ana',
      decidedAt: '2026-11-23T02:59:00Z',
    };
    const summary = summarize(
      canary(gated, { phase: 'WaitingPromotion', lastAppliedSpec: 'r' }),
      [],
      {
        decisions: { paused: false, decision },
      },
    );
    expect(summary.pendingDecision).toEqual(decision);
    expect(summary.actions.find(a => a.action === 'rollback')).toMatchObject({
      applicable: false,
      reason: expect.stringMatching(/already decided/),
    });
    const paused = summarize(
      canary(gated, { phase: 'Progressing', canaryWeight: 20 }),
      [],
      { decisions: { paused: true } },
    );
    expect(paused.state).toMatchObject({
      kind: 'waiting-traffic-approval',
      headline: 'Paused: traffic increases held',
    });
    expect(paused.actions.find(a => a.action === 'resume')?.applicable).toBe(
      true,
    );
  });
});

describe('webhooks, metrics, times and revision', () => {
  it('marks the webhooks under the configured base URL as served by the portal', () => {
    const base = 'https://portal.example.com/api/progressive-delivery/webhooks';
    expect(isServedByPortal(`${base}/dev/gates/rollback`, base)).toBe(true);
    expect(isServedByPortal(`${base}/`, `${base}/`)).toBe(true);
    expect(isServedByPortal(`${base}-evil/dev/gates/rollback`, base)).toBe(
      false,
    );
    expect(isServedByPortal('http://flagger-loadtester/gate/check', base)).toBe(
      false,
    );
    expect(isServedByPortal(`${base}/dev/gates/rollback`, undefined)).toBe(
      false,
    );
  });

  it('lists webhooks with Flagger’s default type', () => {
    const summary = summarize(
      canary({
        ...weighted,
        webhooks: [{ name: 'load', url: 'http://tester/' }],
      }),
    );
    expect(summary.webhooks).toEqual([
      {
        name: 'load',
        type: 'rollout',
        url: 'http://tester/',
        servedByPortal: false,
      },
    ]);
  });

  it('applies the deprecated threshold the way Flagger compares it', () => {
    expect(
      thresholdRangeOf({ name: 'request-success-rate', threshold: 99 }),
    ).toEqual({ min: 99 });
    expect(
      thresholdRangeOf({ name: 'request-duration', threshold: 500 }),
    ).toEqual({ max: 500 });
    expect(
      thresholdRangeOf({ name: 'errors', query: 'x', threshold: 3 }),
    ).toEqual({ max: 3 });
    // Without either, Go's zero value: a duration above 0 ms fails.
    expect(thresholdRangeOf({ name: 'request-duration' })).toEqual({ max: 0 });
    expect(
      thresholdRangeOf({
        name: 'request-duration',
        thresholdRange: { max: 500 },
        threshold: 1,
      }),
    ).toEqual({ min: undefined, max: 500 });
  });

  it.each([
    [99, { min: 99 }, 'pass'],
    [98.99, { min: 99 }, 'fail'],
    [500, { max: 500 }, 'pass'],
    [501, { max: 500 }, 'fail'],
    [5, { min: 1, max: 10 }, 'pass'],
    [undefined, { min: 1 }, 'no-data'],
    [NaN, { min: 1 }, 'no-data'],
  ])('value %s against %j is %s', (value, range, verdict) => {
    expect(verdictOf(value as number | undefined, range)).toBe(verdict);
  });

  it('describes each metric with its source, unit, readings and a Prometheus link', () => {
    const summary = summarize(
      canary({
        ...weighted,
        metrics: [
          {
            name: 'request-success-rate',
            thresholdRange: { min: 99 },
            interval: '1m',
          },
          { name: 'request-duration', threshold: 500 },
          {
            name: 'errors',
            templateRef: { name: 'errors', namespace: 'flagger' },
            thresholdRange: { max: 1 },
          },
        ],
      }),
      [],
      {
        prometheusUrl: 'https://prom.example.com',
        metricReadings: new Map([
          [
            'request-success-rate',
            {
              value: 99.5,
              primaryValue: 100,
              query: 'sum(x{a="b"})',
              at: '2026-11-23T02:59:55Z',
            },
          ],
          ['request-duration', { at: '2026-11-23T02:59:55Z', query: 'q2' }],
        ]),
      },
    );
    expect(summary.metrics[0]).toMatchObject({
      source: 'builtin',
      unit: 'percent',
      current: { verdict: 'pass', value: 99.5, primaryValue: 100 },
      prometheusUrl:
        'https://prom.example.com/graph?g0.expr=sum%28x%7Ba%3D%22b%22%7D%29&g0.tab=0&g0.range_input=30m',
    });
    expect(summary.metrics[1]).toMatchObject({
      unit: 'milliseconds',
      interval: '1m',
      thresholdRange: { max: 500 },
      current: { verdict: 'no-data' },
    });
    expect(summary.metrics[2]).toMatchObject({
      source: 'template',
      unit: 'none',
      templateRef: { namespace: 'flagger', name: 'errors' },
    });
    expect(summary.metrics[2].current).toBeUndefined();
  });

  it('says metrics are unavailable when the cluster has no Prometheus configured', () => {
    const summary = summarize(
      canary({
        ...weighted,
        metrics: [{ name: 'request-success-rate', threshold: 99 }],
      }),
      [],
      {
        prometheusConfigured: false,
      },
    );
    expect(summary.metrics[0].current).toMatchObject({
      verdict: 'unavailable',
      message: expect.stringContaining(
        'progressiveDelivery.clusters.dev.prometheus.url',
      ),
    });
  });

  it('dates the current run from its "New revision detected" event', () => {
    const summary = summarize(
      canary(weighted, {
        phase: 'Progressing',
        canaryWeight: 10,
        lastTransitionTime: '2026-11-23T02:00:30Z',
      }),
      [
        {
          ...event('New revision detected! Scaling up checkout.shop'),
          count: 3,
          firstTimestamp: '2026-11-22T10:00:00Z',
          lastTimestamp: '2026-11-23T02:00:20Z',
        },
        event('Advance checkout.shop canary weight 10'),
      ],
    );
    expect(summary.startedAt).toBe('2026-11-23T02:00:20.000Z');
    expect(summary.lastTransitionTime).toBe('2026-11-23T02:00:30.000Z');
    expect(
      summarize(canary(weighted, { phase: 'Succeeded' })).startedAt,
    ).toBeUndefined();
  });

  it('binds the revision to lastAppliedSpec and the sorted tracked configs', () => {
    const a = canary(weighted, {
      lastAppliedSpec: '5d8f',
      trackedConfigs: { 'secret/b': '2', 'configmap/a': '1' },
    });
    const b = canary(weighted, {
      lastAppliedSpec: '5d8f',
      trackedConfigs: { 'configmap/a': '1', 'secret/b': '2' },
    });
    expect(revisionKey(a)).toBe(revisionKey(b));
    expect(revisionKey(a)).not.toBe(
      revisionKey(
        canary(weighted, {
          lastAppliedSpec: '5d8f',
          trackedConfigs: { 'configmap/a': '9', 'secret/b': '2' },
        }),
      ),
    );
    expect(summarize(a).trackedConfigs).toEqual([
      { kind: 'secret', name: 'b', checksum: '2' },
      { kind: 'configmap', name: 'a', checksum: '1' },
    ]);
  });
});

describe('events', () => {
  it.each([
    ['all the metrics providers are available!', 'initialization'],
    ['Initialization done! checkout.shop', 'initialization'],
    [
      'Error checking metric providers: prometheus not available',
      'initialization',
    ],
    ['New revision detected! Scaling up checkout.shop', 'new-revision'],
    [
      'New revision detected! Restarting analysis for checkout.shop',
      'new-revision',
    ],
    ['Halt checkout.shop advancement waiting for approval gate', 'gate-wait'],
    [
      'Halt checkout.shop advancement waiting for traffic increase approval gate',
      'gate-wait',
    ],
    [
      'Halt checkout.shop advancement waiting for promotion approval gate',
      'gate-wait',
    ],
    ['Confirm-rollout check gate passed', 'gate-pass'],
    ['Confirm-traffic-increase check gate passed', 'gate-pass'],
    ['Confirm-promotion check gate passed', 'gate-pass'],
    ['Pre-rollout check smoke passed', 'gate-pass'],
    ['Post-rollout check notify passed', 'gate-pass'],
    ['Starting canary analysis for checkout.shop', 'advance'],
    ['Advance checkout.shop canary weight 20', 'advance'],
    ['Advance checkout.shop canary iteration 2/4', 'advance'],
    ['Routing all traffic to canary', 'advance'],
    ['Stop traffic mirroring and route all traffic to canary', 'advance'],
    ['Halt checkout.shop advancement success rate 98.50% < 99%', 'halt'],
    ['Halt checkout.shop advancement request duration 1.5s > 500ms', 'halt'],
    [
      'Halt advancement no values found for contour metric request-success-rate probably checkout.shop is not receiving traffic',
      'halt',
    ],
    ['Halt checkout.shop advancement pre-rollout check smoke failed', 'halt'],
    ['Prometheus query failed: timeout', 'halt'],
    [
      'checkout-primary.shop not ready: waiting for rollout to finish: 0 of 1 updated replicas are available',
      'halt',
    ],
    [
      'Copying checkout.shop template spec to checkout-primary.shop',
      'promotion',
    ],
    ['Routing all traffic to primary', 'promotion'],
    ['Advance checkout.shop primary weight 50', 'promotion'],
    ['Promotion completed! Scaling down checkout.shop', 'promotion'],
    ['Rollback check rollback passed', 'rollback'],
    ['Rolling back checkout.shop manual webhook invoked', 'rollback'],
    [
      'Rolling back checkout.shop failed checks threshold reached 3',
      'rollback',
    ],
    ['Canary failed! Scaling down checkout.shop', 'failure'],
    [
      'Promotion of checkout.shop failed, primary not ready: deadline exceeded',
      'failure',
    ],
    ['Post-rollout hook notify failed: 500', 'failure'],
    ['Rollback hook rollback not signaling a rollback', 'other'],
    ['skipping canary run as object is suspended', 'other'],
  ])('%s → %s', (message, category) => {
    expect(classifyEventMessage(message)).toBe(category);
  });

  it('orders newest first, keeps Flagger’s order within a second, and reports counts', () => {
    const events = toCanaryEvents([
      {
        message: 'Halt checkout.shop advancement waiting for approval gate',
        type: 'Warning',
        count: 4,
        firstTimestamp: '2026-11-23T01:00:00Z',
        lastTimestamp: '2026-11-23T01:00:40Z',
      },
      {
        message: 'Confirm-rollout check gate passed',
        type: 'Normal',
        firstTimestamp: '2026-11-23T01:00:50Z',
        lastTimestamp: '2026-11-23T01:00:50Z',
      },
      {
        message: 'New revision detected! Scaling up checkout.shop',
        type: 'Normal',
        firstTimestamp: '2026-11-23T01:00:50Z',
        lastTimestamp: '2026-11-23T01:00:50Z',
      },
    ]);
    expect(events.map(e => e.category)).toEqual([
      'new-revision',
      'gate-pass',
      'gate-wait',
    ]);
    expect(events[2]).toEqual({
      category: 'gate-wait',
      type: 'Warning',
      message: 'Halt checkout.shop advancement waiting for approval gate',
      count: 4,
      firstSeen: '2026-11-23T01:00:00.000Z',
      lastSeen: '2026-11-23T01:00:40.000Z',
    });
  });
});
