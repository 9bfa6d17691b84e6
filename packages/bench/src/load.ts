/*
 * Load: many clients asking one URL back to back over keep-alive connections for a fixed
 * window, every answer checked; throughput and latency of the window.
 */
import { Agent, request } from 'node:http';
import type { Target } from './figures';
import { percentile } from './stats';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  clients: number;
  /** The measured window. */
  seconds: number;
  /**
   * Load before the window, not counted: every client's connection is open and the route is
   * warm when the window starts. Default 0.
   */
  warmupSeconds?: number;
  /** What is wrong with an answer, if anything. */
  check: (status: number, body: string) => string | undefined;
  /** An answer later than this is an error. Default 30 s. */
  requestTimeoutMs?: number;
  /** Called when the window starts (after the warm-up); awaited before the figures return. */
  onWindowStart?: () => unknown;
}

export interface LoadFigures {
  clients: number;
  seconds: number;
  /** Requests started in the window and answered (or failed). */
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Failed requests and answers that did not pass the check. */
  errors: number;
  /** The first few distinct problems. */
  firstErrors: string[];
  /** CPU the load generator itself used, per second of the window (1 = one core busy). */
  clientCpuShare: number;
}

/** The load knobs: `PD_BENCH_LOAD_CLIENTS`, `PD_BENCH_LOAD_SECONDS`, `PD_BENCH_SKIP_LOAD=1`. */
export function loadSettings(
  env: Record<string, string | undefined>,
): { clients: number; seconds: number } | undefined {
  if (env.PD_BENCH_SKIP_LOAD === '1') return undefined;
  const positive = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`${name} must be a positive number, not "${text}"`);
    }
    return value;
  };
  return {
    clients: Math.round(positive('PD_BENCH_LOAD_CLIENTS', 200)),
    seconds: positive('PD_BENCH_LOAD_SECONDS', 60),
  };
}

/** The figures of a window from its samples. */
export function loadFigures(window: {
  clients: number;
  seconds: number;
  latenciesMs: number[];
  errors: number;
  firstErrors: string[];
  clientCpuSeconds: number;
}): LoadFigures {
  const { latenciesMs: samples, seconds } = window;
  const empty = samples.length === 0;
  return {
    clients: window.clients,
    seconds,
    requests: samples.length,
    requestsPerSecond: seconds > 0 ? samples.length / seconds : 0,
    p50Ms: empty ? NaN : percentile(samples, 50),
    p99Ms: empty ? NaN : percentile(samples, 99),
    maxMs: empty ? NaN : samples.reduce((a, b) => Math.max(a, b), 0),
    errors: window.errors,
    firstErrors: window.firstErrors,
    clientCpuShare: seconds > 0 ? window.clientCpuSeconds / seconds : 0,
  };
}

function get(
  url: URL,
  headers: Record<string, string>,
  agent: Agent,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, headers, timeout: timeoutMs },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', chunk => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

const MAX_ERRORS_KEPT = 5;

/**
 * `clients` loops, each issuing the next GET as soon as the previous one is answered, over
 * one keep-alive connection pool with a socket for every client, for the warm-up and then
 * the measured window. Only requests started in the window count.
 */
