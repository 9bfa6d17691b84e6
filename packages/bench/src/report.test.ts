import {
  formatLoad,
  formatNotes,
  formatTable,
  LoadResult,
  LoadSide,
  resultRows,
  ScaleRow,
} from './report';

const row: ScaleRow = {
  clusters: 20,
  canaries: 10000,
  summaryP50Ms: 3.21,
  summaryP99Ms: 7.5,
  summaryMaxMs: 12,
  summaryP99SpreadMs: 1.5,
  runs: [],
  eventLoopDelayP99Ms: 11.2,
  eventLoopDelayMaxMs: 14.1,
  peerP50Ms: 420,
  peerP99Ms: 910,
  ratio: 121.3,
  freshnessP50Ms: 70,
  freshnessP95Ms: 95,
  freshnessAllClustersP95Ms: 120,
  freshnessMissed: 0,
  apiRequestsPerPageView: 0,
  apiBytesSentPerPageView: 0,
  apiRequestsPerPeerPageView: 20,
  apiRequestsPerMinute: 0.5,
  promQueriesPerRefresh: 80,
  promQueriesPerRefreshPerCluster: 4,
  rssMb: 412,
  heapMb: 180,
  heapPer1000CanariesMb: 1.23,
  rssPer1000CanariesMb: 2.5,
  cpuSeconds: 30.2,
  idleCpuSecondsPerMinute: 1.5,
  syncSeconds: 40,
  errors: [],
};

describe('formatTable', () => {
  it('prints one aligned line per scale under a header', () => {
    const lines = formatTable([
      row,
      { ...row, clusters: 1, canaries: 1000 },
    ]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/clusters\s+canaries\s+ours p50\/p99 ms/);
    expect(lines[1]).toMatch(
      /^\s*20\s+10000\s+3\.2\/7\.5\s+1\.5\s+420\/910\s+121\s/,
    );
    expect(lines[0]).toMatch(/heap MB\/1k\s+sync s/);
    expect(lines[1]).toMatch(/\s1\.23\s+40\.0\s/);
    expect(new Set(lines.map(line => line.length)).size).toBe(1);
  });

  it('shows a dash for figures that were not measured', () => {
    const table = formatTable([
      { ...row, summaryP50Ms: null, summaryP99Ms: null, ratio: null },
    ]);
    expect(table.split('\n')[1]).toMatch(/–\/–/);
  });
});

describe('resultRows', () => {
  it('writes one self-contained row per scale, with the frontend figures', () => {
    const rows = resultRows({
      generatedAt: '2026-11-23T05:00:00.000Z',
      machine: { cpus: 2, node: 'v20', platform: 'linux' },
      settings: { oneWayDelayMs: 50 },
      rows: [row, { ...row, clusters: 1, canaries: 1000 }],
      frontend: {
        bundle: {
          files: 3,
          rawBytes: 90_000,
          gzipBytes: 30_822,
          buildSeconds: 9,
        },
        pages: [
          { name: 'tab', path: '/t', medianMs: 812.34, samplesMs: [812.34] },
          { name: 'overview', path: '/o', medianMs: 700, samplesMs: [700] },
        ],
      },
    });
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      clusters: 1,
      canaries: 1000,
      ratio: 121.3,
      bundleGzipKb: 30.1,
      tabMs: 812.3,
      overviewMs: 700,
      waitingPageMs: null,
      machine: { cpus: 2 },
    });
  });

  it('keeps unmeasured frontend figures as null', () => {
    const [only] = resultRows({
      generatedAt: '',
      machine: { cpus: 2, node: 'v20', platform: 'linux' },
      settings: {},
      rows: [row],
      frontend: { bundle: { error: 'not measured' }, pages: null },
    });
    expect(only).toMatchObject({ bundleGzipKb: null, tabMs: null });
  });
});

describe('formatNotes', () => {
  it('prints the frontend figures and the peer refresh beside our freshness', () => {
    const notes = formatNotes(
      {
        bundle: {
          files: 3,
          rawBytes: 90_000,
          gzipBytes: 30_822,
          buildSeconds: 9,
        },
        pages: [
          {
            name: 'tab',
            path: '/catalog/default/component/x/progressive-delivery',
            medianMs: 812.34,
            samplesMs: [900.1, 812.34],
          },
        ],
      },
      10,
    );
    expect(notes).toContain('polls every 10 s');
    expect(notes).toContain('plugin bundle: 30.1 kB gzip (3 JS files');
    expect(notes).toContain(
      'tab page in Chromium (/catalog/default/component/x/progressive-delivery): 812 ms median to visible (samples 900, 812 ms)',
    );
  });

  it('says which frontend figures were not measured or failed', () => {
    const notes = formatNotes(
      {
        bundle: { error: 'PD_BENCH_SKIP_FRONTEND=1' },
        pages: { error: 'chromium crashed\nstack' },
      },
      10,
    );
    expect(notes).toContain(
      'plugin bundle: not measured: PD_BENCH_SKIP_FRONTEND=1',
    );
    expect(notes).toContain('pages in Chromium: failed: chromium crashed');
    expect(notes).not.toContain('stack');
  });
});

