import { formatTable, ScaleRow } from './report';

const row: ScaleRow = {
  clusters: 20,
  canaries: 10000,
  summaryP50Ms: 3.21,
  summaryP99Ms: 7.5,
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
    expect(lines[1]).toMatch(/^\s*20\s+10000\s+3\.2\/7\.5\s+420\/910\s+121\s/);
    expect(new Set(lines.map(line => line.length)).size).toBe(1);
  });

  it('shows a dash for figures that were not measured', () => {
    const table = formatTable([
      { ...row, summaryP50Ms: null, summaryP99Ms: null, ratio: null },
    ]);
    expect(table.split('\n')[1]).toMatch(/–\/–/);
  });
});
