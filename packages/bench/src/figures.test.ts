import {
  formatTargets,
  pageTargets,
  perThousandCanaries,
  rowTargets,
  RunFigures,
  runFigures,
  worstOf,
} from './figures';

const run = (summaryP99Ms: number, ratio: number): RunFigures => ({
  summaryP50Ms: 3,
  summaryP99Ms,
  summaryMaxMs: summaryP99Ms + 5,
  eventLoopDelayP99Ms: 10,
  eventLoopDelayMaxMs: 20,
  peerP50Ms: 120,
  peerP99Ms: Math.round(summaryP99Ms * ratio),
  peerViews: 50,
  ratio,
});

describe('runFigures', () => {
  it('takes percentiles of ours and the peer and their ratio', () => {
    const ours = Array.from({ length: 100 }, (_, i) => i + 1);
    const peer = Array.from({ length: 100 }, (_, i) => 10 * (i + 1));
    const figures = runFigures(ours, peer, {
      eventLoopDelayP99Ms: 12.34,
      eventLoopDelayMaxMs: 40,
    });
    expect(figures).toMatchObject({
      summaryMaxMs: 100,
      eventLoopDelayP99Ms: 12.3,
      peerViews: 100,
      ratio: 10,
    });
    expect(figures.summaryP99Ms).toBeGreaterThan(figures.summaryP50Ms);
  });

  it('refuses a run without samples', () => {
    expect(() =>
      runFigures([], [1], { eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0 }),
    ).toThrow(/samples/);
  });
});

describe('worstOf', () => {
  it('reports the worst run, the spread of p99 and the smallest ratio of one run', () => {
    const worst = worstOf([run(10, 30), run(24, 12), run(12, 25)]);
    expect(worst).toMatchObject({
      summaryP99Ms: 24,
      summaryP99SpreadMs: 14,
      summaryMaxMs: 29,
      ratio: 12,
    });
  });
});

describe('perThousandCanaries', () => {
  it('divides what the canaries added to the idle backend by thousands of canaries', () => {
    expect(
      perThousandCanaries(
        { heapUsedMb: 400, rssMb: 900 },
        { heapMb: 150, rssMb: 500, cpuSeconds: 4 },
        100_000,
      ),
    ).toEqual({ heapPer1000CanariesMb: 2.5, rssPer1000CanariesMb: 4 });
  });

  it('is null without a baseline', () => {
    expect(
      perThousandCanaries({ heapUsedMb: 400, rssMb: 900 }, undefined, 1000),
    ).toEqual({ heapPer1000CanariesMb: null, rssPer1000CanariesMb: null });
  });
});

describe('rowTargets', () => {
  it('holds each run to the latency targets, and large rows to sync time and heap', () => {
    const targets = rowTargets({
      clusters: 100,
      canaries: 100_000,
      runs: [run(20, 25), run(26, 19)],
      syncSeconds: 75,
      heapPer1000CanariesMb: 2.1,
    });
    expect(targets.map(t => [t.what, t.met])).toEqual([
      ['run 1: ours p99', true],
      ['run 1: peer p99 ÷ ours', true],
      ['run 2: ours p99', false],
      ['run 2: peer p99 ÷ ours', false],
      ['backend start until every cluster synced', false],
      ['heap per 1,000 canaries above the idle backend', true],
    ]);
  });

  it('holds small rows to the latency targets only', () => {
    const targets = rowTargets({
      clusters: 5,
      canaries: 5000,
      runs: [run(5, 40)],
      syncSeconds: null,
      heapPer1000CanariesMb: null,
    });
    expect(targets).toHaveLength(2);
    expect(targets.every(t => t.met)).toBe(true);
  });
});

describe('pageTargets and formatTargets', () => {
  it('compares the tab with the Overview and says what was missed', () => {
    const targets = pageTargets([
      { name: 'tab', medianMs: 2600 },
      { name: 'overview', medianMs: 1800 },
      { name: 'waiting', medianMs: 1500 },
    ]);
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      met: false,
      value: '1.44× (2600 / 1800 ms)',
    });
    const text = formatTargets(targets);
    expect(text.split('\n')[0]).toBe('targets: 0 met, 1 missed');
    expect(text).toContain('MISSED');
  });

  it('has nothing to compare without both pages', () => {
    expect(pageTargets([{ name: 'tab', medianMs: 1 }])).toEqual([]);
  });
});
