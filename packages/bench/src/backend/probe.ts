/*
 * Preloaded into the backend (`--require`): answers the benchmark's IPC questions with the
 * process's own memory and CPU figures, so they are the backend's and not the benchmark's,
 * and profiles the backend's CPU in its own process when asked.
 */
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type {
  MeasureRequest,
  ProbeReply,
  ProbeRequest,
  ProfileRequest,
} from './probeMessages';
import { CpuProfile, summarizeProfile } from './profileSummary';

/** The sampling period of the event-loop delay histogram. */
export const EVENT_LOOP_RESOLUTION_MS = 10;

function beyondResolution(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - EVENT_LOOP_RESOLUTION_MS);
}

function measurement(
  message: MeasureRequest,
  eventLoopDelay: ReturnType<typeof monitorEventLoopDelay>,
): ProbeReply {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (message.collectGarbage && gc) gc();
  const reply: ProbeReply = {
    type: 'bench:measurement',
    id: message.id,
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(),
    garbageCollected: Boolean(message.collectGarbage && gc),
    // An empty histogram (no timer fired since the reset) has nonsense extremes. The
    // histogram records the time between its timer's firings, the resolution included: what
    // held the loop is the part beyond it.
    eventLoopDelay:
      eventLoopDelay.count > 0
        ? {
            p99Ms: beyondResolution(eventLoopDelay.percentile(99)),
            maxMs: beyondResolution(eventLoopDelay.max),
          }
        : { p99Ms: 0, maxMs: 0 },
  };
  if (message.resetEventLoopDelay) eventLoopDelay.reset();
  return reply;
}

function post<T = unknown>(
  session: Session,
  method: string,
  params?: object,
): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params, (error, result) =>
      error ? reject(error) : resolve(result as T),
    ),
  );
}

/** One profile at a time, through an inspector session of this very process. */
let profiling: Session | undefined;

async function profile(message: ProfileRequest): Promise<ProbeReply> {
  const reply = { type: 'bench:profile-result', id: message.id } as const;
  if (message.action === 'start') {
    if (profiling) {
      return { ...reply, action: 'start', error: 'a profile is running' };
    }
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    profiling = session;
    return { ...reply, action: 'start' };
  }
  const session = profiling;
  if (!session) {
    return { ...reply, action: 'stop', error: 'no profile is running' };
  }
  profiling = undefined;
  try {
    const { profile: result } = await post<{ profile: CpuProfile }>(
      session,
      'Profiler.stop',
    );
    return {
      ...reply,
      action: 'stop',
      summary: summarizeProfile(result, {
        top: message.top,
        repoRoot: process.env.PD_BENCH_REPO_ROOT,
      }),
    };
  } finally {
    await post(session, 'Profiler.disable').catch(() => undefined);
    session.disconnect();
  }
}

if (process.send) {
  const eventLoopDelay = monitorEventLoopDelay({
    resolution: EVENT_LOOP_RESOLUTION_MS,
  });
  eventLoopDelay.enable();
  process.on('message', (message: ProbeRequest) => {
    if (message?.type === 'bench:measure') {
      process.send!(measurement(message, eventLoopDelay));
    } else if (message?.type === 'bench:profile') {
      profile(message).then(
        reply => process.send!(reply),
        error =>
          process.send!({
            type: 'bench:profile-result',
            id: message.id,
            action: message.action,
            error: String(error?.message ?? error),
          } satisfies ProbeReply),
      );
    }
  });
  // The channel must not keep the backend alive once it is asked to stop.
  process.channel?.unref();
}
