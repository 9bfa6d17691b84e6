import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  compareLoad,
  LOAD_TARGETS,
  loadFigures,
  loadSettings,
  loadTargets,
  measureLoad,
} from './load';

describe('loadSettings', () => {
  it('defaults to 200 clients for 60 s, and reads the knobs', () => {
    expect(loadSettings({})).toEqual({ clients: 200, seconds: 60 });
    expect(
      loadSettings({
        PD_BENCH_LOAD_CLIENTS: '50',
        PD_BENCH_LOAD_SECONDS: '20',
      }),
    ).toEqual({ clients: 50, seconds: 20 });
  });

  it('is off with PD_BENCH_SKIP_LOAD=1 and refuses nonsense', () => {
    expect(loadSettings({ PD_BENCH_SKIP_LOAD: '1' })).toBeUndefined();
    expect(() => loadSettings({ PD_BENCH_LOAD_CLIENTS: '0' })).toThrow(
      'PD_BENCH_LOAD_CLIENTS must be a positive number, not "0"',
    );
    expect(() => loadSettings({ PD_BENCH_LOAD_SECONDS: 'a minute' })).toThrow(
      /PD_BENCH_LOAD_SECONDS/,
    );
  });
});

describe('loadFigures', () => {
  it('gives throughput over the window and the latency percentiles', () => {
    const latenciesMs = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(
      loadFigures({
        clients: 4,
        seconds: 10,
        latenciesMs,
        errors: 1,
        firstErrors: ['500'],
        clientCpuSeconds: 2.5,
      }),
    ).toEqual({
      clients: 4,
      seconds: 10,
      requests: 200,
      requestsPerSecond: 20,
      p50Ms: 100,
      p99Ms: 198,
      maxMs: 200,
      errors: 1,
      firstErrors: ['500'],
      clientCpuShare: 0.25,
    });
  });

  it('has no latencies without requests', () => {
    const figures = loadFigures({
      clients: 1,
      seconds: 1,
      latenciesMs: [],
      errors: 0,
      firstErrors: [],
      clientCpuSeconds: 0,
    });
    expect(figures.requestsPerSecond).toBe(0);
    expect(figures.p99Ms).toBeNaN();
  });
});

describe('compareLoad', () => {
  const floor = { requestsPerSecond: 1000, p99Ms: 100, errors: 0 };

  it('meets the targets at 80 % of the floor’s throughput and 1.5× its p99', () => {
    expect(
      compareLoad({ requestsPerSecond: 800, p99Ms: 150, errors: 0 }, floor),
    ).toEqual({
      throughputRatio: 0.8,
      p99Ratio: 1.5,
      throughputMet: true,
      p99Met: true,
      met: true,
    });
    expect(LOAD_TARGETS).toEqual({ minThroughputRatio: 0.8, maxP99Ratio: 1.5 });
  });

  it('misses each target on its own, and both with errors', () => {
    expect(
      compareLoad({ requestsPerSecond: 790, p99Ms: 100, errors: 0 }, floor),
    ).toMatchObject({ throughputMet: false, p99Met: true, met: false });
    expect(
      compareLoad({ requestsPerSecond: 1200, p99Ms: 151, errors: 0 }, floor),
    ).toMatchObject({ throughputMet: true, p99Met: false, met: false });
    expect(
      compareLoad({ requestsPerSecond: 1000, p99Ms: 100, errors: 3 }, floor),
    ).toMatchObject({ throughputMet: true, p99Met: true, met: false });
  });

  it('misses the targets when nothing was measured', () => {
    expect(
      compareLoad(
        { requestsPerSecond: 0, p99Ms: NaN, errors: 0 },
        { requestsPerSecond: 0, p99Ms: NaN, errors: 0 },
      ),
    ).toMatchObject({ throughputMet: false, p99Met: false, met: false });
  });
});

describe('loadTargets', () => {
  it('lists both load targets on the row the load ran at, with their figures', () => {
    const ours = { requestsPerSecond: 539, p99Ms: 823.6, errors: 0 };
    const floor = { requestsPerSecond: 2458.3, p99Ms: 128.2, errors: 0 };
    expect(
      loadTargets({
        clusters: 1,
        canaries: 1000,
        ours,
        floor,
        targets: LOAD_TARGETS,
        comparison: compareLoad(ours, floor),
      }),
    ).toEqual([
      {
        row: '1/1000',
        what: "under load: ours req/s ÷ the floor's",
        target: '≥ 0.8×',
        value: '0.22× (539 / 2458 req/s)',
        met: false,
      },
      {
        row: '1/1000',
        what: "under load: ours p99 ÷ the floor's",
        target: '≤ 1.5×',
        value: '6.42× (824 / 128 ms)',
        met: false,
      },
    ]);
  });
});

describe('measureLoad', () => {
  let server: Server;
  let url: string;
  const connections = new Set<unknown>();
  let answered = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      answered += 1;
      const failing = req.url?.includes('fail');
      setTimeout(() => {
        res.writeHead(failing ? 500 : 200, {
          'content-type': 'application/json',
        });
        res.end(
          JSON.stringify({ items: [1, 2], auth: req.headers.authorization }),
        );
      }, 2);
    });
    server.on('connection', socket => connections.add(socket));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  const check = (status: number, body: string) => {
    if (status !== 200) return `status ${status}`;
    const parsed = JSON.parse(body);
    return parsed.items.length === 2 && parsed.auth === 'Bearer t'
      ? undefined
      : `unexpected ${body}`;
  };

  it('keeps every client busy over one keep-alive connection each, counting only the window', async () => {
    connections.clear();
    answered = 0;
    let answeredAtWindowStart = -1;
    const figures = await measureLoad({
      url: `${url}/ok`,
      headers: { authorization: 'Bearer t' },
      clients: 8,
      seconds: 0.5,
      warmupSeconds: 0.2,
      check,
      onWindowStart: () => {
        answeredAtWindowStart = answered;
      },
    });
    expect(figures.errors).toBe(0);
    // The warm-up's requests are answered, not counted.
    expect(answeredAtWindowStart).toBeGreaterThan(20);
    expect(figures.requests).toBeLessThanOrEqual(
      answered - answeredAtWindowStart + 8,
    );
    // 8 clients, ~2-3 ms a request: hundreds in half a second.
    expect(figures.requests).toBeGreaterThan(100);
    expect(figures.requests).toBeLessThan(answered);
    expect(figures.requestsPerSecond).toBe(figures.requests / 0.5);
    expect(figures.p50Ms).toBeGreaterThanOrEqual(2);
    expect(figures.maxMs).toBeGreaterThanOrEqual(figures.p99Ms);
    expect(connections.size).toBeLessThanOrEqual(8);
  });

  it('counts answers that fail the check as errors, with the first problems', async () => {
    const figures = await measureLoad({
      url: `${url}/fail`,
      headers: { authorization: 'Bearer t' },
      clients: 2,
      seconds: 0.2,
      check,
    });
    expect(figures.errors).toBe(figures.requests);
    expect(figures.errors).toBeGreaterThan(0);
    expect(figures.firstErrors).toEqual(['status 500']);
  });

  it('counts a refused connection as an error', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));
    const figures = await measureLoad({
      url: `http://127.0.0.1:${port}/`,
      headers: {},
      clients: 1,
      seconds: 0.1,
      check,
    });
    expect(figures.errors).toBeGreaterThan(0);
    expect(figures.firstErrors[0]).toMatch(/request failed: .*ECONNREFUSED/);
  });
});
