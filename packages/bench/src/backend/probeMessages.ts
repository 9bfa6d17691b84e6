/* The IPC messages between the benchmark and the probe preloaded into the backend. */

export interface MeasureRequest {
  type: 'bench:measure';
  id: number;
  /** Run a full garbage collection first (the backend is started with --expose-gc). */
  collectGarbage?: boolean;
  /** Start a new event-loop delay window after answering. */
  resetEventLoopDelay?: boolean;
}

/**
 * Starts or stops a V8 CPU profile of the backend, in its own process (`node:inspector`); the
 * answer to `stop` is the profile's top functions by self time, never the whole profile.
 */
export interface ProfileRequest {
  type: 'bench:profile';
  id: number;
  action: 'start' | 'stop';
  /** How many functions `stop` lists (default 15). */
  top?: number;
}

export type ProbeRequest = MeasureRequest | ProfileRequest;

export interface MeasurementReply {
  type: 'bench:measurement';
  id: number;
  memory: NodeJS.MemoryUsage;
  /** Microseconds of user and system CPU since the backend started. */
  cpu: NodeJS.CpuUsage;
  garbageCollected: boolean;
  /** How long timers waited for the event loop since the last reset (or the start). */
  eventLoopDelay: { p99Ms: number; maxMs: number };
}

/** One function of a CPU profile, all its call sites together. */
export interface ProfileEntry {
  functionName: string;
  /** `url:line` (1-based), shortened: from `node_modules/` on, or relative to the repository. */
  location: string;
  selfMs: number;
  /** Share of the whole profile's time, 0–100. */
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time in all. */
  totalMs: number;
  samples: number;
  top: ProfileEntry[];
}

export interface ProfileReply {
  type: 'bench:profile-result';
  id: number;
  action: 'start' | 'stop';
  /** On `stop`. */
  summary?: ProfileSummary;
  /** Why the profiler could not start or stop. */
  error?: string;
}

export type ProbeReply = MeasurementReply | ProfileReply;
