/*
 * Preloaded into the backend (`--require`): answers the benchmark's IPC questions with the
 * process's own memory and CPU figures, so they are the backend's and not the benchmark's.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ProbeReply, ProbeRequest } from './probeMessages';

if (process.send) {
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  eventLoopDelay.enable();
  process.on('message', (message: ProbeRequest) => {
    if (message?.type !== 'bench:measure') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.collectGarbage && gc) gc();
    const reply: ProbeReply = {
      type: 'bench:measurement',
      id: message.id,
      memory: process.memoryUsage(),
      cpu: process.cpuUsage(),
      garbageCollected: Boolean(message.collectGarbage && gc),
      // An empty histogram (no timer fired since the reset) has nonsense extremes.
      eventLoopDelay:
        eventLoopDelay.count > 0
          ? {
              p99Ms: eventLoopDelay.percentile(99) / 1e6,
              maxMs: eventLoopDelay.max / 1e6,
            }
          : { p99Ms: 0, maxMs: 0 },
    };
    if (message.resetEventLoopDelay) eventLoopDelay.reset();
    process.send!(reply);
  });
  // The channel must not keep the backend alive once it is asked to stop.
  process.channel?.unref();
}
