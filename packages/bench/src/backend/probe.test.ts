import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type {
  MeasureRequest,
  MeasurementReply,
  ProbeRequest,
  ProfileReply,
} from './probeMessages';

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

type ReplyTo<R extends ProbeRequest> = R extends MeasureRequest
  ? MeasurementReply
  : ProfileReply;

function ask<R extends ProbeRequest>(
  child: ChildProcess,
  request: R,
): Promise<ReplyTo<R>> {
  return new Promise<ReplyTo<R>>((resolve, reject) => {
    // Backstage's transform also talks on the channel ({ type: 'watch' }): skip that.
    const onMessage = (message: any) => {
      if (
        (message?.type === 'bench:measurement' ||
          message?.type === 'bench:profile-result') &&
        message.id === request.id
      ) {
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

  it('profiles its own process on request and answers the top functions by self time', async () => {
    // The child spins in a function of a telling name for 300 ms, when told to.
    const child = probed(`
      function spinForTheProfile() { const end = Date.now() + 300; while (Date.now() < end); }
      process.on('message', m => { if (m === 'spin') spinForTheProfile(); });
      setTimeout(() => {}, 20000);
    `);
    try {
      const started = await ask(child, {
        type: 'bench:profile',
        id: 1,
        action: 'start',
      });
      expect(started).toEqual({
        type: 'bench:profile-result',
        id: 1,
        action: 'start',
      });
      const again = await ask(child, {
        type: 'bench:profile',
        id: 2,
        action: 'start',
      });
      expect(again).toMatchObject({ error: 'a profile is running' });
      child.send('spin');
      await new Promise(resolve => setTimeout(resolve, 500));
      const stopped = await ask(child, {
        type: 'bench:profile',
        id: 3,
        action: 'stop',
        top: 5,
      });
      expect(stopped.error).toBeUndefined();
      const top = stopped.summary!.top;
      expect(top.length).toBeLessThanOrEqual(5);
      expect(top[0]).toMatchObject({ functionName: 'spinForTheProfile' });
      expect(top[0].selfMs).toBeGreaterThan(200);
      expect(top[0].location).toMatch(/:2$/);
      expect(
        await ask(child, { type: 'bench:profile', id: 4, action: 'stop' }),
      ).toMatchObject({ error: 'no profile is running' });
    } finally {
      child.kill();
    }
  }, 20_000);
});
