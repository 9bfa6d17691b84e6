import {
  BENCH_APP,
  BENCH_APP_NAMESPACE,
  BENCH_LABEL,
  backingServer,
  benchCanary,
  canariesPerServer,
  freshnessStatus,
  parseScales,
  planServer,
  proxiedClusterName,
  RENDER_APP,
  RENDER_NAMESPACE,
  SCALES,
  serversUsed,
} from './canaries';

describe('spreading canaries over the two real API servers', () => {
  it('alternates the proxied clusters between dev and prod and names them so', () => {
    expect([0, 1, 2, 3, 4].map(backingServer)).toEqual([
      'dev',
      'prod',
      'dev',
      'prod',
      'dev',
    ]);
    expect(proxiedClusterName(0)).toBe('dev-01');
    expect(proxiedClusterName(19)).toBe('prod-20');
  });

  it.each(SCALES)(
    'makes the backend see exactly $canaries canaries in $clusters cluster(s)',
    scale => {
      const perServer = canariesPerServer(scale);
      const seen = Array.from({ length: scale.clusters }, (_, i) => i).reduce(
        sum => sum + perServer,
        0,
      );
      expect(seen).toBe(scale.canaries);
      expect(serversUsed(scale)).toEqual(
        scale.clusters === 1 ? ['dev'] : ['dev', 'prod'],
      );
    },
  );

  it('refuses a scale that cannot be spread evenly', () => {
    expect(() => canariesPerServer({ clusters: 3, canaries: 1000 })).toThrow(
      /cannot be spread evenly/,
    );
  });
});

describe('planServer', () => {
  it('puts the bench-app canary first in bench-1 and fills namespaces of 100', () => {
    const plans = planServer(250);
    expect(plans.map(p => [p.namespace, p.canaries.length])).toEqual([
      ['bench-1', 100],
      ['bench-2', 100],
      ['bench-3', 50],
    ]);
    expect(plans[0].namespace).toBe(BENCH_APP_NAMESPACE);
    expect(plans[0].canaries[0]).toBe(BENCH_APP);
    const all = plans.flatMap(p => p.canaries.map(n => `${p.namespace}/${n}`));
    expect(new Set(all).size).toBe(250);
  });

  it('holds the rendered canaries in their own namespace within the same total', () => {
    const plans = planServer(1000, 200);
    expect(plans[0]).toEqual(
      expect.objectContaining({ namespace: RENDER_NAMESPACE }),
    );
    expect(plans[0].canaries).toHaveLength(200);
    expect(plans.reduce((sum, p) => sum + p.canaries.length, 0)).toBe(1000);
    expect(plans.filter(p => p.canaries.includes(BENCH_APP))).toHaveLength(1);
  });

  it('refuses a total too small for what it must hold', () => {
    expect(() => planServer(200, 200)).toThrow(/cannot hold/);
  });
});

describe('benchCanary', () => {
  it('builds the bench-app canary as the entity expects to find it', () => {
    const canary = benchCanary(BENCH_APP_NAMESPACE, BENCH_APP) as any;
    expect(canary.spec.targetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: BENCH_APP,
    });
    expect(canary.metadata.labels['app.kubernetes.io/part-of']).toBe(BENCH_APP);
    expect(canary.metadata.labels[BENCH_LABEL]).toBe('bench');
    expect(canary.spec.service.port).toBe(80);
    expect(canary.spec.analysis).toEqual(
      expect.objectContaining({ interval: '1m', threshold: 5, stepWeight: 10 }),
    );
  });

  it('gives rendered canaries the render app and fillers their own app', () => {
    expect(
      (benchCanary(RENDER_NAMESPACE, 'render-007') as any).spec.targetRef.name,
    ).toBe(RENDER_APP);
    expect(
      (benchCanary('bench-2', 'filler-2-001') as any).spec.targetRef.name,
    ).toBe('filler-2-001');
  });

  it('mixes contour canaries and kubernetes blue-green ones, each valid for its strategy', () => {
    const fillers = Array.from(
      { length: 40 },
      (_, i) => benchCanary('bench-2', `filler-2-${i}`) as any,
    );
    const blueGreen = fillers.filter(c => c.spec.provider === 'kubernetes');
    const contour = fillers.filter(c => c.spec.provider === 'contour');
    expect(blueGreen.length).toBeGreaterThan(0);
    expect(contour.length).toBeGreaterThan(0);
    for (const canary of blueGreen) {
      expect(canary.spec.analysis.iterations).toBe(10);
      expect(canary.spec.analysis.stepWeight).toBeUndefined();
    }
    for (const canary of contour) {
      expect(canary.spec.analysis.stepWeight).toBe(10);
    }
  });
});

describe('freshnessStatus', () => {
  it('changes the status on every step', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const statuses = Array.from({ length: 15 }, (_, i) =>
      JSON.stringify(freshnessStatus(i, new Date(now.getTime() + i))),
    );
    expect(new Set(statuses).size).toBe(15);
  });
});

describe('parseScales', () => {
  it('uses the default scales without a value', () => {
    expect(parseScales(undefined)).toBe(SCALES);
    expect(parseScales(' ')).toBe(SCALES);
  });

  it('reads clusters:canaries pairs', () => {
    expect(parseScales('1:200, 2:400')).toEqual([
      { clusters: 1, canaries: 200 },
      { clusters: 2, canaries: 400 },
    ]);
  });

  it('explains what it expects when the value is malformed or uneven', () => {
    expect(() => parseScales('1-200')).toThrow(/clusters:canaries/);
    expect(() => parseScales('3:1000')).toThrow(/spread evenly/);
    expect(() => parseScales('0:0')).toThrow(/at least one cluster/);
  });
});
