import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PrometheusClient, PrometheusError } from './PrometheusClient';

/** A local HTTP server whose answers each test chooses. */
async function serve(
  handler: (url: URL, respond: (status: number, body: string) => void) => void,
) {
  const server = createServer((request, response) => {
    handler(new URL(request.url!, 'http://localhost'), (status, body) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

describe('PrometheusClient', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise(resolve => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('runs instant and range queries against the HTTP API', async () => {
    const seen: URL[] = [];
    ({ server } = await serve((url, respond) => {
      seen.push(url);
      if (url.pathname === '/prom/api/v1/query') {
        respond(
          200,
          JSON.stringify({
            status: 'success',
            data: {
              resultType: 'vector',
              result: [{ metric: { a: 'b' }, value: [1, '99.5'] }],
            },
          }),
        );
      } else {
        respond(
          200,
          JSON.stringify({
            status: 'success',
            data: {
              resultType: 'matrix',
              result: [
                {
                  metric: {},
                  values: [
                    [1700000000, '1'],
                    [1700000010, 'NaN'],
                  ],
                },
              ],
            },
          }),
        );
      }
    }));
    const url = `http://127.0.0.1:${
      (server!.address() as AddressInfo).port
    }/prom/`;
    const client = new PrometheusClient(url, 1000);

    expect(await client.query('up{job="x"}')).toEqual([
      { labels: { a: 'b' }, value: 99.5 },
    ]);
    expect(seen[0].searchParams.get('query')).toBe('up{job="x"}');
    const range = await client.queryRange(
      'up',
      new Date(1700000000000),
      new Date(1700000600000),
      30,
    );
    expect(range[0].values[0]).toEqual({
      at: '2023-11-14T22:13:20.000Z',
      value: 1,
    });
    expect(range[0].values[1].value).toBeNaN();
    expect(Object.fromEntries(seen[1].searchParams)).toMatchObject({
      start: '1700000000',
      end: '1700000600',
      step: '30',
    });
  });

  it('gives up after the timeout instead of hanging', async () => {
    ({ server } = await serve(() => undefined));
    const client = new PrometheusClient(
      `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
      100,
    );
    const started = Date.now();
    const error = await client.query('up').catch(e => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error.message).toMatch(/did not answer within 100 ms/);
    expect(error.unreachable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('tells an unreachable Prometheus from a rejected query', async () => {
    const closed = await serve(() => undefined);
    await new Promise(resolve => closed.server.close(resolve));
    const refused = await new PrometheusClient(closed.url, 1000)
      .query('up')
      .catch(e => e);
    expect(refused).toMatchObject({
      unreachable: true,
      message: `Prometheus at ${closed.url} is unreachable: ECONNREFUSED`,
    });

    ({ server } = await serve((url, respond) =>
      url.searchParams.get('query') === 'bad('
        ? respond(
            400,
            JSON.stringify({
              status: 'error',
              errorType: 'bad_data',
              error: 'parse error: unclosed left parenthesis',
            }),
          )
        : respond(502, '<html>Bad gateway</html>'),
    ));
    const client = new PrometheusClient(
      `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
      1000,
    );
    await expect(client.query('bad(')).rejects.toMatchObject({
      unreachable: false,
      message:
        'Prometheus query failed (400 bad_data): parse error: unclosed left parenthesis',
    });
    await expect(client.query('up')).rejects.toMatchObject({
      unreachable: true,
      message: expect.stringMatching(/answered 502/),
    });
  });
});
