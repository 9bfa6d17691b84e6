/*
 * Preloaded into a backend started with `memoryProbe` (`--require`, with --expose-gc): answers
 * the test's IPC question with the process's own memory after full garbage collections, so the
 * figures are the backend's and not the test runner's.
 */
if (process.send) {
  process.on('message', (message: { type?: string; id?: number }) => {
    if (message?.type !== 'e2e:measure-memory') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    // Twice: the first pass runs finalizers that free more on the second.
    gc?.();
    gc?.();
    process.send!({
      type: 'e2e:memory',
      id: message.id,
      memory: process.memoryUsage(),
    });
  });
  // The channel must not keep the backend alive once it is asked to stop.
  process.channel?.unref();
}

export {};
