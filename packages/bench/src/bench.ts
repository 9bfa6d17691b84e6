/*
 * `npm run bench`: our summary endpoint and change stream against Backstage's Kubernetes
 * backend, in the same real backend process, on the sandbox's API servers behind
 * latency-injecting proxies presented as 1 to 100 clusters; each row's page views three
 * times, a load row against a floor route, the pages in chromium, and every target printed.
 *
 * Over 400 lines because `runScale` and `main` are the run itself, step after step in the order
 * it happens (proxies, backend, sync, runs, load, idle, freshness, pages, memory), with the
 * cleanups each step leaves; every measurement is in a file of its own (pageViews, loadRow,
 * freshness, pagesRow, baseline, frontend).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  CLUSTER_NAMES,
  ClusterName,
  readSandboxInfo,
  sandboxDown,
  SandboxInfo,
  sandboxUp,
  startComponent,
  stopComponent,
} from '@progressive-delivery/sandbox';
import { BackendProcess } from './backend/BackendProcess';
import { benchAppConfig, benchCatalog, ProxiedCluster } from './benchConfig';
import {
  BENCH_APP,
  backingServer,
  canariesPerServer,
  planServer,
  proxiedClusterName,
  parseScales,
  Scale,
  serversUsed,
} from './canaries';
import {
  allApiServerCounts,
  prometheusQueryCount,
  reconcileServer,
  removeBenchCanaries,
} from './cluster';
import {
  BaselineFigures,
  formatTargets,
  pageTargets,
  perThousandCanaries,
  rowTargets,
  RunFigures,
  runFigures,
  worstOf,
} from './figures';
import { buildAppIfNeeded, measurePluginBundle } from './frontend';
import { LatencyProxy } from './LatencyProxy';
import { loadSettings, loadTargets } from './load';
import { PortalClient, peerCanaries } from './portalClient';
import {
  BenchResults,
  resultRows,
  formatLoad,
  formatNotes,
  formatTable,
  FrontendResult,
  LoadResult,
  ScaleRow,
} from './report';
import { weighSseParsers } from './sseParsers';
import { measureFreshness, FRESHNESS_PATCHES } from './freshness';
import { LOAD_WARMUP_SECONDS, measureLoadRow } from './loadRow';
import { log, sleep } from './log';
import { measureBaseline, sandboxCredentialsEnv } from './baseline';
import { measureEntityPages } from './pagesRow';
import { checkSummary, latencies, waitForSync } from './pageViews';
import { percentile, round } from './stats';

const ONE_WAY_DELAY_MS = 50;
const SUMMARY_WARMUP = 20;
const SUMMARY_REQUESTS = 300;
const PEER_WARMUP = 3;
const PEER_REQUESTS = 50;
/** The peer's views per run stop after this long once PEER_MINIMUM were made. */
const PEER_BUDGET_MS = 15_000;
const PEER_MINIMUM = 10;
/** Consecutive runs of each row's page views (`PD_BENCH_RUNS`). */
const RUNS = Number(process.env.PD_BENCH_RUNS ?? 3);
const IDLE_WINDOW_MS = Number(process.env.PD_BENCH_IDLE_SECONDS ?? 30) * 1000;
const RENDER_CANARIES = 200;
/** Backstage's Kubernetes frontend refreshes its objects this often (it has no push channel). */
const PEER_REFRESH_INTERVAL_SECONDS = 10;
/** Our plugin's background metrics refresh (its default, set explicitly so the count is exact). */
const METRICS_REFRESH_SECONDS = 10;
/** Settling time after the initial sync, longer than one metrics refresh; see runScale. */
const SETTLE_MS = 15_000;
const SYNC_TIMEOUT_MS = 8 * 60_000;
/**
 * Steady state also waits for the start-up work of the whole backend (the catalog's first
 * processing of hundreds of entities shares the event loop): until the loop's delay p99 over a
 * window is at most QUIET_P99_MS, or QUIET_MAX_MS have passed.
 */
