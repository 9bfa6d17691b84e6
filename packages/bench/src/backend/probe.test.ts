import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { ProbeReply } from './probeMessages';

const repoRoot = join(__dirname, '..', '..', '..', '..');

describe('the backend probe', () => {
  it('answers a measure request with the process’s own memory and CPU, after a GC when asked', async () => {
    const child = fork('-e', ['setTimeout(() => {}, 20000)'], {
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
    try {
      const reply = await new Promise<ProbeReply>((resolve, reject) => {
        // Backstage's transform also talks on the channel ({ type: 'watch' }): skip that.
        child.on('message', (message: any) => {
          if (message?.type === 'bench:measurement') resolve(message);
        });
        child.once('error', reject);
        child.send({ type: 'bench:measure', id: 7, collectGarbage: true });
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
});
