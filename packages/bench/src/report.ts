/* The benchmark's result rows and how they are printed. */
import type { RunFigures } from './figures';
import type { BundleSize, PageTiming } from './frontend';
import type { SseParserFigures } from './sseParsers';

export interface ScaleRow {
  clusters: number;
  /** Canaries the backend sees in all clusters together. */
  canaries: number;
  /**
   * Our `GET /canaries?entityRef=` for the bench entity (one canary per cluster): the worst of
   * the row's runs, and the spread of the runs' p99.
   */
  summaryP50Ms: number | null;
  summaryP99Ms: number | null;
  summaryMaxMs: number | null;
  summaryP99SpreadMs: number | null;
  /** Each run's own figures, ours and the peer's. */
  runs: RunFigures[];
  /** The backend's event-loop delay while our summary was measured: what its tail waits on. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Backstage's Kubernetes backend, `POST /resources/custom/query`, same entity and canaries. */
  peerP50Ms: number | null;
  peerP99Ms: number | null;
  /** peer p99 / ours p99: the smallest of the runs' own ratios. */
  ratio: number | null;
  /** From a status PATCH of the bench canary to its `canary-changed` message on our stream. */
  freshnessP50Ms: number | null;
  freshnessP95Ms: number | null;
  /** The same until every proxied view of that API server has announced the change. */
  freshnessAllClustersP95Ms: number | null;
  freshnessMissed: number | null;
  /** API-server requests one page view of our endpoint causes (target 0). */
  apiRequestsPerPageView: number | null;
  /** Bytes the backend sent to any API server per page view of ours (0 = no request at all). */
  apiBytesSentPerPageView: number | null;
  apiRequestsPerPeerPageView: number | null;
  /** API-server requests of the backend per minute with nobody looking (watches only). */
  apiRequestsPerMinute: number | null;
  /** Prometheus queries per metrics refresh, all clusters together and per cluster. */
  promQueriesPerRefresh: number | null;
  promQueriesPerRefreshPerCluster: number | null;
  /** The backend process after a full GC, once synced and measured. */
  rssMb: number;
  heapMb: number;
  /** Above the backend started with no cluster (the idle baseline), per 1,000 canaries seen. */
  heapPer1000CanariesMb: number | null;
  rssPer1000CanariesMb: number | null;
  /** CPU time of the backend from its start until all clusters were synced. */
  cpuSeconds: number;
  idleCpuSecondsPerMinute: number;
  /** From spawning the backend to all clusters `ok` with every bench canary listed. */
  syncSeconds: number | null;
  errors: string[];
}

export interface FrontendResult {
  bundle: BundleSize | { error: string };
  /** The tab with many canaries, the same entity's Overview, the "Waiting for you" page. */
  pages: PageTiming[] | { error: string } | null;
  /** The plugin's server-sent-events parser against eventsource-parser used directly. */
  sseParsing?: SseParserFigures;
}

export interface BenchResults {
  generatedAt: string;
  machine: { cpus: number; node: string; platform: string };
  settings: Record<string, unknown>;
  rows: ScaleRow[];
  frontend: FrontendResult;
}

function cell(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return value.toFixed(digits);
}

