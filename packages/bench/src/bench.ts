/*
 * `npm run bench`: our summary endpoint and change stream against Backstage's Kubernetes
 * backend, in the same real backend process, on the sandbox's API servers behind
 * latency-injecting proxies presented as 1 to 100 clusters; each row's page views three
 * times, a load row against a floor route, the pages in chromium, and every target printed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  adminClient,
  CLUSTER_NAMES,
  ClusterName,
  readSandboxInfo,
  sandboxDown,
  SandboxInfo,
  sandboxUp,
  startComponent,
  stopComponent,
} from '@progressive-delivery/sandbox';
import { BackendMeasurement, BackendProcess } from './backend/BackendProcess';
import {
  benchAppConfig,
  benchCatalog,
  OWNED_ENTITIES,
  ownedEntityName,
  ProxiedCluster,
} from './benchConfig';
import {
  BENCH_APP,
  BENCH_APP_NAMESPACE,
  backingServer,
  canariesPerServer,
  freshnessStatus,
  planServer,
  proxiedClusterName,
  RENDER_APP,
  parseScales,
  Scale,
  serversUsed,
} from './canaries';
import {
  allApiServerCounts,
  patchCanaryStatus,
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
import {
  buildAppIfNeeded,
  measurePages,
  measurePluginBundle,
} from './frontend';
import { LatencyProxy } from './LatencyProxy';
import {
  compareLoad,
  LOAD_TARGETS,
  LoadFigures,
  loadSettings,
  loadTargets,
  measureLoad,
} from './load';
import { PortalClient, peerCanaries } from './portalClient';
import {
  BenchResults,
  resultRows,
  formatLoad,
  formatNotes,
  formatTable,
  FrontendResult,
  LoadResult,
  LoadSide,
  ScaleRow,
} from './report';
import { subscribe } from './sse';
import { weighSseParsers } from './sseParsers';
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
const FRESHNESS_PATCHES = 100;
const FRESHNESS_TIMEOUT_MS = 5_000;
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
/** Load before each measured window, not counted: connections open, both routes warm. */
const LOAD_WARMUP_SECONDS = 5;
/** Ours under load once more while the backend profiles itself, when a target was missed. */
const LOAD_PROFILE_SECONDS = 15;
const LOAD_PROFILE_TOP = 15;
const LOAD = loadSettings(process.env);
/** The benchmark's floor plugin (src/backend/floorPlugin.ts), in the same backend as ours. */
const FLOOR_PATH = '/api/bench-floor/canaries';
const BENCH_ENTITY = `component:default/${BENCH_APP}`;
const RENDER_ENTITY = `component:default/${RENDER_APP}`;

const log = (line: string) =>
  console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

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

async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
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

/** The sandbox's own credentials for app-config.yaml's substitutions (its clusters are replaced). */
function sandboxCredentialsEnv(info: SandboxInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const server of CLUSTER_NAMES) {
    const upper = server.toUpperCase();
    env[`PD_SANDBOX_${upper}_TOKEN`] = readFileSync(
      info.clusters[server].tokenFile,
      'utf8',
    ).trim();
    env[`PD_SANDBOX_${upper}_CA_DATA`] = readFileSync(
      info.clusters[server].caBase64File,
      'utf8',
    ).trim();
  }
  return env;
}

async function waitForSync(
  portal: PortalClient,
  clusters: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let lastLogged = 0;
  while (Date.now() < deadline) {
    const { status, body } = await portal.canaries(BENCH_ENTITY);
    if (status === 200) {
      const ok = (body.clusters ?? []).filter(
        (c: any) => c.status === 'ok',
      ).length;
      const items = (body.items ?? []).length;
      last = `${ok}/${clusters} clusters ok, ${items}/${clusters} bench canaries`;
      if (ok === clusters && items === clusters) return;
    } else {
      last = `${status} ${JSON.stringify(body).slice(0, 300)}`;
    }
    if (Date.now() - lastLogged > 15_000) {
      log(`  waiting for sync: ${last}`);
      lastLogged = Date.now();
    }
    await sleep(500);
  }
  throw new Error(
    `the backend did not sync within ${timeoutMs / 1000} s: ${last}`,
  );
}

/** What is wrong with an answer of our summary endpoint for the bench entity, if anything. */
function checkSummary(
  answer: { status: number; body: any },
  clusters: number,
): string | undefined {
  if (answer.status !== 200) {
    return `our summary answered ${answer.status}: ${JSON.stringify(
      answer.body,
    ).slice(0, 300)}`;
  }
  if (answer.body.items.length !== clusters) {
    return `our summary listed ${answer.body.items.length} canaries, expected ${clusters}`;
  }
  return undefined;
}

