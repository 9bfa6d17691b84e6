import capture from '../__fixtures__/sandbox-capture.json';
import { WatchedCanary } from '../types';
import { revisionKey } from '../flagger/revision';
import { parseDurationSeconds } from '../flagger/analysis';
import { summarizeCanary, SummarizeContext } from './summarizeCanary';

/*
 * Real objects captured from the sandbox (real Flagger v1.44.0). Phases Flagger passes
 * through are produced by setting the status fields exactly as Flagger writes them.
 */
type Obj = Record<string, any>;
const fixture = capture as any;

function realCanary(cluster: string, name: string): Obj {
  return structuredClone(
    fixture.canaries.find(
      (c: any) => c.cluster === cluster && c.object.metadata.name === name,
    ).object,
  );
}

function deployment(cluster: string, name: string): Obj | undefined {
  return fixture.deployments.find(
    (d: any) => d.cluster === cluster && d.object.metadata.name === name,
  )?.object;
}

function watched(
  object: Obj,
  events: Obj[] = [],
  cluster = 'dev',
): WatchedCanary {
  const target = object.spec.targetRef.name;
  return {
    ref: {
      cluster,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    },
    object,
    target: deployment(cluster, target),
    primary: deployment(cluster, `${target}-primary`),
    events,
    revision: revisionKey(object),
  };
}

const context = (
  overrides: Partial<SummarizeContext> = {},
): SummarizeContext => ({
  decisions: { paused: false },
  webhookBaseUrl: 'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
  now: new Date('2026-11-23T03:00:00Z'),
  clusterFresh: true,
  prometheusConfigured: true,
  ...overrides,
});

const event = (
  message: string,
  type = 'Normal',
  at = '2026-11-23T02:59:00Z',
) => ({
  message,
  type,
  firstTimestamp: at,
  lastTimestamp: at,
  count: 1,
  metadata: { uid: message },
});

