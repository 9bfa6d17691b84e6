/*
 * Clients that open `/stream` and then stop reading, through the real router on a real socket,
 * while the canary keeps changing. Each is cut once more than `limits.streamBufferBytes` wait
 * unsent for it, and the backend's heap after garbage collection ends within a stated bound of
 * its baseline however many such clients came and went.
 */
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import http from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ProgressiveDeliveryServices } from './createServices';
import { FakeCanaryStore, gatedCanary } from './service/testing/fakes';
import { ENTITY_REF, startTestServices } from './__testUtils__/harness';

const MB = 1024 * 1024;
const BUFFER_BYTES = 128 * 1024;
/** One change message as the stream frames it is well under this. */
const LARGEST_CHUNK = 1024;
const CLIENTS_PER_WAVE = 10;
const WAVES = 3;
/**
 * What the heap may end above its baseline after the waves (measured: about 0.3 MiB, the same
 * after 3 waves as after 7). Kept, the 30 clients' queues alone would be 30 × 128 KiB = 3.75 MiB.
 */
const HEAP_BOUND_BYTES = 1.5 * MB;

// Jest gives the test no `gc`; V8 hands it to a new context once the flag is set.
setFlagsFromString('--expose-gc');
const gc: () => void = runInNewContext('gc');

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
// Each wave first fills the sockets' kernel buffers (megabytes on loopback), then the queues.
jest.setTimeout(180_000);

describe('router: clients that stop reading their stream', () => {
  let store: FakeCanaryStore;
  let services: ProgressiveDeliveryServices;
  let server: http.Server;
  const serverSockets = new Set<Socket>();

  beforeAll(async () => {
    let app;
    ({ app, store, services } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      settings: {
        limits: {
          streamBufferBytes: BUFFER_BYTES,
          streamsPerPrincipal: 1000,
          streams: 1000,
        },
      },
    }));
    server = app.listen(0, '127.0.0.1');
    server.on('connection', socket => {
      serverSockets.add(socket);
      socket.on('close', () => serverSockets.delete(socket));
    });
    await new Promise(resolve => server.once('listening', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
    await services.stop();
  });

  /** Opens a stream, reads its headers, then reads nothing more. */
  function stalledClient(): Promise<http.IncomingMessage> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: `/stream?entityRef=${encodeURIComponent(ENTITY_REF)}`,
            headers: { authorization: mockCredentials.user.header() },
            agent: false,
          },
          response => {
            response.pause();
            resolve(response);
          },
        )
        .on('error', reject);
    });
  }

  const waiting = gatedCanary('WaitingPromotion');
  const progressing = gatedCanary('Progressing');

  /**
   * Changes the canary (its summary with it) until the backend has cut every stalled stream
   * (a paused client learns of it only when it reads again); returns how many changes that
   * took and the largest queue any stream's socket had meanwhile.
   */
  async function changeUntilCut(stalled: http.IncomingMessage[], readers = 0) {
    let changes = 0;
    let largestQueue = 0;
    while (services.streams.openCount > readers) {
      if (changes > 1_000_000) {
        throw new Error(
          `${
            services.streams.openCount - readers
          } stalled streams still open after ${changes} changes`,
        );
      }
      for (let i = 0; i < 200; i++, changes++) {
        store.put('dev', changes % 2 ? progressing : waiting);
      }
      for (const socket of serverSockets) {
        largestQueue = Math.max(largestQueue, socket.writableLength);
      }
      await new Promise(resolve => setImmediate(resolve));
    }
    for (const client of stalled) client.destroy();
    return { changes, largestQueue };
  }

  /**
   * The heap after full collections, once it stops shrinking: the worker may still be letting go
   * of an earlier test file, which would inflate a baseline.
   */
  async function heapAfterGc(): Promise<number> {
    // The harness's mock services record every call they get; that memory is the test's.
    jest.clearAllMocks();
    let previous = Infinity;
    for (let attempt = 0; attempt < 10; attempt++) {
      // Let closed sockets' handles and finalizers run between collections.
      await new Promise(resolve => setTimeout(resolve, 50));
      gc();
      gc();
      const heap = process.memoryUsage().heapUsed;
      if (previous - heap < 256 * 1024) return Math.min(heap, previous);
      previous = heap;
    }
    return previous;
  }

  async function wave() {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS_PER_WAVE }, () => stalledClient()),
    );
    expect(clients.map(c => c.statusCode)).toEqual(clients.map(() => 200));
    expect(services.streams.openCount).toBe(CLIENTS_PER_WAVE);
    const result = await changeUntilCut(clients);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(services.streams.openCount).toBe(0);
    return result;
  }

  it('cuts each past limits.streamBufferBytes, and the heap stays flat over waves of them', async () => {
    const listenersBefore = store.listenerCount();
    // The first wave brings the process to its working set (modules, JIT, socket pools).
    await wave();
    const baseline = await heapAfterGc();
    const heaps: number[] = [];
    let largestQueue = 0;
    for (let i = 0; i < WAVES; i++) {
      const result = await wave();
      largestQueue = Math.max(largestQueue, result.largestQueue);
      heaps.push(await heapAfterGc());
    }
    process.stderr.write(
      `[slow clients] baseline ${(baseline / MB).toFixed(
        1,
      )} MiB; after each wave of ${CLIENTS_PER_WAVE}: ${heaps
        .map(h => `${((h - baseline) / MB).toFixed(2)}`)
        .join(', ')} MiB above; largest queue ${largestQueue} bytes\n`,
    );
    // No stream ever held much more than its limit: it is cut at the first write past it.
    expect(largestQueue).toBeLessThanOrEqual(BUFFER_BYTES + LARGEST_CHUNK);
    expect(largestQueue).toBeGreaterThan(BUFFER_BYTES / 2);
    expect(Math.max(...heaps) - baseline).toBeLessThan(HEAP_BOUND_BYTES);
    expect(store.listenerCount()).toBe(listenersBefore);
  });

  it('leaves a client that keeps reading connected while the stalled ones are cut', async () => {
    const reader = await stalledClient();
    let received = 0;
    reader.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    reader.resume();
    const stalled = await Promise.all(
      Array.from({ length: 5 }, () => stalledClient()),
    );
    await changeUntilCut(stalled, 1);
    expect(reader.destroyed).toBe(false);
    expect(services.streams.openCount).toBe(1);
    expect(received).toBeGreaterThan(5 * BUFFER_BYTES);
    reader.destroy();
  });
});
