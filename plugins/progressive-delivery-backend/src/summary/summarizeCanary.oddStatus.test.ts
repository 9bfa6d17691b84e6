import {
  CANARY_PHASES,
  CanarySummary,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import fc from 'fast-check';
import capture from '../__fixtures__/sandbox-capture.json';
import { revisionKey } from '../flagger/revision';
import { summarizeCanary } from './summarizeCanary';

type Obj = Record<string, any>;

/**
 * Canaries as a cluster may really hold them: no status yet, a phase from a newer Flagger,
 * negative or non-numeric counters, missing analysis, fields of the wrong type. The summary
 * must say what it knows, mark what it does not, and never throw.
 */

const realCanaries: Obj[] = (capture as any).canaries.map((c: any) => c.object);

/** Any value a field could hold when a client (or a future Flagger) writes it. */
const oddValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, NaN, Infinity),
  fc.string({ maxLength: 30 }),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
    maxKeys: 3,
  }),
);

const oddStatus = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.record(
    {
      phase: fc.oneof(
        fc.constantFrom(...CANARY_PHASES, '', 'Exploding', 'progressing'),
        oddValue,
      ),
      canaryWeight: oddValue,
      iterations: oddValue,
      failedChecks: oddValue,
      lastAppliedSpec: oddValue,
      lastPromotedSpec: oddValue,
      lastTransitionTime: fc.oneof(
        oddValue,
        fc
          .date()
          .map(d => (Number.isNaN(d.getTime()) ? 'bad' : d.toISOString())),
      ),
      trackedConfigs: oddValue,
      conditions: oddValue,
    },
    { requiredKeys: [] },
  ),
);

const oddAnalysis = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      interval: oddValue,
      threshold: oddValue,
      maxWeight: oddValue,
      stepWeight: oddValue,
      stepWeights: oddValue,
      iterations: oddValue,
      match: oddValue,
      mirror: oddValue,
      metrics: fc.oneof(
        oddValue,
        fc.array(
          fc.record(
            {
              name: oddValue,
              interval: oddValue,
              thresholdRange: oddValue,
              threshold: oddValue,
              templateRef: oddValue,
              query: oddValue,
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      ),
      webhooks: fc.oneof(
        oddValue,
        fc.array(
          fc.record(
            { name: oddValue, type: oddValue, url: oddValue },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      ),
    },
    { requiredKeys: [] },
  ),
);

const oddCanary = fc
  .tuple(
    fc.constantFrom(...realCanaries),
    oddStatus,
    oddAnalysis,
    fc.record(
      {
        provider: oddValue,
        skipAnalysis: oddValue,
        suspend: oddValue,
        progressDeadlineSeconds: oddValue,
        targetRef: oddValue,
      },
      { requiredKeys: [] },
    ),
  )
  .map(([real, status, analysis, spec]) => {
    const object = structuredClone(real);
    object.status = status;
    object.spec = { ...object.spec, ...spec, analysis };
    return object;
  });

const oddEvents = fc.array(
  fc.record(
    {
      message: oddValue,
      type: oddValue,
      reason: oddValue,
      count: oddValue,
      lastTimestamp: oddValue,
      firstTimestamp: oddValue,
      metadata: fc.constant({ uid: 'e' }),
    },
    { requiredKeys: [] },
  ),
  { maxLength: 4 },
);

function summarize(object: Obj, events: Obj[]): CanarySummary {
  return summarizeCanary(
    {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'odd' },
      object,
      events,
      revision: revisionKey(object),
    },
    {
      decisions: { paused: false },
      webhookBaseUrl: 'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
      now: new Date('2026-11-23T03:00:00Z'),
      clusterFresh: true,
      prometheusConfigured: false,
    },
  );
}

describe('summarizeCanary on odd canaries', () => {
  it('never throws and keeps the summary well formed', () => {
    fc.assert(
      fc.property(oddCanary, oddEvents, (object, events) => {
        const summary = summarize(object, events);
        // a phase is reported only when Flagger documents it; the raw one stays visible
        expect([undefined, ...CANARY_PHASES]).toContain(summary.phase);
        expect(['canary', 'blue-green', 'ab-testing']).toContain(
          summary.strategy,
        );
        expect(typeof summary.state.headline).toBe('string');
        expect(summary.state.headline.length).toBeGreaterThan(0);
        const counters = {
          currentStep: summary.traffic.currentStep,
          totalSteps: summary.traffic.totalSteps,
          failedChecks: summary.checks.failedChecks,
          threshold: summary.checks.threshold,
          intervalSeconds: summary.intervalSeconds,
          canaryWeight: summary.traffic.canaryWeight,
          maxWeight: summary.traffic.maxWeight,
        };
        for (const [field, n] of Object.entries(counters)) {
          if (n !== undefined && !(Number.isFinite(n) && n >= 0)) {
            throw new Error(`${field} is ${n}`);
          }
        }
        expect(Array.isArray(summary.metrics)).toBe(true);
        expect(Array.isArray(summary.events)).toBe(true);
        expect(summary.actions.length).toBeGreaterThan(0);
        // the summary travels as JSON to the browser
        expect(() => JSON.stringify(summary)).not.toThrow();
      }),
      { numRuns: 300, seed: 20261123 },
    );
  });

  it('summarizes a canary with no status yet as such', () => {
    const object = structuredClone(realCanaries[0]);
    delete object.status;
    const summary = summarize(object, []);
    expect(summary.phase).toBeUndefined();
    expect(summary.rawPhase).toBeUndefined();
    expect(summary.checks.failedChecks).toBe(0);
  });

  it('shows an unknown phase as written and negative counters as zero', () => {
    const object = structuredClone(realCanaries[0]);
    object.status = {
      ...object.status,
      phase: 'Exploding',
      iterations: -3,
      failedChecks: -1,
      canaryWeight: -20,
    };
    const summary = summarize(object, []);
    expect(summary.phase).toBeUndefined();
    expect(summary.rawPhase).toBe('Exploding');
    expect(summary.checks.failedChecks).toBe(0);
    expect(summary.traffic.canaryWeight ?? 0).toBeGreaterThanOrEqual(0);
  });
});