/** A fixed-width table, one line per scale. */
export function formatTable(rows: ScaleRow[]): string {
  const columns: [string, (row: ScaleRow) => string][] = [
    ['clusters', r => String(r.clusters)],
    ['canaries', r => String(r.canaries)],
    ['ours p50/p99 ms', r => `${cell(r.summaryP50Ms)}/${cell(r.summaryP99Ms)}`],
    ['p99 spread', r => cell(r.summaryP99SpreadMs)],
    ['peer p50/p99 ms', r => `${cell(r.peerP50Ms, 0)}/${cell(r.peerP99Ms, 0)}`],
    ['ratio', r => cell(r.ratio, 0)],
    [
      'loop delay p99/max ms',
      r => `${cell(r.eventLoopDelayP99Ms)}/${cell(r.eventLoopDelayMaxMs)}`,
    ],
    [
      'fresh p50/p95 ms',
      r => `${cell(r.freshnessP50Ms, 0)}/${cell(r.freshnessP95Ms, 0)}`,
    ],
    ['api req/view', r => cell(r.apiRequestsPerPageView, 2)],
    ['peer req/view', r => cell(r.apiRequestsPerPeerPageView, 1)],
    ['api req/min', r => cell(r.apiRequestsPerMinute, 1)],
    [
      'prom q/refresh',
      r =>
        `${cell(r.promQueriesPerRefresh, 1)} (${cell(
          r.promQueriesPerRefreshPerCluster,
          1,
        )}/cl)`,
    ],
    ['rss MB', r => cell(r.rssMb, 0)],
    ['heap MB', r => cell(r.heapMb, 0)],
    ['heap MB/1k', r => cell(r.heapPer1000CanariesMb, 2)],
    ['sync s', r => cell(r.syncSeconds, 1)],
    ['cpu s', r => cell(r.cpuSeconds, 1)],
    ['idle cpu s/min', r => cell(r.idleCpuSecondsPerMinute, 2)],
  ];
  const cells = [
    columns.map(([title]) => title),
    ...rows.map(row => columns.map(([, get]) => get(row))),
  ];
  const widths = columns.map((_, i) =>
    Math.max(...cells.map(line => line[i].length)),
  );
  return cells
    .map(line => line.map((text, i) => text.padStart(widths[i])).join('  '))
    .join('\n');
}

/**
 * The figures the table has no column for, one per line: freshness beside the peer's polling,
 * and the frontend's bundle and render time.
 */
export function formatNotes(
  frontend: FrontendResult,
  peerRefreshIntervalSeconds: number,
): string {
  const { bundle, pages } = frontend;
  const lines = [
    `freshness: ours is the stream's p50/p95 above; Backstage's Kubernetes tab polls every ` +
      `${peerRefreshIntervalSeconds} s (a change shows after up to ${peerRefreshIntervalSeconds} s + one request)`,
    'gzipBytes' in bundle
      ? `plugin bundle: ${cell(bundle.gzipBytes / 1024)} kB gzip (${
          bundle.files
        } JS files, ${cell(bundle.rawBytes / 1024)} kB raw)`
      : `plugin bundle: not measured: ${bundle.error.split('\n')[0]}`,
  ];
  if (pages === null) {
    lines.push('pages in Chromium: not measured');
  } else if ('error' in pages) {
    lines.push(`pages in Chromium: failed: ${pages.error.split('\n')[0]}`);
  } else {
    for (const page of pages) {
      lines.push(
        `${page.name} page in Chromium (${page.path}): ${cell(
          page.medianMs,
          0,
        )} ms median to visible (samples ${page.samplesMs
          .map(sample => cell(sample, 0))
          .join(', ')} ms)`,
      );
    }
  }
  const sse = frontend.sseParsing;
  if (sse) {
    lines.push(
      `stream parsing of ${sse.frames} change frames (${cell(
        sse.megabytes,
      )} MB, cut as a network delivers them): the plugin's parser ${cell(
        sse.oursMsPerMb,
      )} ms/MB, eventsource-parser directly ${cell(
        sse.libraryMsPerMb,
      )} ms/MB; ${sse.sameEvents ? 'the same events' : 'DIFFERENT EVENTS'}`,
    );
  }
  return lines.join('\n');
}

/**
 * What `bench-results.json` holds: one row per scale, each carrying the run's frontend
 * figures, machine and settings, so a row reads on its own.
 */
export function resultRows(results: BenchResults) {
  const { bundle, pages } = results.frontend;
  const shown = (name: string) => {
    const page =
      pages && !('error' in pages)
        ? pages.find(candidate => candidate.name === name)
        : undefined;
    return page ? round1(page.medianMs) : null;
  };
  const frontend = {
    bundleGzipKb:
      'gzipBytes' in bundle ? round1(bundle.gzipBytes / 1024) : null,
    tabMs: shown('tab'),
    overviewMs: shown('overview'),
    waitingPageMs: shown('waiting'),
    sseParsing: results.frontend.sseParsing ?? null,
  };
  return results.rows.map(row => ({
    ...row,
    ...frontend,
    generatedAt: results.generatedAt,
    machine: results.machine,
    settings: results.settings,
  }));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
