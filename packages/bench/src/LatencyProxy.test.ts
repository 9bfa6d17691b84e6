import { createServer, connect, Server } from 'node:net';
import { LatencyProxy } from './LatencyProxy';

describe('LatencyProxy', () => {
  let echo: Server;
  let echoPort: number;

  beforeAll(async () => {
    echo = createServer(socket => socket.pipe(socket));
    await new Promise<void>(resolve => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>(resolve => echo.close(() => resolve()));
  });

  async function roundTrip(port: number, payload: string) {
    const started = performance.now();
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', chunk => {
        data += chunk.toString();
        if (data.length >= payload.length) {
          socket.end();
          resolve(data);
        }
      });
      socket.on('error', reject);
      socket.write(payload);
    });
    return { received, elapsedMs: performance.now() - started };
  }

  it('adds the configured delay in both directions and keeps the bytes and their order', async () => {
    const proxy = await LatencyProxy.start({
      target: { host: '127.0.0.1', port: echoPort },
      oneWayDelayMs: 50,
    });
    try {
      const payload = Array.from({ length: 500 }, (_, i) => `chunk-${i};`).join(
        '',
      );
      const { received, elapsedMs } = await roundTrip(proxy.port, payload);
      expect(received).toBe(payload);
      expect(elapsedMs).toBeGreaterThanOrEqual(100);
      expect(proxy.connections).toBe(1);
      expect(proxy.bytesFromClients).toBe(payload.length);
    } finally {
      await proxy.stop();
    }
  });

  it('adds nothing measurable when the delay is zero', async () => {
    const proxy = await LatencyProxy.start({
      target: { host: '127.0.0.1', port: echoPort },
      oneWayDelayMs: 0,
    });
    try {
      const { received } = await roundTrip(proxy.port, 'ping');
      expect(received).toBe('ping');
    } finally {
      await proxy.stop();
    }
  });
});
