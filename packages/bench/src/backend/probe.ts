/*
 * Preloaded into the backend (`--require`): answers the benchmark's IPC questions with the
 * process's own memory and CPU figures, so they are the backend's and not the benchmark's.
 */
import type { ProbeReply, ProbeRequest } from './probeMessages';

if (process.send) {
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
    };
    process.send!(reply);
  });
  // The channel must not keep the backend alive once it is asked to stop.
  process.channel?.unref();
}
