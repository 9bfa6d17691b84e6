/* What a row's runs add up to, and the targets each row is held to. */
import { percentile, round } from './stats';

/** One run of a row's page views: a burst of ours, then the peer's. */
export interface RunFigures {
  summaryP50Ms: number;
  summaryP99Ms: number;
  summaryMaxMs: number;
  /** The backend's event-loop delay while our burst ran: what its tail waits on. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  peerP50Ms: number;
  peerP99Ms: number;
  peerViews: number;
  /** peer p99 / ours p99 in this run. */
  ratio: number;
}

export function runFigures(
  summary: number[],
  peer: number[],
  loop: { eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number },
): RunFigures {
  if (summary.length === 0 || peer.length === 0) {
    throw new Error('a run needs samples of ours and of the peer');
  }
  return {
    summaryP50Ms: round(percentile(summary, 50), 1),
    summaryP99Ms: round(percentile(summary, 99), 1),
    summaryMaxMs: round(Math.max(...summary), 1),
    eventLoopDelayP99Ms: round(loop.eventLoopDelayP99Ms, 1),
    eventLoopDelayMaxMs: round(loop.eventLoopDelayMaxMs, 1),
    peerP50Ms: round(percentile(peer, 50), 0),
    peerP99Ms: round(percentile(peer, 99), 0),
    peerViews: peer.length,
    ratio: round(percentile(peer, 99) / percentile(summary, 99), 1),
  };
}

/** A row's figures from its runs: the worst of each, and how far ours' p99 spread. */
export function worstOf(runs: RunFigures[]) {
  if (runs.length === 0) throw new Error('a row needs at least one run');
  const max = (get: (run: RunFigures) => number) => Math.max(...runs.map(get));
  const min = (get: (run: RunFigures) => number) => Math.min(...runs.map(get));
  return {
    summaryP50Ms: max(r => r.summaryP50Ms),
    summaryP99Ms: max(r => r.summaryP99Ms),
    summaryMaxMs: max(r => r.summaryMaxMs),
    summaryP99SpreadMs: round(
      max(r => r.summaryP99Ms) - min(r => r.summaryP99Ms),
      1,
    ),
    eventLoopDelayP99Ms: max(r => r.eventLoopDelayP99Ms),
    eventLoopDelayMaxMs: max(r => r.eventLoopDelayMaxMs),
    peerP50Ms: max(r => r.peerP50Ms),
    peerP99Ms: max(r => r.peerP99Ms),
    /** The smallest of the runs' own ratios, not a ratio of two different runs. */
    ratio: min(r => r.ratio),
  };
}

/** The backend started with no cluster at all, after a full GC: what the canaries add to. */
export interface BaselineFigures {
  heapMb: number;
  rssMb: number;
  /** CPU from spawn until ready and idle: the part of a row's sync CPU that is only start-up. */
  cpuSeconds: number;
}

export function perThousandCanaries(
  memory: { heapUsedMb: number; rssMb: number },
  baseline: BaselineFigures | undefined,
  canaries: number,
): {
  heapPer1000CanariesMb: number | null;
  rssPer1000CanariesMb: number | null;
} {
  if (!baseline || canaries <= 0) {
    return { heapPer1000CanariesMb: null, rssPer1000CanariesMb: null };
  }
  const thousands = canaries / 1000;
  return {
    heapPer1000CanariesMb: round(
      (memory.heapUsedMb - baseline.heapMb) / thousands,
      2,
    ),
    rssPer1000CanariesMb: round((memory.rssMb - baseline.rssMb) / thousands, 2),
  };
}

export interface Target {
  row: string;
  what: string;
  target: string;
  value: string;
  met: boolean;
}

/** The figures of a row the issue sets targets for (scale rows: from 50 clusters on). */
export interface TargetedRow {
  clusters: number;
  canaries: number;
  runs: RunFigures[];
  syncSeconds: number | null;
  heapPer1000CanariesMb: number | null;
}

export const TARGETS = {
  summaryP99Ms: 25,
  peerRatio: 20,
  syncSecondsAt100Clusters: 60,
  heapPer1000CanariesMb: 3,
  tabOverOverview: 1.3,
} as const;

/** Every target of a row, each run held to the latency targets on its own. */
export function rowTargets(row: TargetedRow): Target[] {
  const name = `${row.clusters}/${row.canaries}`;
  const targets: Target[] = row.runs.flatMap((run, index) => [
    {
      row: name,
      what: `run ${index + 1}: ours p99`,
      target: `< ${TARGETS.summaryP99Ms} ms`,
      value: `${run.summaryP99Ms} ms`,
      met: run.summaryP99Ms < TARGETS.summaryP99Ms,
    },
    {
      row: name,
      what: `run ${index + 1}: peer p99 ÷ ours`,
      target: `≥ ${TARGETS.peerRatio}×`,
      value: `${run.ratio}×`,
      met: run.ratio >= TARGETS.peerRatio,
    },
  ]);
  if (row.clusters >= 100) {
    targets.push({
      row: name,
      what: 'backend start until every cluster synced',
      target: `< ${TARGETS.syncSecondsAt100Clusters} s`,
      value: row.syncSeconds === null ? 'not measured' : `${row.syncSeconds} s`,
      met:
        row.syncSeconds !== null &&
        row.syncSeconds < TARGETS.syncSecondsAt100Clusters,
    });
  }
  if (row.clusters >= 50) {
    targets.push({
      row: name,
      what: 'heap per 1,000 canaries above the idle backend',
      target: `< ${TARGETS.heapPer1000CanariesMb} MB`,
      value:
        row.heapPer1000CanariesMb === null
          ? 'not measured'
          : `${row.heapPer1000CanariesMb} MB`,
      met:
        row.heapPer1000CanariesMb !== null &&
        row.heapPer1000CanariesMb < TARGETS.heapPer1000CanariesMb,
    });
  }
  return targets;
}

/** The tab's time to visible against the same entity's Overview, in the same browser run. */
export function pageTargets(
  pages: { name: string; medianMs: number }[],
): Target[] {
  const tab = pages.find(page => page.name === 'tab');
  const overview = pages.find(page => page.name === 'overview');
  if (!tab || !overview) return [];
  const ratio = round(tab.medianMs / overview.medianMs, 2);
  return [
    {
      row: 'frontend',
      what: 'tab with 200 canaries ÷ the entity’s Overview',
      target: `≤ ${TARGETS.tabOverOverview}×`,
      value: `${ratio}× (${Math.round(tab.medianMs)} / ${Math.round(
        overview.medianMs,
      )} ms)`,
      met: ratio <= TARGETS.tabOverOverview,
    },
  ];
}

export function formatTargets(targets: Target[]): string {
  const lines = targets.map(
    t =>
      `${t.met ? 'met   ' : 'MISSED'}  ${t.row.padEnd(12)} ${t.what}: ${
        t.value
      } (target ${t.target})`,
  );
  const missed = targets.filter(t => !t.met).length;
  return [
    `targets: ${targets.length - missed} met, ${missed} missed`,
    ...lines,
  ].join('\n');
}
