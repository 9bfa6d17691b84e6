import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { ProbeReply, ProbeRequest } from './probeMessages';

const repoRoot = join(__dirname, '..', '..', '..', '..');

function probed(script: string) {
  return fork('-e', [script], {
    execArgv: [
      '--expose-gc',
      '--require',
      join(
        repoRoot,
        'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
      ),
      '--require',
      join(__dirname, 'probe.ts'),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function ask(child: ChildProcess, request: ProbeRequest): Promise<ProbeReply> {
  return new Promise<ProbeReply>((resolve, reject) => {
    // Backstage's transform also talks on the channel ({ type: 'watch' }): skip that.
    const onMessage = (message: any) => {
      if (message?.type === 'bench:measurement' && message.id === request.id) {
        child.off('message', onMessage);
        resolve(message);
      }
    };
    child.on('message', onMessage);
    child.once('error', reject);
    child.send(request);
  });
}

describe('the backend probe', () => {
  it('answers a measure request with the process’s own memory and CPU, after a GC when asked', async () => {
    const child = probed('setTimeout(() => {}, 20000)');
    try {
      const reply = await ask(child, {
        type: 'bench:measure',
        id: 7,
        collectGarbage: true,
      });
      expect(reply).toEqual(
        expect.objectContaining({
          type: 'bench:measurement',
          id: 7,
          garbageCollected: true,
        }),
      );
      expect(reply.memory.rss).toBeGreaterThan(reply.memory.heapUsed);
      expect(reply.cpu.user).toBeGreaterThan(0);
      expect(child.pid).not.toBe(process.pid);
    } finally {
      child.kill();
    }
  }, 20_000);

  it('reports how long the event loop was held since the last reset', async () => {
    // The child holds its event loop for 200 ms once, when told to.
    const child = probed(`
      process.on('message', m => {
        if (m === 'block') { const end = Date.now() + 200; while (Date.now() < end); }
      });
      setTimeout(() => {}, 20000);
    `);
    try {
      await ask(child, {
        type: 'bench:measure',
        id: 1,
        resetEventLoopDelay: true,
      });
      await new Promise(resolve => setTimeout(resolve, 100));
      const calm = await ask(child, {
        type: 'bench:measure',
        id: 2,
        resetEventLoopDelay: true,
      });
      expect(calm.eventLoopDelay.maxMs).toBeLessThan(150);
      // The delay is sampled by a 10 ms timer; the first tick after a reset only starts it.
      await new Promise(resolve => setTimeout(resolve, 50));
      child.send('block');
      await new Promise(resolve => setTimeout(resolve, 400));
      const held = await ask(child, { type: 'bench:measure', id: 3 });
      expect(held.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(150);
      expect(held.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(
        held.eventLoopDelay.p99Ms,
      );
    } finally {
      child.kill();
    }
  }, 20_000);
});
