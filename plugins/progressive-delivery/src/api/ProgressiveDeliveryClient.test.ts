import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { registerMswTestHooks } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { StreamMessage } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ProgressiveDeliveryClient } from './ProgressiveDeliveryClient';
import { createCanarySummary, createListResponse } from '../testing';

const BASE = 'http://backstage.test/api/progressive-delivery';
const ENTITY = 'component:default/hello-contour';
const REF = { cluster: 'dev', namespace: 'demo', name: 'hello-contour' };

const server = setupServer();
registerMswTestHooks(server);

function makeClient() {
  const fetched: Request[] = [];
  const client = new ProgressiveDeliveryClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `http://backstage.test/api/${pluginId}`,
    },
    fetchApi: {
      fetch: async (input, init) => {
        const request = new Request(input as RequestInfo, init);
        request.headers.set('Authorization', 'Bearer user-token');
        fetched.push(request.clone());
        return fetch(request);
      },
    },
    reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
  });
  return { client, fetched };
}

function sseBody(
  frames: string[],
  keepOpen = false,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      frames.forEach(frame => controller.enqueue(encoder.encode(frame)));
      if (!keepOpen) {
        controller.close();
      }
    },
  });
}

function changeFrame(message: StreamMessage): string {
  return `event: change\ndata: ${JSON.stringify(message)}\n\n`;
}