/**
 * Sequential requests after a warm-up; every answer must pass `check`. With a budget, stops
 * after `budgetMs` once `minimum` requests were made (the peer at 100 clusters takes seconds).
 */
async function latencies(
  count: number,
  warmup: number,
  request: () => Promise<{ status: number; body: any }>,
  check: (answer: { status: number; body: any }) => string | undefined,
  limit?: { budgetMs: number; minimum: number },
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    const problem = check(await request());
    if (problem) throw new Error(problem);
  }
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    if (
      limit &&
      samples.length >= limit.minimum &&
      performance.now() - started > limit.budgetMs
    ) {
      break;
    }
    const { ms, value } = await timed(request);
    const problem = check(value);
    if (problem) throw new Error(problem);
    samples.push(ms);
  }
  return samples;
}

/** One status change awaited on the stream: when it was sent and which views announced it. */
interface AwaitedChange {
  sentAt: number;
  firstAt?: number;
  seen: Set<string>;
  done: () => void;
}

/**
 * Time from PATCHing the bench canary's status on a real server to the `canary-changed`
 * message for it on our stream: to the first proxied view of that server, and to all of them.
 */
async function measureFreshness(
  portal: PortalClient,
  clusterNames: string[],
): Promise<{ first: number[]; all: number[]; missed: number }> {
  const server: ClusterName = 'dev';
  const views = clusterNames.filter((_, i) => backingServer(i) === server);
  const client = adminClient(server);
  const state: { awaited?: AwaitedChange } = {};
  const subscription = subscribe(
    portal.streamUrl(BENCH_ENTITY),
    portal.headers,
    (event, receivedAt) => {
      const awaited = state.awaited;
      if (!awaited || event.event !== 'change') return;
      const message = JSON.parse(event.data);
      const ref = message.ref;
      if (
        message.type !== 'canary-changed' ||
        ref?.name !== BENCH_APP ||
        ref?.namespace !== BENCH_APP_NAMESPACE ||
        !views.includes(ref.cluster)
      ) {
        return;
      }
      awaited.firstAt ??= receivedAt;
      awaited.seen.add(ref.cluster);
      if (awaited.seen.size === views.length) awaited.done();
    },
  );
  /** PATCHes the i-th status and waits for its messages; undefined when they did not all come. */
  const changeOnce = async (i: number) => {
    let done = () => {};
    const arrived = new Promise<'arrived'>(resolve => {
      done = () => resolve('arrived');
    });
    const awaited: AwaitedChange = {
      sentAt: performance.now(),
      seen: new Set(),
      done,
    };
    state.awaited = awaited;
    await patchCanaryStatus(
      client,
      BENCH_APP_NAMESPACE,
      BENCH_APP,
      freshnessStatus(i, new Date()),
    );
    const outcome = await Promise.race([
      arrived,
      sleep(FRESHNESS_TIMEOUT_MS).then(() => 'timeout' as const),
    ]);
    state.awaited = undefined;
    return {
      first:
        (awaited.firstAt ?? awaited.sentAt + FRESHNESS_TIMEOUT_MS) -
        awaited.sentAt,
      all:
        outcome === 'arrived'
          ? performance.now() - awaited.sentAt
          : FRESHNESS_TIMEOUT_MS,
      missed: outcome !== 'arrived',
    };
  };
  const first: number[] = [];
  const all: number[] = [];
  let missed = 0;
  try {
    await subscription.opened;
    await sleep(500);
    for (let i = 0; i < FRESHNESS_PATCHES; i++) {
      const result = await changeOnce(i);
      first.push(result.first);
      all.push(result.all);
      if (result.missed) missed++;
      await sleep(50);
    }
  } finally {
    subscription.close();
  }
  return { first, all, missed };
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

/** What is wrong with an answer under load, if anything: ours lists one canary per cluster. */
function checkLoadAnswer(
  route: 'ours' | 'floor',
  clusters: number,
): (status: number, body: string) => string | undefined {
  return (status, body) => {
    if (status !== 200)
      return `${route} answered ${status}: ${body.slice(0, 200)}`;
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${route} answered something other than JSON: ${body.slice(
        0,
        200,
      )}`;
    }
    const expected = route === 'ours' ? clusters : 0;
    if (!Array.isArray(parsed?.items) || parsed.items.length !== expected) {
      return `${route} listed ${parsed?.items?.length} canaries, expected ${expected}`;
    }
    if (!parsed.selector) return `${route} answered no selector`;
    return undefined;
  };
}

/** One route under the load, with the backend's event-loop delay and CPU over the window. */
async function routeUnderLoad(
  backend: BackendProcess,
  portal: PortalClient,
  path: string,
  check: (status: number, body: string) => string | undefined,
  settings: { clients: number; seconds: number },
): Promise<LoadSide> {
  let atWindowStart: Promise<BackendMeasurement> | undefined;
  const figures = await measureLoad({
    url: `${portal.url}${path}?entityRef=${encodeURIComponent(BENCH_ENTITY)}`,
    headers: portal.headers,
    clients: settings.clients,
    seconds: settings.seconds,
    warmupSeconds: LOAD_WARMUP_SECONDS,
    check,
    onWindowStart: () => {
      atWindowStart = backend.measure({ resetEventLoopDelay: true });
      return atWindowStart;
    },
  });
  const after = await backend.measure();
  const before = await atWindowStart!;
  return {
    ...roundLoadFigures(figures),
    eventLoopDelayP99Ms: round(after.eventLoopDelayP99Ms, 1),
    eventLoopDelayMaxMs: round(after.eventLoopDelayMaxMs, 1),
    backendCpuMsPerRequest: figures.requests
      ? round(
          ((after.cpuSeconds - before.cpuSeconds) * 1000) / figures.requests,
          3,
        )
      : NaN,
  };
}

function roundLoadFigures(figures: LoadFigures): LoadFigures {
  return {
    ...figures,
    requestsPerSecond: round(figures.requestsPerSecond, 1),
    p50Ms: round(figures.p50Ms, 1),
    p99Ms: round(figures.p99Ms, 1),
    maxMs: round(figures.maxMs, 1),
    clientCpuShare: round(figures.clientCpuShare, 2),
  };
}

/**
 * Our summary and the floor under the same load: the same entity, clients and window, ours
 * first and then the floor (not interleaved: each window is long against the 10 s metrics
 * refresh, so both see the same background work). When a target is missed, ours runs once
 * more while the backend profiles itself.
 */
async function measureLoadRow(
  backend: BackendProcess,
  portal: PortalClient,
  scale: Scale,
  settings: { clients: number; seconds: number },
): Promise<LoadResult> {
  const oursPath = '/api/progressive-delivery/canaries';
  const oursCheck = checkLoadAnswer('ours', scale.clusters);
  const floorCheck = checkLoadAnswer('floor', scale.clusters);
  // One plain request first, so that a floor that is not there fails with its answer.
  const probe = await portal.getJson(
    `${FLOOR_PATH}?entityRef=${encodeURIComponent(BENCH_ENTITY)}`,
  );
  const floorProblem = floorCheck(probe.status, JSON.stringify(probe.body));
  if (floorProblem) throw new Error(`the floor route: ${floorProblem}`);

  log(
    `  load: ${settings.clients} clients for ${settings.seconds} s (after ${LOAD_WARMUP_SECONDS} s of warm-up) on ours, then on the floor`,
  );
  const ours = await routeUnderLoad(
    backend,
    portal,
    oursPath,
    oursCheck,
    settings,
  );
  const describe = (side: LoadSide) =>
    `${side.requestsPerSecond.toFixed(0)} req/s, p50 ${side.p50Ms.toFixed(
      1,
    )} ms, p99 ${side.p99Ms.toFixed(1)} ms, ${side.errors} errors; ` +
    `event-loop delay p99 ${side.eventLoopDelayP99Ms.toFixed(1)} ms`;
  log(`    ours:  ${describe(ours)}`);
  const floor = await routeUnderLoad(
    backend,
    portal,
    FLOOR_PATH,
    floorCheck,
    settings,
  );
  log(`    floor: ${describe(floor)}`);
  const comparison = compareLoad(ours, floor);
  const result: LoadResult = {
    clusters: scale.clusters,
    canaries: scale.canaries,
    entityRef: BENCH_ENTITY,
    clients: settings.clients,
    seconds: settings.seconds,
    warmupSeconds: LOAD_WARMUP_SECONDS,
    order: 'ours first, then the floor',
    ours,
    floor,
    targets: { ...LOAD_TARGETS },
    comparison,
  };
  if (!comparison.throughputMet || !comparison.p99Met) {
    log(
      `  a load target was missed: ${LOAD_PROFILE_SECONDS} s more on ours while the backend profiles itself`,
    );
    try {
      await backend.startProfile();
      try {
        await measureLoad({
          url: `${portal.url}${oursPath}?entityRef=${encodeURIComponent(
            BENCH_ENTITY,
          )}`,
          headers: portal.headers,
          clients: settings.clients,
          seconds: LOAD_PROFILE_SECONDS,
          check: oursCheck,
        });
      } finally {
        result.profile = {
          seconds: LOAD_PROFILE_SECONDS,
          summary: await backend.stopProfile(LOAD_PROFILE_TOP),
        };
      }
    } catch (error) {
      result.profile = {
        seconds: LOAD_PROFILE_SECONDS,
        error: (error as Error).message,
      };
    }
  }
  return result;
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

  await waitForSync(portal, scale.clusters, SYNC_TIMEOUT_MS);
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
    ? await measureLoadRow(backend, portal, scale, options.load)
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

  let pages: FrontendResult['pages'] | undefined;
  if (options.renderCanaries > 0) {
    try {
      await portal.waitForEntity(RENDER_ENTITY);
      await portal.waitForEntity(
        `component:default/${ownedEntityName(OWNED_ENTITIES - 1)}`,
      );
      const entityPage = `/catalog/default/component/${RENDER_APP}`;
      pages = await measurePages({
        portalUrl: backend.url,
        screenshotDir: scaleDir,
        pages: [
          {
            name: 'tab',
            path: `${entityPage}/progressive-delivery`,
            ready: {
              kind: 'canary-sections',
              prefix: 'render-',
              expected: options.renderCanaries,
            },
          },
          {
            name: 'overview',
            path: entityPage,
            ready: { kind: 'overview', prefix: 'render-' },
          },
          {
            name: 'waiting',
            path: '/progressive-delivery',
            ready: { kind: 'waiting-sections', sections: 3 },
          },
        ],
      });
      for (const page of pages) {
        log(
          `  ${page.name} page (${page.path}): ${page.medianMs.toFixed(
            0,
          )} ms (samples ${page.samplesMs
            .map(sample => sample.toFixed(0))
            .join(', ')})${
            page.work
              ? `, renderer script ${page.work.scriptMs.toFixed(
                  0,
                )} / style ${page.work.styleMs.toFixed(
                  0,
                )} / layout ${page.work.layoutMs.toFixed(0)} ms`
              : ''
          }`,
        );
      }
    } catch (error) {
      pages = { error: (error as Error).message };
      log(`  pages not measured: ${(error as Error).message}`);
    }
  }

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

/**
 * The backend with no cluster at all, once settled, after a full GC: what a row's memory is
 * counted above. Undefined (and said) when it could not be measured.
 */
async function measureBaseline(
  info: SandboxInfo,
  workDir: string,
  catalogFile: string,
): Promise<BaselineFigures | undefined> {
  const dir = join(workDir, 'baseline');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'db'), { recursive: true });
  const configFile = join(dir, 'app-config.bench.yaml');
  writeFileSync(
    configFile,
    JSON.stringify(
      benchAppConfig({
        port: PORT,
        clusters: [],
        catalogFiles: [join(info.repoRoot, 'catalog-info.yaml'), catalogFile],
        replacedClusters: [...CLUSTER_NAMES],
        metricsRefreshSeconds: METRICS_REFRESH_SECONDS,
      }),
      null,
      2,
    ),
  );
  log('baseline: the backend with no cluster');
  let backend: BackendProcess | undefined;
  try {
    backend = await BackendProcess.start({
      repoRoot: info.repoRoot,
      port: PORT,
      configFiles: [join(info.repoRoot, 'app-config.yaml'), configFile],
      dataDir: join(dir, 'db'),
      logFile: join(dir, 'backend.log'),
      env: sandboxCredentialsEnv(info),
    });
    const portal = new PortalClient(backend.url);
    await portal.signIn();
    await portal.waitForEntity(BENCH_ENTITY);
    await sleep(SETTLE_MS);
    const memory = await backend.measure({ collectGarbage: true });
    const figures = {
      heapMb: round(memory.heapUsedMb, 1),
      rssMb: round(memory.rssMb, 1),
      cpuSeconds: round(memory.cpuSeconds, 1),
    };
    log(
      `  heap ${figures.heapMb} MB, RSS ${figures.rssMb} MB, ${figures.cpuSeconds} CPU-s to start and settle`,
    );
    return figures;
  } catch (error) {
    log(`  baseline not measured: ${(error as Error).message}`);
    return undefined;
  } finally {
    await backend?.stop();
  }
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
  const baseline = await measureBaseline(info, workDir, catalogFile);
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