export async function measureLoad(options: LoadOptions): Promise<LoadFigures> {
  const url = new URL(options.url);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.clients,
    maxFreeSockets: options.clients,
  });
  const warmupMs = (options.warmupSeconds ?? 0) * 1000;
  const started = performance.now();
  const windowStart = started + warmupMs;
  const windowEnd = windowStart + options.seconds * 1000;
  const latenciesMs: number[] = [];
  const firstErrors: string[] = [];
  let errors = 0;
  let cpuAtWindowStart: NodeJS.CpuUsage | undefined;
  let windowStarted: unknown;
  const windowTimer = setTimeout(() => {
    windowStarted = options.onWindowStart?.();
  }, warmupMs);
  const failed = (problem: string) => {
    errors += 1;
    if (firstErrors.length < MAX_ERRORS_KEPT && !firstErrors.includes(problem))
      firstErrors.push(problem);
  };

  const client = async () => {
    for (;;) {
      const sentAt = performance.now();
      if (sentAt >= windowEnd) return;
      const counted = sentAt >= windowStart;
      if (counted && !cpuAtWindowStart) cpuAtWindowStart = process.cpuUsage();
      let problem: string | undefined;
      try {
        const answer = await get(url, options.headers, agent, timeoutMs);
        problem = options.check(answer.status, answer.body);
      } catch (error) {
        problem = `request failed: ${(error as Error).message}`;
      }
      if (!counted) continue;
      latenciesMs.push(performance.now() - sentAt);
      if (problem) {
        failed(problem);
        // A refusing server answers at once: do not spin on it.
        await new Promise(resolve => setTimeout(resolve, 10));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.clients }, client));
  } finally {
    clearTimeout(windowTimer);
    agent.destroy();
  }
  await windowStarted;
  const cpu = process.cpuUsage(cpuAtWindowStart);
  return loadFigures({
    clients: options.clients,
    seconds: options.seconds,
    latenciesMs,
    errors,
    firstErrors,
    clientCpuSeconds: cpuAtWindowStart ? (cpu.user + cpu.system) / 1e6 : 0,
  });
}

/** Our summary's targets against the floor's: throughput share and p99 factor. */
export const LOAD_TARGETS = {
  /** Ours must serve at least this share of the floor's requests per second. */
  minThroughputRatio: 0.8,
  /** Ours' p99 may be at most this multiple of the floor's. */
  maxP99Ratio: 1.5,
} as const;

export interface LoadComparison {
  /** ours req/s ÷ floor req/s. */
  throughputRatio: number;
  /** ours p99 ÷ floor p99. */
  p99Ratio: number;
  throughputMet: boolean;
  p99Met: boolean;
  /** Both targets met, and neither side had errors. */
  met: boolean;
}

export function compareLoad(
  ours: Pick<LoadFigures, 'requestsPerSecond' | 'p99Ms' | 'errors'>,
  floor: Pick<LoadFigures, 'requestsPerSecond' | 'p99Ms' | 'errors'>,
  targets: {
    minThroughputRatio: number;
    maxP99Ratio: number;
  } = LOAD_TARGETS,
): LoadComparison {
  const throughputRatio = ours.requestsPerSecond / floor.requestsPerSecond;
  const p99Ratio = ours.p99Ms / floor.p99Ms;
  // NaN (nothing measured) compares false: a target without figures is missed.
  const throughputMet = throughputRatio >= targets.minThroughputRatio;
  const p99Met = p99Ratio <= targets.maxP99Ratio;
  return {
    throughputRatio,
    p99Ratio,
    throughputMet,
    p99Met,
    met: throughputMet && p99Met && ours.errors === 0 && floor.errors === 0,
  };
}

/** The two load targets in the benchmark's list of targets, on the row the load ran at. */
export function loadTargets(load: {
  clusters: number;
  canaries: number;
  ours: Pick<LoadFigures, 'requestsPerSecond' | 'p99Ms'>;
  floor: Pick<LoadFigures, 'requestsPerSecond' | 'p99Ms'>;
  targets: { minThroughputRatio: number; maxP99Ratio: number };
  comparison: LoadComparison;
}): Target[] {
  const row = `${load.clusters}/${load.canaries}`;
  const { ours, floor, targets, comparison } = load;
  return [
    {
      row,
      what: `under load: ours req/s ÷ the floor's`,
      target: `≥ ${targets.minThroughputRatio}×`,
      value: `${comparison.throughputRatio.toFixed(2)}× (${Math.round(
        ours.requestsPerSecond,
      )} / ${Math.round(floor.requestsPerSecond)} req/s)`,
      met: comparison.throughputMet,
    },
    {
      row,
      what: `under load: ours p99 ÷ the floor's`,
      target: `≤ ${targets.maxP99Ratio}×`,
      value: `${comparison.p99Ratio.toFixed(2)}× (${Math.round(
        ours.p99Ms,
      )} / ${Math.round(floor.p99Ms)} ms)`,
      met: comparison.p99Met,
    },
  ];
}