describe('ProgressiveDeliveryClient', () => {
  it('lists the canaries of an entity with the entity ref in the query', async () => {
    const list = createListResponse([createCanarySummary()]);
    let seenEntityRef: string | null = null;
    server.use(
      http.get(`${BASE}/canaries`, ({ request }) => {
        seenEntityRef = new URL(request.url).searchParams.get('entityRef');
        return HttpResponse.json(list);
      }),
    );
    const { client, fetched } = makeClient();
    await expect(client.getCanaries(ENTITY)).resolves.toEqual(list);
    expect(seenEntityRef).toBe(ENTITY);
    expect(fetched[0].headers.get('Authorization')).toBe('Bearer user-token');
  });

  it('builds canary, metrics and history URLs with encoded segments', async () => {
    const urls: string[] = [];
    server.use(
      http.get(`${BASE}/*`, ({ request }) => {
        urls.push(
          request.url.replace(
            'http://backstage.test/api/progressive-delivery',
            '',
          ),
        );
        return HttpResponse.json({});
      }),
    );
    const { client } = makeClient();
    await client.getCanary(REF, ENTITY);
    await client.getMetrics(REF, ENTITY, 45);
    await client.getHistory(ENTITY);
    expect(urls).toEqual([
      '/canaries/dev/demo/hello-contour?entityRef=component%3Adefault%2Fhello-contour',
      '/canaries/dev/demo/hello-contour/metrics?entityRef=component%3Adefault%2Fhello-contour&minutes=45',
      '/history?entityRef=component%3Adefault%2Fhello-contour',
    ]);
  });

  it('posts an action with entity ref and trimmed comment', async () => {
    let body: unknown;
    server.use(
      http.post(
        `${BASE}/canaries/dev/demo/hello-contour/actions/promote`,
        async ({ request }) => {
          body = await request.json();
          return HttpResponse.json({
            action: 'promote',
            ref: REF,
            decision: {},
            message: 'ok',
          });
        },
      ),
    );
    const { client } = makeClient();
    await client.act(REF, 'promote', {
      entityRef: ENTITY,
      comment: '  dashboards look fine ',
    });
    expect(body).toEqual({
      entityRef: ENTITY,
      comment: 'dashboards look fine',
    });
  });

  it('leaves out an empty comment', async () => {
    let body: unknown;
    server.use(
      http.post(
        `${BASE}/canaries/dev/demo/hello-contour/actions/rollback`,
        async ({ request }) => {
          body = await request.json();
          return HttpResponse.json({});
        },
      ),
    );
    const { client } = makeClient();
    await client.act(REF, 'rollback', { entityRef: ENTITY, comment: '   ' });
    expect(body).toEqual({ entityRef: ENTITY });
  });

  it('turns error answers into ResponseError with the server message and status', async () => {
    server.use(
      http.post(`${BASE}/canaries/dev/demo/hello-contour/actions/promote`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'ConflictError',
              message:
                'This revision is already decided: rollback was approved.',
            },
            request: {
              method: 'POST',
              url: '/canaries/dev/demo/hello-contour/actions/promote',
            },
            response: { statusCode: 409 },
          },
          { status: 409 },
        ),
      ),
    );
    const { client } = makeClient();
    const error = await client
      .act(REF, 'promote', { entityRef: ENTITY })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.response.status).toBe(409);
    expect(error.body.error.message).toBe(
      'This revision is already decided: rollback was approved.',
    );
  });

  it('delivers change events from the stream and ignores other events', async () => {
    const message: StreamMessage = {
      type: 'canary-changed',
      ref: REF,
      at: '2026-11-23T10:00:00Z',
    };
    let accept: string | null = null;
    server.use(
      http.get(`${BASE}/stream`, ({ request }) => {
        accept = request.headers.get('Accept');
        return new HttpResponse(
          sseBody(
            [
              ': heartbeat\n\n',
              'event: hello\ndata: {}\n\n',
              changeFrame(message),
            ],
            true,
          ),
          { headers: { 'Content-Type': 'text/event-stream' } },
        );
      }),
    );
    const { client, fetched } = makeClient();
    const received: StreamMessage[] = [];
    const opened = jest.fn();
    const unsubscribe = client.subscribe(
      ENTITY,
      m => received.push(m),
      undefined,
      opened,
    );
    await waitFor(() => received.length === 1);
    unsubscribe();
    expect(received).toEqual([message]);
    expect(opened).toHaveBeenCalledTimes(1);
    expect(accept).toBe('text/event-stream');
    expect(fetched[0].headers.get('Authorization')).toBe('Bearer user-token');
  });

  it('reports a lost stream and reconnects with backoff', async () => {
    let connections = 0;
    server.use(
      http.get(`${BASE}/stream`, () => {
        connections++;
        if (connections === 1) {
          return HttpResponse.json(
            { error: { message: 'unavailable' } },
            { status: 503 },
          );
        }
        return new HttpResponse(
          sseBody([
            changeFrame({ type: 'cluster-changed', cluster: 'dev', at: 'now' }),
          ]),
          { headers: { 'Content-Type': 'text/event-stream' } },
        );
      }),
    );
    const { client } = makeClient();
    const errors: Error[] = [];
    const received: StreamMessage[] = [];
    const unsubscribe = client.subscribe(
      ENTITY,
      m => received.push(m),
      e => errors.push(e),
    );
    await waitFor(() => connections >= 3);
    unsubscribe();
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toBeInstanceOf(ResponseError);
    expect(errors.some(e => e.message === 'The event stream closed')).toBe(
      true,
    );
  });

  it('reports a malformed message without closing the stream', async () => {
    server.use(
      http.get(
        `${BASE}/stream`,
        () =>
          new HttpResponse(
            sseBody(
              [
                'event: change\ndata: {not json\n\n',
                changeFrame({ type: 'history-changed', at: 'now' }),
              ],
              true,
            ),
            { headers: { 'Content-Type': 'text/event-stream' } },
          ),
      ),
    );
    const { client } = makeClient();
    const errors: Error[] = [];
    const received: StreamMessage[] = [];
    const unsubscribe = client.subscribe(
      ENTITY,
      m => received.push(m),
      e => errors.push(e),
    );
    await waitFor(() => received.length === 1);
    unsubscribe();
    expect(errors[0].message).toMatch(/malformed stream message/);
    expect(received[0].type).toBe('history-changed');
  });

  it('stops reconnecting after unsubscribe', async () => {
    let connections = 0;
    server.use(
      http.get(`${BASE}/stream`, () => {
        connections++;
        return HttpResponse.json(
          { error: { message: 'down' } },
          { status: 502 },
        );
      }),
    );
    const { client } = makeClient();
    const unsubscribe = client.subscribe(
      ENTITY,
      () => {},
      () => unsubscribe(),
    );
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(connections).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error('Timed out waiting for condition');
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
