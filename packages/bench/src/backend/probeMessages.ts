/* The IPC messages between the benchmark and the probe preloaded into the backend. */

export interface ProbeRequest {
  type: 'bench:measure';
  id: number;
  /** Run a full garbage collection first (the backend is started with --expose-gc). */
  collectGarbage?: boolean;
  /** Start a new event-loop delay window after answering. */
  resetEventLoopDelay?: boolean;
}

export interface ProbeReply {
  type: 'bench:measurement';
  id: number;
  memory: NodeJS.MemoryUsage;
  /** Microseconds of user and system CPU since the backend started. */
  cpu: NodeJS.CpuUsage;
  garbageCollected: boolean;
  /** How long timers waited for the event loop since the last reset (or the start). */
  eventLoopDelay: { p99Ms: number; maxMs: number };
}