const QUIET_WINDOW_MS = 5_000;
const QUIET_P99_MS = 15;
const QUIET_MAX_MS = 45_000;
const PORT = Number(process.env.PD_BENCH_PORT ?? 7017);
const LOAD = loadSettings(process.env);
const BENCH_ENTITY = `component:default/${BENCH_APP}`;

/** Undo steps, run last-in first-out on success, failure and Ctrl-C. */
const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
async function runCleanups() {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    try {
      await step.run();
    } catch (error) {
      log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
    }
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function apiServerPort(info: SandboxInfo, server: ClusterName): number {
  return Number(new URL(info.clusters[server].apiServerUrl).port);
}

async function startProxies(info: SandboxInfo, scale: Scale) {
  const proxies: LatencyProxy[] = [];
  for (let i = 0; i < scale.clusters; i++) {
    proxies.push(
      await LatencyProxy.start({
        target: {
          host: '127.0.0.1',
          port: apiServerPort(info, backingServer(i)),
        },
        oneWayDelayMs: ONE_WAY_DELAY_MS,
      }),
    );
  }
  return proxies;
}

function proxiedClusters(
  info: SandboxInfo,
  proxies: LatencyProxy[],
): ProxiedCluster[] {
  return proxies.map((proxy, i) => {
    const server = info.clusters[backingServer(i)];
    return {
      name: proxiedClusterName(i),
      title: `Bench cluster ${i + 1} (${backingServer(i)} behind ${
        2 * ONE_WAY_DELAY_MS
      } ms)`,
      url: `https://127.0.0.1:${proxy.port}`,
      serviceAccountToken: readFileSync(server.tokenFile, 'utf8').trim(),
      caData: readFileSync(server.caBase64File, 'utf8').trim(),
      prometheusUrl: server.prometheusUrl,
    };
  });
}

async function settleUntilQuiet(
  backend: BackendProcess,
): Promise<{ seconds: number; p99Ms: number }> {
  const started = performance.now();
  let p99Ms = Infinity;
  while (performance.now() - started < QUIET_MAX_MS) {
    await backend.measure({ resetEventLoopDelay: true });
    await sleep(QUIET_WINDOW_MS);
    p99Ms = round((await backend.measure()).eventLoopDelayP99Ms, 1);
    if (p99Ms <= QUIET_P99_MS) break;
  }
  return {
    seconds: round((performance.now() - started) / 1000, 0),
    p99Ms,
  };
}

async function sum(values: Promise<number>[]): Promise<number> {
  return (await Promise.all(values)).reduce((a, b) => a + b, 0);
}

async function runScale(
  info: SandboxInfo,
  scale: Scale,
  workDir: string,
  catalogFile: string,
  options: {
    renderCanaries: number;
    baseline: BaselineFigures | undefined;
    /** Only at the first scale, unless PD_BENCH_SKIP_LOAD=1. */
    load?: { clients: number; seconds: number };
  },
): Promise<{
  row: ScaleRow;
  pages?: FrontendResult['pages'];
  load?: LoadResult;
}> {
  const { baseline } = options;
  const errors: string[] = [];
  const perServer = canariesPerServer(scale);
  const servers = serversUsed(scale);
  log(
    `scale: ${scale.clusters} cluster(s), ${scale.canaries} canaries seen by the backend (${perServer} per API server)`,
  );
  for (const server of CLUSTER_NAMES) {
    const plans = servers.includes(server)
      ? planServer(perServer, server === 'dev' ? options.renderCanaries : 0)
      : [];
    await reconcileServer(server, plans, log);
  }

  const scaleDir = join(workDir, `scale-${scale.clusters}`);
  rmSync(scaleDir, { recursive: true, force: true });
  mkdirSync(join(scaleDir, 'db'), { recursive: true });
  const proxies = await startProxies(info, scale);
  cleanups.push({
    name: 'stop the latency proxies',
    run: () => Promise.all(proxies.map(p => p.stop())),
  });
  const clusters = proxiedClusters(info, proxies);
  const configFile = join(scaleDir, 'app-config.bench.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(
      benchAppConfig({
        port: PORT,
        clusters,
        catalogFiles: [join(info.repoRoot, 'catalog-info.yaml'), catalogFile],
        replacedClusters: [...CLUSTER_NAMES],
        metricsRefreshSeconds: METRICS_REFRESH_SECONDS,
      }),
      null,
      2,
    ),
  );

  const spawnedAt = performance.now();
  const backend = await BackendProcess.start({
    repoRoot: info.repoRoot,
    port: PORT,
    configFiles: [join(info.repoRoot, 'app-config.yaml'), configFile],
    dataDir: join(scaleDir, 'db'),
    logFile: join(scaleDir, 'backend.log'),
    env: sandboxCredentialsEnv(info),
    cpuProfileDir: process.env.PD_BENCH_CPU_PROFILE_DIR,
  });
  cleanups.push({ name: 'stop the backend', run: () => backend.stop() });
  log(
    `  backend ready in ${((performance.now() - spawnedAt) / 1000).toFixed(
      1,
    )} s (log: ${backend.logFile})`,
  );
  const portal = new PortalClient(backend.url);
  await portal.signIn();
  await portal.waitForEntity(BENCH_ENTITY);

  await waitForSync(portal, BENCH_ENTITY, scale.clusters, SYNC_TIMEOUT_MS);
  const syncSeconds = (performance.now() - spawnedAt) / 1000;
  log(
    `  all ${scale.clusters} cluster(s) synced ${syncSeconds.toFixed(
      1,
    )} s after spawn`,
  );
  const synced = await backend.measure();
  // Page views are measured in steady state: after the first full metrics refresh and the
  // history recorder's first pass over every canary, which follow the initial sync.
  log(`  settling for ${SETTLE_MS / 1000} s before measuring page views`);
  await sleep(SETTLE_MS);
  const settledAfter = await settleUntilQuiet(backend);
  log(
    `  quiet ${settledAfter.seconds} s after settling (event-loop delay p99 ${
      settledAfter.p99Ms
    } ms over the last ${QUIET_WINDOW_MS / 1000} s)`,
  );

  // Page views in RUNS consecutive runs, each a burst of ours then the peer's, so that one
  // lucky run is no result: the row reports the worst run and the spread.
  const runs: RunFigures[] = [];
  let apiRequestsPerPageView = 0;
  let apiBytesSentPerPageView = 0;
  let apiRequestsPerPeerPageView = 0;
  for (let run = 1; run <= RUNS; run++) {
    // Ours, with the API servers' request counters around it.
    for (let i = 0; i < SUMMARY_WARMUP; i++)
      await portal.canaries(BENCH_ENTITY);
    await backend.measure({ resetEventLoopDelay: true });
    const before = await allApiServerCounts(servers);
    const bytesBefore = proxies.reduce((s, p) => s + p.bytesFromClients, 0);
    const summary = await latencies(
      SUMMARY_REQUESTS,
      0,
      () => portal.canaries(BENCH_ENTITY),
      answer => checkSummary(answer, scale.clusters),
    );
    const bytesAfter = proxies.reduce((s, p) => s + p.bytesFromClients, 0);
    const after = await allApiServerCounts(servers);
    // What held the backend's event loop while the burst ran (its tail is the summary's tail).
    const duringSummary = await backend.measure();
    apiRequestsPerPageView = Math.max(
      apiRequestsPerPageView,
      (after.portalOnly - before.portalOnly) / SUMMARY_REQUESTS,
    );
    apiBytesSentPerPageView = Math.max(
      apiBytesSentPerPageView,
      (bytesAfter - bytesBefore) / SUMMARY_REQUESTS,
    );

    // The peer, in the same process, same clusters, same canaries.
    const peerBefore = await allApiServerCounts(servers);
    let peerErrors: string[] = [];
    const peer = await latencies(
      PEER_REQUESTS,
      PEER_WARMUP,
      () => portal.peerCustomResources(BENCH_ENTITY),
      answer => {
        if (answer.status !== 200) {
          return `the peer answered ${answer.status}: ${JSON.stringify(
            answer.body,
          ).slice(0, 300)}`;
        }
        const found = peerCanaries(answer.body);
        peerErrors = found.errors;
        return found.canaries !== scale.clusters && found.errors.length === 0
          ? `the peer found ${found.canaries} canaries, expected ${scale.clusters}`
          : undefined;
      },
      { budgetMs: PEER_BUDGET_MS, minimum: PEER_MINIMUM },
    );
    const peerAfter = await allApiServerCounts(servers);
    if (peerErrors.length > 0)
      errors.push(
        `run ${run}: peer cluster errors: ${peerErrors.slice(0, 3).join('; ')}`,
      );
    apiRequestsPerPeerPageView =
      (peerAfter.portalOnly - peerBefore.portalOnly) /
      (peer.length + PEER_WARMUP);
    const figures = runFigures(summary, peer, duringSummary);
    runs.push(figures);
    log(
      `  run ${run}/${RUNS}: ours p50 ${figures.summaryP50Ms} ms, p99 ${figures.summaryP99Ms} ms ` +
        `(event-loop delay p99 ${figures.eventLoopDelayP99Ms} ms, max ${figures.eventLoopDelayMaxMs} ms); ` +
        `peer p50 ${figures.peerP50Ms} ms, p99 ${figures.peerP99Ms} ms over ${peer.length} views ` +
        `(${apiRequestsPerPeerPageView.toFixed(1)} API requests per view); ` +
        `ours ${apiRequestsPerPageView} API requests and ${apiBytesSentPerPageView.toFixed(
          1,
        )} bytes per view`,
    );
  }

  // Many users at once, ours beside the floor, after the runs' latency bursts and before
  // the steady state.
  const load = options.load
    ? await measureLoadRow(backend, portal, BENCH_ENTITY, scale, options.load)
    : undefined;

  // Steady state: nobody looks.
  const prometheusUrls = servers.map(
    server => info.clusters[server].prometheusUrl,
  );
  const idleBefore = {
    api: await allApiServerCounts(servers),
    prometheus: await sum(prometheusUrls.map(prometheusQueryCount)),
    cpu: (await backend.measure()).cpuSeconds,
    at: performance.now(),
  };
  log(
    `  idle for ${
      IDLE_WINDOW_MS / 1000
    } s (steady-state API requests, Prometheus queries, CPU)`,
  );
  await sleep(IDLE_WINDOW_MS);
  const idleAfter = {
    api: await allApiServerCounts(servers),
    prometheus: await sum(prometheusUrls.map(prometheusQueryCount)),
    cpu: (await backend.measure()).cpuSeconds,
    at: performance.now(),
  };
  const idleMinutes = (idleAfter.at - idleBefore.at) / 60_000;
  const apiRequestsPerMinute =
    (idleAfter.api.portalOnly - idleBefore.api.portalOnly) / idleMinutes;
  const refreshes =
    (idleAfter.at - idleBefore.at) / 1000 / METRICS_REFRESH_SECONDS;
  const promQueriesPerRefresh =
    (idleAfter.prometheus - idleBefore.prometheus) / refreshes;

  // Freshness of our push channel.
  const freshness = await measureFreshness(
    portal,
    BENCH_ENTITY,
    clusters.map(c => c.name),
  );
  log(
    `  freshness: p50 ${percentile(freshness.first, 50).toFixed(
      0,
    )} ms, p95 ${percentile(freshness.first, 95).toFixed(0)} ms ` +
      `(all views of the server: p95 ${percentile(freshness.all, 95).toFixed(
        0,
      )} ms; ${freshness.missed} missed)`,
  );

  const pages =
    options.renderCanaries > 0
      ? await measureEntityPages({
          portal,
          portalUrl: backend.url,
          screenshotDir: scaleDir,
          renderCanaries: options.renderCanaries,
        })
      : undefined;

  const memory = await backend.measure({ collectGarbage: true });
  await cleanups.pop()!.run(); // the backend
  await cleanups.pop()!.run(); // the proxies
  const row: ScaleRow = {
    clusters: scale.clusters,
    canaries: scale.canaries,
    ...worstOf(runs),
    runs,
    freshnessP50Ms: freshness
      ? round(percentile(freshness.first, 50), 0)
      : null,
    freshnessP95Ms: freshness
      ? round(percentile(freshness.first, 95), 0)
      : null,
    freshnessAllClustersP95Ms: freshness
      ? round(percentile(freshness.all, 95), 0)
      : null,
    freshnessMissed: freshness ? freshness.missed : null,
    apiRequestsPerPageView: round(apiRequestsPerPageView, 3),
    apiBytesSentPerPageView: round(apiBytesSentPerPageView, 1),
    apiRequestsPerPeerPageView: round(apiRequestsPerPeerPageView, 2),
    apiRequestsPerMinute: round(apiRequestsPerMinute, 1),
    promQueriesPerRefresh:
      promQueriesPerRefresh === null ? null : round(promQueriesPerRefresh, 1),
    promQueriesPerRefreshPerCluster:
      promQueriesPerRefresh === null
        ? null
        : round(promQueriesPerRefresh / scale.clusters, 2),
    rssMb: round(memory.rssMb, 0),
    heapMb: round(memory.heapUsedMb, 0),
    ...perThousandCanaries(memory, baseline, scale.canaries),
    cpuSeconds: round(synced.cpuSeconds, 1),
    idleCpuSecondsPerMinute: round(
      (idleAfter.cpu - idleBefore.cpu) / idleMinutes,
      2,
    ),
    syncSeconds: syncSeconds === null ? null : round(syncSeconds, 1),
    errors,
  };
  return { row, pages, load };
}