const side = (overrides: Partial<LoadSide> = {}): LoadSide => ({
  clients: 200,
  seconds: 60,
  requests: 90_000,
  requestsPerSecond: 1500,
  p50Ms: 120.44,
  p99Ms: 210.5,
  maxMs: 390.2,
  errors: 0,
  firstErrors: [],
  clientCpuShare: 0.41,
  eventLoopDelayP99Ms: 21.3,
  eventLoopDelayMaxMs: 44.8,
  backendCpuMsPerRequest: 0.62,
  ...overrides,
});

const load: LoadResult = {
  clusters: 1,
  canaries: 1000,
  entityRef: 'component:default/bench-app',
  clients: 200,
  seconds: 60,
  warmupSeconds: 5,
  order: 'ours first, then the floor',
  ours: side({ requests: 81_000, requestsPerSecond: 1350, p99Ms: 252.6 }),
  floor: side(),
  targets: { minThroughputRatio: 0.8, maxP99Ratio: 1.5 },
  comparison: {
    throughputRatio: 0.9,
    p99Ratio: 1.2,
    throughputMet: true,
    p99Met: true,
    met: true,
  },
};

describe('formatLoad', () => {
  it('prints ours above the floor in aligned columns, with the ratios against the targets', () => {
    const lines = formatLoad(load).split('\n');
    expect(lines[0]).toBe(
      'load at 1 cluster(s), 1000 canaries: 200 clients back to back over keep-alive connections, ' +
        '60 s each after a 5 s warm-up, ours first, then the floor; component:default/bench-app',
    );
    expect(lines[1]).toMatch(
      /^\s+requests\s+req\/s\s+p50 ms\s+p99 ms\s+max ms\s+errors\s+loop p99\/max ms\s+cpu ms\/req\s+client cpu$/,
    );
    expect(lines[2]).toMatch(
      /^ours\s+81000\s+1350\.0\s+120\.4\s+252\.6\s+390\.2\s+0\s+21\.3\/44\.8\s+0\.62\s+0\.41$/,
    );
    expect(lines[3]).toMatch(/^floor\s+90000\s+1500\.0\s+120\.4\s+210\.5\s/);
    expect(new Set(lines.slice(1, 4).map(line => line.length)).size).toBe(1);
    expect(lines[4]).toBe(
      'ours/floor: throughput 0.90 (target >= 0.80: met), p99 1.20x (target <= 1.50x: met): targets met',
    );
    expect(lines).toHaveLength(5);
  });

  it('says which target was missed, the first errors, and lists the profile', () => {
    const text = formatLoad({
      ...load,
      ours: side({ errors: 2, firstErrors: ['status 503'] }),
      comparison: {
        throughputRatio: 0.5,
        p99Ratio: 1.2,
        throughputMet: false,
        p99Met: true,
        met: false,
      },
      profile: {
        seconds: 15,
        summary: {
          totalMs: 15_012.3,
          samples: 14_000,
          top: [
            {
              functionName: 'summarize',
              location: 'plugins/x/src/a.ts:12',
              selfMs: 2400.55,
              percent: 16,
            },
            {
              functionName: '(garbage collector)',
              location: '',
              selfMs: 900,
              percent: 6,
            },
          ],
        },
      },
    });
    expect(text).toContain(
      'ours/floor: throughput 0.50 (target >= 0.80: MISSED), p99 1.20x (target <= 1.50x: met); errors under load: targets missed',
    );
    expect(text).toContain('ours errors: status 503');
    expect(text).not.toContain('floor errors');
    const lines = text.split('\n');
    const at = lines.indexOf(
      'profile of ours under load (15 s in the backend, 15012 ms sampled), top 2 by self time:',
    );
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1)).toEqual([
      '  self ms     %  function             location',
      '   2400.6  16.0  summarize            plugins/x/src/a.ts:12',
      '    900.0   6.0  (garbage collector)',
    ]);
  });

  it('says when the profile could not be taken', () => {
    expect(
      formatLoad({ ...load, profile: { seconds: 15, error: 'timed out' } }),
    ).toContain('profile of ours under load: failed: timed out');
  });
});

describe('resultRows with a load', () => {
  it('puts the load figures on the first row, where they were measured', () => {
    const rows = resultRows({
      generatedAt: '',
      machine: { cpus: 2, node: 'v24', platform: 'linux' },
      settings: {},
      rows: [
        { ...row, clusters: 1, canaries: 1000 },
        { ...row, clusters: 5, canaries: 5000 },
      ],
      frontend: { bundle: { error: 'not measured' }, pages: null },
      load,
    });
    expect(rows[0].load).toBe(load);
    expect(rows[1].load).toBeNull();
    // NaN (nothing measured) is written as null, not dropped.
    const written = JSON.parse(
      JSON.stringify(
        resultRows({
          generatedAt: '',
          machine: { cpus: 2, node: 'v24', platform: 'linux' },
          settings: {},
          rows: [row],
          frontend: { bundle: { error: 'not measured' }, pages: null },
          load: { ...load, ours: side({ p99Ms: NaN }) },
        }),
      ),
    );
    expect(written[0].load.ours.p99Ms).toBeNull();
  });

  it('writes null without a load (PD_BENCH_SKIP_LOAD=1)', () => {
    const [only] = resultRows({
      generatedAt: '',
      machine: { cpus: 2, node: 'v24', platform: 'linux' },
      settings: {},
      rows: [row],
      frontend: { bundle: { error: 'not measured' }, pages: null },
    });
    expect(only.load).toBeNull();
  });
});