describe('summarizeCanary on real sandbox objects', () => {
  it('summarizes the Contour canary as Flagger runs it', () => {
    const summary = summarizeCanary(
      watched(realCanary('dev', 'hello-contour')),
      context(),
    );
    expect(summary.ref).toEqual({
      cluster: 'dev',
      namespace: 'tap-apps',
      name: 'hello-contour',
    });
    expect(summary.strategy).toBe('canary');
    expect(summary.provider).toBe('contour');
    expect(summary.phase).toBe('Initialized');
    expect(summary.state).toMatchObject({ kind: 'idle', tone: 'ok' });
    expect(summary.traffic).toMatchObject({
      mode: 'weight',
      maxWeight: 60,
      stepWeight: 20,
      totalSteps: 3,
    });
    expect(summary.intervalSeconds).toBe(10);
    expect(summary.metrics.map(m => m.name)).toEqual([
      'request-success-rate',
      'request-duration',
    ]);
    expect(summary.primary?.images[0].image).toMatch(/hello-contour/);
    expect(summary.revision).toBe(
      realCanary('dev', 'hello-contour').status.lastAppliedSpec,
    );
  });

  it('derives blue-green from the kubernetes provider and counts iterations', () => {
    const canary = realCanary('dev', 'hello-bluegreen');
    canary.status = { ...canary.status, phase: 'Progressing', iterations: 2 };
    const summary = summarizeCanary(watched(canary), context());
    expect(summary.strategy).toBe('blue-green');
    expect(summary.traffic).toMatchObject({
      mode: 'iterations',
      currentStep: 2,
    });
    expect(summary.traffic.totalSteps).toBe(canary.spec.analysis.iterations);
    expect(summary.estimatedSecondsLeft).toBe(
      (canary.spec.analysis.iterations - 2) * 10,
    );
  });

  it('knows which gates the portal decides for the gated app', () => {
    const summary = summarizeCanary(
      watched(realCanary('dev', 'hello-gated')),
      context(),
    );
    const portalGates = summary.webhooks
      .filter(hook => hook.servedByPortal)
      .map(hook => hook.type);
    expect(portalGates).toEqual(
      expect.arrayContaining([
        'confirm-rollout',
        'confirm-traffic-increase',
        'confirm-promotion',
        'rollback',
      ]),
    );
  });

  it('shows the real weight in WaitingPromotion, where Flagger writes canaryWeight 0', () => {
    const canary = realCanary('dev', 'hello-gated');
    canary.status = {
      ...canary.status,
      phase: 'WaitingPromotion',
      canaryWeight: 0,
      iterations: -1,
    };
    const summary = summarizeCanary(watched(canary), context());
    expect(summary.traffic).toMatchObject({
      canaryWeight: 60,
      weightSource: 'derived',
      currentStep: 3,
    });
    expect(summary.state).toMatchObject({
      kind: 'waiting-promotion-approval',
      waitingFor: 'confirm-promotion',
    });
    expect(summary.actions.find(a => a.action === 'promote')?.applicable).toBe(
      true,
    );
  });

  it('says Waiting means a rollout waiting for approval', () => {
    const canary = realCanary('dev', 'hello-gated');
    canary.status.phase = 'Waiting';
    const summary = summarizeCanary(watched(canary), context());
    expect(summary.state.waitingFor).toBe('confirm-rollout');
    expect(
      summary.actions.find(a => a.action === 'approve-rollout')?.applicable,
    ).toBe(true);
    expect(summary.actions.find(a => a.action === 'promote')?.applicable).toBe(
      false,
    );
  });

  it('detects a denied traffic increase, which has no phase of its own', () => {
    const canary = realCanary('dev', 'hello-gated');
    canary.status = {
      ...canary.status,
      phase: 'Progressing',
      canaryWeight: 20,
    };
    const summary = summarizeCanary(
      watched(canary, [
        event(
          'Halt hello-gated.tap-apps advancement waiting for traffic increase approval portal',
          'Warning',
        ),
      ]),
      context(),
    );
    expect(summary.state.kind).toBe('waiting-traffic-approval');
  });

  it('explains a rollback with the failed check in Flagger’s words', () => {
    const canary = realCanary('dev', 'hello-contour');
    canary.status = {
      ...canary.status,
      phase: 'Failed',
      failedChecks: 0,
      canaryWeight: 0,
    };
    const summary = summarizeCanary(
      watched(canary, [
        event(
          'Halt hello-contour.tap-apps advancement success rate 70.07% < 99%',
          'Warning',
          '2026-11-23T02:58:00Z',
        ),
        event(
          'Rolling back hello-contour.tap-apps failed checks threshold reached 3',
          'Warning',
          '2026-11-23T02:58:30Z',
        ),
        event(
          'Canary failed! Scaling down hello-contour.tap-apps',
          'Warning',
          '2026-11-23T02:58:31Z',
        ),
      ]),
      context(),
    );
    expect(summary.state).toMatchObject({
      kind: 'failed',
      tone: 'error',
      headline: 'Rolled back: request-success-rate 70.07% < 99%',
    });
    expect(summary.events.map(e => e.category)).toEqual([
      'failure',
      'rollback',
      'halt',
    ]);
  });

  it.each([
    ['Initializing', 'initializing'],
    ['Promoting', 'promoting'],
    ['Finalising', 'finalising'],
    ['Succeeded', 'succeeded'],
    ['Terminating', 'terminating'],
    ['Terminated', 'terminated'],
  ])('summarizes phase %s', (phase, kind) => {
    const canary = realCanary('dev', 'hello-contour');
    canary.status.phase = phase;
    expect(summarizeCanary(watched(canary), context()).state.kind).toBe(kind);
  });

  it('never crashes on a missing status, an unknown phase or odd values', () => {
    const noStatus = realCanary('dev', 'hello-contour');
    delete noStatus.status;
    const summary = summarizeCanary(watched(noStatus), context());
    expect(summary.phase).toBeUndefined();
    expect(summary.revision).toBeUndefined();
    expect(summary.state.kind).toBe('initializing');

    const unknown = realCanary('dev', 'hello-contour');
    unknown.status = {
      ...unknown.status,
      phase: 'Exploding',
      iterations: -5,
      failedChecks: -1,
    };
    const odd = summarizeCanary(watched(unknown), context());
    expect(odd).toMatchObject({
      phase: undefined,
      rawPhase: 'Exploding',
      checks: { failedChecks: 0 },
    });
    expect(odd.state.headline).toBe('Unknown phase "Exploding"');

    const noAnalysis = realCanary('dev', 'hello-contour');
    delete noAnalysis.spec.analysis;
    expect(
      summarizeCanary(watched(noAnalysis), context()).checks.threshold,
    ).toBe(1);
  });

  it('marks metrics unavailable when Prometheus is down, and judges readings against the range', () => {
    const canary = realCanary('dev', 'hello-contour');
    const readings = new Map([
      [
        'request-success-rate',
        { value: 91.2, at: '2026-11-23T03:00:00Z', query: 'q' },
      ],
      [
        'request-duration',
        {
          error: 'Prometheus at http://x is unreachable: ECONNREFUSED',
          at: '2026-11-23T03:00:00Z',
        },
      ],
    ]);
    const summary = summarizeCanary(
      watched(canary),
      context({ metricReadings: readings, prometheusUrl: 'http://prom' }),
    );
    expect(summary.metrics[0].current).toMatchObject({
      verdict: 'fail',
      value: 91.2,
    });
    expect(summary.metrics[0].prometheusUrl).toBe(
      'http://prom/graph?g0.expr=q&g0.tab=0&g0.range_input=30m',
    );
    expect(summary.metrics[1].current).toMatchObject({
      verdict: 'unavailable',
    });
  });

  it('marks summaries of an unreachable cluster as not fresh', () => {
    expect(
      summarizeCanary(
        watched(realCanary('prod', 'hello-contour'), [], 'prod'),
        context({ clusterFresh: false }),
      ).fresh,
    ).toBe(false);
  });
});

describe('parseDurationSeconds', () => {
  it('reads Flagger durations and falls back like Flagger', () => {
    expect(parseDurationSeconds('1m30s', 60)).toBe(90);
    expect(parseDurationSeconds('10s', 60)).toBe(10);
    expect(parseDurationSeconds('soon', 60)).toBe(60);
    expect(parseDurationSeconds(undefined, 60)).toBe(60);
  });
});

describe('summarizeCanary on a real failed release', () => {
  it('names the failed metric check with its value and threshold, from the captured events', () => {
    const failed = require('../__fixtures__/failed-release.json');
    const summary = summarizeCanary(
      {
        ref: { cluster: 'prod', namespace: 'tap-apps', name: 'hello-contour' },
        object: failed.canary,
        events: failed.events,
        revision: revisionKey(failed.canary),
      },
      context(),
    );
    expect(summary.phase).toBe('Failed');
    expect(summary.state.headline).toBe(
      'Rolled back: request-success-rate 60.00% < 99%',
    );
    expect(summary.events[0].category).toBe('failure');
    expect(summary.events.map(e => e.category)).toEqual(
      expect.arrayContaining([
        'initialization',
        'new-revision',
        'advance',
        'halt',
        'rollback',
        'failure',
      ]),
    );
  });
});
