import { formatNotes, formatTable, resultRows, ScaleRow } from './report';

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
