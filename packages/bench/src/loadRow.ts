/* The load row: our summary and the floor route under the same concurrent clients. */
import { BackendMeasurement, BackendProcess } from './backend/BackendProcess';
import { Scale } from './canaries';
import { compareLoad, LOAD_TARGETS, LoadFigures, measureLoad } from './load';
import { log } from './log';
import { PortalClient } from './portalClient';
import { LoadResult, LoadSide } from './report';
import { round } from './stats';

/** Load before each measured window, not counted: connections open, both routes warm. */
export const LOAD_WARMUP_SECONDS = 5;
/** Ours under load once more while the backend profiles itself, when a target was missed. */
const LOAD_PROFILE_SECONDS = 15;
const LOAD_PROFILE_TOP = 15;
/** The benchmark's floor plugin (src/backend/floorPlugin.ts), in the same backend as ours. */
export const FLOOR_PATH = '/api/bench-floor/canaries';

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
  entityRef: string,
  path: string,
  check: (status: number, body: string) => string | undefined,
  settings: { clients: number; seconds: number },
): Promise<LoadSide> {
  let atWindowStart: Promise<BackendMeasurement> | undefined;
  const figures = await measureLoad({
    url: `${portal.url}${path}?entityRef=${encodeURIComponent(entityRef)}`,
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
export async function measureLoadRow(
  backend: BackendProcess,
  portal: PortalClient,
  entityRef: string,
  scale: Scale,
  settings: { clients: number; seconds: number },
): Promise<LoadResult> {
  const oursPath = '/api/progressive-delivery/canaries';
  const oursCheck = checkLoadAnswer('ours', scale.clusters);
  const floorCheck = checkLoadAnswer('floor', scale.clusters);
  // One plain request first, so that a floor that is not there fails with its answer.
  const probe = await portal.getJson(
    `${FLOOR_PATH}?entityRef=${encodeURIComponent(entityRef)}`,
  );
  const floorProblem = floorCheck(probe.status, JSON.stringify(probe.body));
  if (floorProblem) throw new Error(`the floor route: ${floorProblem}`);

  log(
    `  load: ${settings.clients} clients for ${settings.seconds} s (after ${LOAD_WARMUP_SECONDS} s of warm-up) on ours, then on the floor`,
  );
  const ours = await routeUnderLoad(
    backend,
    portal,
    entityRef,
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
    entityRef,
    FLOOR_PATH,
    floorCheck,
    settings,
  );
  log(`    floor: ${describe(floor)}`);
  const comparison = compareLoad(ours, floor);
  const result: LoadResult = {
    clusters: scale.clusters,
    canaries: scale.canaries,
    entityRef,
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
            entityRef,
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