async function main() {
  const started = performance.now();
  let info = readSandboxInfo();
  if (!info) {
    log(
      'the sandbox is not up: bringing it up (it is taken down again at the end)',
    );
    info = await sandboxUp({ log });
    cleanups.push({
      name: 'take the sandbox down',
      run: () => sandboxDown({ log }),
    });
  }
  if (await portInUse(PORT)) {
    throw new Error(
      `127.0.0.1:${PORT} is in use; free it or set PD_BENCH_PORT to a free port`,
    );
  }
  const workDir = join(info.repoRoot, '.sandbox', 'bench');
  mkdirSync(workDir, { recursive: true });
  const catalogFile = join(workDir, 'catalog-bench.yaml');
  writeFileSync(catalogFile, benchCatalog());

  const skipFrontend = process.env.PD_BENCH_SKIP_FRONTEND === '1';
  const frontend: FrontendResult = {
    bundle: { error: 'PD_BENCH_SKIP_FRONTEND=1' },
    pages: null,
  };
  if (!skipFrontend) {
    log('frontend: building the plugin to measure its bundle');
    try {
      frontend.bundle = measurePluginBundle(
        info.repoRoot,
        join(workDir, 'plugin-build'),
      );
      log(
        `  ${frontend.bundle.files} JS files, ${(
          frontend.bundle.gzipBytes / 1024
        ).toFixed(1)} KiB gzip`,
      );
    } catch (error) {
      frontend.bundle = { error: (error as Error).message.slice(0, 2000) };
      log(`  bundle build failed: ${frontend.bundle.error}`);
    }
    buildAppIfNeeded(info.repoRoot, log);
  }
  frontend.sseParsing = weighSseParsers();

  log(
    'stopping Flagger in both clusters for the benchmark (restarted at the end)',
  );
  for (const server of CLUSTER_NAMES) {
    const result = await stopComponent(server, 'flagger');
    if (result !== 'not-running') {
      cleanups.push({
        name: `start Flagger in ${server}`,
        run: async () => {
          await startComponent(server, 'flagger');
          log(`Flagger in ${server} started again`);
        },
      });
    }
  }
  // Runs before Flagger starts again, so it never sees the benchmark's canaries.
  cleanups.push({
    name: 'remove the benchmark canaries',
    run: async () => {
      for (const server of CLUSTER_NAMES) {
        const removed = await removeBenchCanaries(server);
        log(`removed ${removed} benchmark canaries from ${server}`);
      }
    },
  });

  const scales = parseScales(process.env.PD_BENCH_SCALES);
  const baseline = await measureBaseline({
    info,
    workDir,
    catalogFile,
    port: PORT,
    entityRef: BENCH_ENTITY,
    metricsRefreshSeconds: METRICS_REFRESH_SECONDS,
    settleMs: SETTLE_MS,
  });
  const rows: ScaleRow[] = [];
  let load: LoadResult | undefined;
  for (const [index, scale] of scales.entries()) {
    const result = await runScale(info, scale, workDir, catalogFile, {
      baseline,
      renderCanaries:
        index === 0 &&
        !skipFrontend &&
        canariesPerServer(scale) > RENDER_CANARIES
          ? RENDER_CANARIES
          : 0,
      load: index === 0 ? LOAD : undefined,
    });
    rows.push(result.row);
    if (result.pages !== undefined) frontend.pages = result.pages;
    if (result.load) load = result.load;
  }

  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      node: process.version,
      platform: process.platform,
    },
    settings: {
      oneWayDelayMs: ONE_WAY_DELAY_MS,
      summaryRequests: SUMMARY_REQUESTS,
      runs: RUNS,
      peerRequests: PEER_REQUESTS,
      peerBudgetSeconds: PEER_BUDGET_MS / 1000,
      baseline: baseline ?? null,
      freshnessPatches: FRESHNESS_PATCHES,
      idleWindowSeconds: IDLE_WINDOW_MS / 1000,
      peerRefreshIntervalSeconds: PEER_REFRESH_INTERVAL_SECONDS,
      loadClients: LOAD?.clients ?? null,
      loadSeconds: LOAD?.seconds ?? null,
      loadWarmupSeconds: LOAD ? LOAD_WARMUP_SECONDS : null,
      totalSeconds: round((performance.now() - started) / 1000, 0),
    },
    rows,
    frontend,
    load,
  };
  writeFileSync(
    join(info.repoRoot, 'bench-results.json'),
    `${JSON.stringify(resultRows(results), null, 2)}\n`,
  );
  const targets = [
    ...rows.flatMap(row => rowTargets(row)),
    ...(frontend.pages && !('error' in frontend.pages)
      ? pageTargets(frontend.pages)
      : []),
    ...(load ? loadTargets(load) : []),
  ];
  console.log(`\n${formatTable(rows)}\n`);
  console.log(`${formatTargets(targets)}\n`);
  console.log(`${formatNotes(frontend, PEER_REFRESH_INTERVAL_SECONDS)}\n`);
  console.log(
    load
      ? `${formatLoad(load)}\n`
      : 'load: not measured (PD_BENCH_SKIP_LOAD=1)\n',
  );
  console.log(
    `Results written to bench-results.json (${results.settings.totalSeconds} s in all).`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

main()
  .then(runCleanups)
  .catch(async error => {
    console.error(`bench failed: ${error?.stack ?? error}`);
    await runCleanups();
    process.exitCode = 1;
  });
