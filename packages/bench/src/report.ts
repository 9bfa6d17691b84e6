/* The benchmark's result rows and how they are printed. */
import type { ProfileSummary } from './backend/probeMessages';
import type { RunFigures } from './figures';
import type { BundleSize, PageTiming } from './frontend';
import type { LoadComparison, LoadFigures } from './load';
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

/** One route under load, with what the backend did meanwhile. */
export interface LoadSide extends LoadFigures {
  /** The backend's event-loop delay during the window. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** The backend's CPU time per request of the window. */
  backendCpuMsPerRequest: number;
}

/**
 * Our summary and the floor (the same backend's `bench-floor` route: identity, permission,
 * catalog and selector, remembered as ours are, and a constant answer) under the same load.
 */
export interface LoadResult {
  /** The scale it ran at: the first. */
  clusters: number;
  canaries: number;
  entityRef: string;
  clients: number;
  seconds: number;
  warmupSeconds: number;
  /** In which order the two windows ran. */
  order: string;
  ours: LoadSide;
  floor: LoadSide;
  targets: { minThroughputRatio: number; maxP99Ratio: number };
  comparison: LoadComparison;
  /** Only when a target was missed: ours under load once more, profiled in the backend. */
  profile?:
    | { seconds: number; summary: ProfileSummary }
    | { seconds: number; error: string };
}

export interface BenchResults {
  generatedAt: string;
  machine: { cpus: number; node: string; platform: string };
  settings: Record<string, unknown>;
  rows: ScaleRow[];
  frontend: FrontendResult;
  /** Measured at the first scale; absent with PD_BENCH_SKIP_LOAD=1. */
  load?: LoadResult;
}

/** Where a page's renderer time went: "renderer: script 382, style 77, layout 31 ms". */
export function rendererWorkText(
  work: NonNullable<PageTiming['work']>,
): string {
  return `renderer: script ${cell(work.scriptMs, 0)}, style ${cell(
    work.styleMs,
    0,
  )}, layout ${cell(work.layoutMs, 0)} ms`;
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
          .join(', ')} ms)${
          page.work ? `; ${rendererWorkText(page.work)}` : ''
        }`,
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

/** Ours beside the floor under load, the ratios and targets, and the profile if one was taken. */
export function formatLoad(load: LoadResult): string {
  const columns: [string, (side: LoadSide) => string][] = [
    ['requests', s => String(s.requests)],
    ['req/s', s => cell(s.requestsPerSecond, 1)],
    ['p50 ms', s => cell(s.p50Ms)],
    ['p99 ms', s => cell(s.p99Ms)],
    ['max ms', s => cell(s.maxMs)],
    ['errors', s => String(s.errors)],
    [
      'loop p99/max ms',
      s => `${cell(s.eventLoopDelayP99Ms)}/${cell(s.eventLoopDelayMaxMs)}`,
    ],
    ['cpu ms/req', s => cell(s.backendCpuMsPerRequest, 2)],
    ['client cpu', s => cell(s.clientCpuShare, 2)],
  ];
  const lines = [
    ['', ...columns.map(([title]) => title)],
    ['ours', ...columns.map(([, get]) => get(load.ours))],
    ['floor', ...columns.map(([, get]) => get(load.floor))],
  ];
  const widths = lines[0].map((_, i) =>
    Math.max(...lines.map(line => line[i].length)),
  );
  const table = lines.map(line =>
    line
      .map((text, i) =>
        i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]),
      )
      .join('  '),
  );
  const { comparison: c, targets: t } = load;
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const out = [
    `load at ${load.clusters} cluster(s), ${load.canaries} canaries: ${load.clients} clients back to back ` +
      `over keep-alive connections, ${cell(
        load.seconds,
        0,
      )} s each after a ${cell(load.warmupSeconds, 0)} s warm-up, ${
        load.order
      }; ${load.entityRef}`,
    ...table,
    `ours/floor: throughput ${cell(c.throughputRatio, 2)} (target >= ${cell(
      t.minThroughputRatio,
      2,
    )}: ${verdict(c.throughputMet)}), p99 ${cell(
      c.p99Ratio,
      2,
    )}x (target <= ${cell(t.maxP99Ratio, 2)}x: ${verdict(c.p99Met)})${
      load.ours.errors + load.floor.errors > 0 ? '; errors under load' : ''
    }: targets ${c.met ? 'met' : 'missed'}`,
  ];
  for (const [name, side] of [
    ['ours', load.ours],
    ['floor', load.floor],
  ] as const) {
    if (side.firstErrors.length > 0) {
      out.push(`${name} errors: ${side.firstErrors.join('; ')}`);
    }
  }
  const { profile } = load;
  if (profile && 'error' in profile) {
    out.push(`profile of ours under load: failed: ${profile.error}`);
  } else if (profile) {
    const { summary } = profile;
    out.push(
      `profile of ours under load (${cell(
        profile.seconds,
        0,
      )} s in the backend, ${cell(summary.totalMs, 0)} ms sampled), top ${
        summary.top.length
      } by self time:`,
    );
    const rows = summary.top.map(entry => [
      cell(entry.selfMs, 1),
      cell(entry.percent, 1),
      entry.functionName,
      entry.location,
    ]);
    const header = ['self ms', '%', 'function', 'location'];
    const w = header.map((_, i) =>
      Math.max(...[header, ...rows].map(line => line[i].length)),
    );
    for (const line of [header, ...rows]) {
      out.push(
        `  ${line[0].padStart(w[0])}  ${line[1].padStart(
          w[1],
        )}  ${line[2].padEnd(w[2])}  ${line[3]}`.trimEnd(),
      );
    }
  }
  return out.join('\n');
}

/**
 * What `bench-results.json` holds: one row per scale, each carrying the run's frontend
 * figures, machine and settings, so a row reads on its own; the first (where the load ran)
 * also carries the load figures.
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
  return results.rows.map((row, index) => ({
    ...row,
    load: index === 0 ? results.load ?? null : null,
    ...frontend,
    generatedAt: results.generatedAt,
    machine: results.machine,
    settings: results.settings,
  }));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
