/*
 * Over 400 lines: the HTTP contract of every route (status codes, bodies, auth, the stream)
 * over the shared harness; the behaviour behind the routes is tested beside the services.
 */
import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import express from 'express';
import { readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { ProgressiveDeliveryServices } from './createServices';
import { buildRouter } from './router';
import {
  FakeCanaryStore,
  FakeSummarizer,
  gatedCanary,
} from './service/testing/fakes';
import {
  ENTITY_REF,
  helloGatedEntity as entity,
  startTestServices,
} from './__testUtils__/harness';

type Obj = Record<string, any>;

const malformed = {
  ...entity,
  metadata: {
    name: 'broken',
    namespace: 'default',
    annotations: { 'progressive-delivery/canaries': 'hello-gated' },
  },
};
const notOptedIn = {
  ...entity,
  metadata: { name: 'plain', namespace: 'default' },
};
const other = {
  ...entity,
  metadata: {
    name: 'other',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'other-app' },
  },
};

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('router', () => {
  let app: express.Express;
  let store: FakeCanaryStore;
  let summarizer: FakeSummarizer;
  let services: ProgressiveDeliveryServices;
  let allow: (permission: string) => boolean;
  let auditor: ReturnType<typeof mockServices.auditor.mock>;

  async function setUp(settings: Obj = {}) {
    allow = () => true;
    ({ app, store, summarizer, services, auditor } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      settings,
      entities: [entity, malformed, notOptedIn, other],
      allow: permission => allow(permission),
      heartbeatMs: 50,
    }));
  }

  beforeEach(() => setUp());
  afterEach(() => services.stop());

  const setPhase = (phase: string, change: (o: Obj) => void = () => {}) => {
    const object = gatedCanary(phase);
    change(object);
    store.put('dev', object);
  };
  const gate = (
    kind: string,
    body: Obj = { name: 'hello-gated', namespace: 'tap-apps', checksum: 'c1' },
  ) => request(app).post(`/webhooks/dev/gates/${kind}`).send(body);
  const act = (
    action: string,
    body: Obj = { entityRef: ENTITY_REF, comment: 'looks good' },
    user?: string,
  ) =>
    request(app)
      .post(`/canaries/dev/tap-apps/hello-gated/actions/${action}`)
      .set('authorization', mockCredentials.user.header(user))
      .send(body);
  const details = () =>
    request(app)
      .get('/canaries/dev/tap-apps/hello-gated')
      .query({ entityRef: ENTITY_REF });

  it('serves exactly the routes src/schema/openapi.yaml describes', () => {
    const spec = readFileSync(join(__dirname, 'schema/openapi.yaml'), 'utf8');
    const documented: string[] = [];
    let path = '';
    for (const line of spec.split('\n')) {
      const pathLine = /^ {2}(\/\S*):$/.exec(line);
      if (pathLine) path = pathLine[1];
      const methodLine = /^ {4}(get|post|put|patch|delete):$/.exec(line);
      if (methodLine && path)
        documented.push(`${methodLine[1].toUpperCase()} ${path}`);
      if (/^\S/.test(line)) path = '';
    }
    const router = buildRouter({
      services,
      httpAuth: mockServices.httpAuth(),
      userInfo: mockServices.userInfo(),
    }) as any;
    const served = router.stack
      .filter((layer: any) => layer.route)
      .flatMap((layer: any) =>
        Object.keys(layer.route.methods).map(
          method =>
            `${method.toUpperCase()} ${layer.route.path.replace(
              /:(\w+)/g,
              '{$1}',
            )}`,
        ),
      );
    expect(served.sort()).toEqual(documented.sort());
  });

  it('documents the 429 and Retry-After of every route with a limit in src/schema/openapi.yaml', () => {
    const spec = readFileSync(join(__dirname, 'schema/openapi.yaml'), 'utf8');
    /** The text of one path's operation, up to the next path. */
    const operation = (path: string) => {
      const start = spec.indexOf(`\n  ${path}:\n`);
      const end = spec.indexOf('\n  /', start + 1);
      return spec.slice(start, end < 0 ? spec.indexOf('\ncomponents:') : end);
    };
    const limited = {
      '/canaries/{cluster}/{namespace}/{name}/actions/{action}': [
        'actionsPerMinute',
      ],
      '/stream': [
        'streamsPerPrincipal',
        'streams',
        'streamBufferBytes',
        'streamLifetime',
      ],
      '/webhooks/{cluster}/gates/{gate}': ['webhooksPerMinute'],
      '/webhooks/{cluster}/event': [],
    };
    for (const [path, keys] of Object.entries(limited)) {
      const text = operation(path);
      expect({
        path,
        has429: text.includes(
          "'429': { $ref: '#/components/responses/TooManyRequests' }",
        ),
      }).toEqual({
        path,
        has429: true,
      });
      for (const key of keys) {
        expect({
          path,
          key,
          documented:
            text.includes(`\`${key}\``) || text.includes(`limits.${key}\``),
        }).toEqual({
          path,
          key,
          documented: true,
        });
      }
    }
    const tooMany = spec.slice(spec.indexOf('    TooManyRequests:'));
    expect(tooMany).toMatch(
      /^ {4}TooManyRequests:\n(?: {6}.*\n)*? {6}headers:\n {8}Retry-After:/,
    );
  });

  it('answers health without anything else', async () => {
    expect((await request(app).get('/health')).body).toEqual({ status: 'ok' });
  });

  describe('reads', () => {
    it('lists the canaries of an entity with every cluster, also an unreachable one', async () => {
      const response = await request(app)
        .get('/canaries')
        .query({ entityRef: ENTITY_REF });
      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(1);
      expect(response.body.items[0]).toMatchObject({
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
        phase: 'WaitingPromotion',
        state: { kind: 'waiting-promotion-approval' },
      });
      expect(
        response.body.clusters.map((c: Obj) => [c.name, c.status]),
      ).toEqual([
        ['dev', 'ok'],
        ['prod', 'error'],
      ]);
      expect(response.body.selector).toMatchObject({
        workloadNames: ['hello-gated'],
      });
    });

    it('tags the list, so a browser that has it gets 304 and no body', async () => {
      const first = await request(app)
        .get('/canaries')
        .query({ entityRef: ENTITY_REF });
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toMatch(/^application\/json/);
      expect(first.headers.etag).toMatch(/^W\/"[0-9a-f]+-/);
      const again = await request(app)
        .get('/canaries')
        .set('if-none-match', first.headers.etag)
        .query({ entityRef: ENTITY_REF });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
    });

    it('accepts an entity ref without namespace and lets service principals read', async () => {
      const response = await request(app)
        .get('/canaries')
        .set('authorization', mockCredentials.service.header())
        .query({ entityRef: 'component:hello-gated' });
      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(1);
    });

    it('shows one canary with its manifest (without managedFields) and history', async () => {
      const response = await details();
      expect(response.status).toBe(200);
      expect(response.body.summary.ref.name).toBe('hello-gated');
      expect(response.body.manifest.kind).toBe('Canary');
      expect(response.body.manifest.metadata.managedFields).toBeUndefined();
      expect(response.body.history).toEqual([]);
    });

    it('reads metric series for the given window and validates it', async () => {
      const url = '/canaries/dev/tap-apps/hello-gated/metrics';
      const response = await request(app)
        .get(url)
        .query({ entityRef: ENTITY_REF, minutes: '15' });
      expect(response.status).toBe(200);
      expect(response.body.series[0].metric).toBe('request-success-rate');
      await request(app).get(url).query({ entityRef: ENTITY_REF });
      expect(summarizer.seriesRequests.map(r => r.minutes)).toEqual([15, 30]);
      const bad = await request(app)
        .get(url)
        .query({ entityRef: ENTITY_REF, minutes: '0' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/minutes/);
    });

    it('refuses readers without the read permission', async () => {
      allow = name => name !== 'progressive-delivery.canary.read';
      const response = await request(app)
        .get('/canaries')
        .query({ entityRef: ENTITY_REF });
      expect(response.status).toBe(403);
      expect(response.body.error.message).toMatch(
        /progressive-delivery\.canary\.read/,
      );
      expect((await details()).status).toBe(403);
      expect(
        (await request(app).get('/history').query({ entityRef: ENTITY_REF }))
          .status,
      ).toBe(403);
    });

    it('does not show a canary through an entity it does not belong to', async () => {
      const response = await request(app)
        .get('/canaries/dev/tap-apps/hello-gated')
        .query({ entityRef: 'component:default/other' });
      expect(response.status).toBe(404);
      expect(response.body.error.message).toMatch(
        /does not belong to component:default\/other/,
      );
    });
  });

  describe('bad input', () => {
    it('says what is wrong with the entity', async () => {
      const get = (entityRef?: string) =>
        request(app)
          .get('/canaries')
          .query(entityRef ? { entityRef } : {});
      expect((await get()).body.error.message).toMatch(/entityRef is required/);
      expect((await get('not a ref')).status).toBe(400);
      const annotation = await get('component:default/broken');
      expect(annotation.status).toBe(400);
      expect(annotation.body.error.message).toMatch(
        /progressive-delivery\/canaries/,
      );
      const plain = await get('component:default/plain');
      expect(plain.status).toBe(400);
      expect(plain.body.error.message).toMatch(/has not opted in/);
      expect((await get('component:default/missing')).status).toBe(404);
    });

    it('validates cluster, namespace and name, and names the configured clusters', async () => {
      const query = { entityRef: ENTITY_REF };
      expect(
        (await request(app).get('/canaries/dev/Bad_NS/x').query(query)).status,
      ).toBe(400);
      expect(
        (await request(app).get('/canaries/dev/ns/-x-').query(query)).status,
      ).toBe(400);
      const unknown = await request(app)
        .get('/canaries/elsewhere/tap-apps/hello-gated')
        .query(query);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe(
        'Unknown cluster "elsewhere"; configured: dev, prod.',
      );
    });

    it('rejects unknown actions, long comments, malformed and oversized bodies', async () => {
      expect((await act('launch')).body.error.message).toMatch(
        /action must be one of approve-rollout/,
      );
      const long = await act('promote', {
        entityRef: ENTITY_REF,
        comment: 'x'.repeat(501),
      });
      expect(long.status).toBe(400);
      expect(long.body.error.message).toMatch(/at most 500 characters/);
      expect((await act('promote', { comment: 'no entity' })).status).toBe(400);
      const broken = await request(app)
        .post('/webhooks/dev/gates/confirm-promotion')
        .set('content-type', 'application/json')
        .send('{"name":');
      expect(broken.status).toBe(400);
      expect(broken.body.error.message).toMatch(/not valid JSON/);
      const huge = await request(app)
        .post('/webhooks/dev/gates/confirm-promotion')
        .send({ name: 'x'.repeat(20000) });
      expect(huge.status).toBe(400);
      expect(huge.body.error.message).toMatch(/larger than 16 kB/);
    });

    it('keeps a comment of exactly 500 characters', async () => {
      const response = await act('promote', {
        entityRef: ENTITY_REF,
        comment: 'y'.repeat(500),
      });
      expect(response.status).toBe(200);
      expect(response.body.decision.comment).toHaveLength(500);
    });
  });

  describe('gates', () => {
    it('answers each gate when nobody decided anything', async () => {
      setPhase('Waiting');
      const rollout = await gate('confirm-rollout');
      expect(rollout.status).toBe(403);
      expect(rollout.text).toBe(
        'Waiting for approval in Backstage (Approve rollout)',
      );
      setPhase('Progressing');
      expect((await gate('confirm-traffic-increase')).status).toBe(200);
      const promotion = await gate('confirm-promotion');
      expect(promotion.status).toBe(403);
      expect(promotion.text).toBe('Waiting for promotion in Backstage');
      expect((await gate('rollback')).status).toBe(403);
    });

    it('answers an action with the decision and its next step, and the gate with its text', async () => {
      const promoted = await act('promote', undefined, 'user:default/ana');
      expect(promoted.status).toBe(200);
      expect(promoted.body).toMatchObject({
        action: 'promote',
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
        decision: {
          action: 'promote',
          decidedBy: 'user:default/ana',
          comment: 'looks good',
        },
      });
      expect(promoted.body.message).toMatch(
        /^Promotion approved\. Flagger picks it up when it next calls the confirm-promotion webhook/,
      );
      const answer = await gate('confirm-promotion');
      expect(answer.status).toBe(200);
      expect(answer.type).toBe('text/plain');
      expect(answer.text).toBe('Promotion approved in Backstage');
      expect((await details()).body.summary.pendingDecision).toMatchObject({
        action: 'promote',
        appliedAt: expect.any(String),
      });
    });

    it('answers 409 with the reason when the phase does not allow the action', async () => {
      setPhase('Succeeded');
      const early = await act('promote');
      expect(early.status).toBe(409);
      expect(early.body.error.message).toMatch(
        /Only possible while the analysis runs/,
      );
      expect((await act('approve-rollout')).body.error.message).toMatch(
        /Waiting/,
      );
      setPhase('Progressing', o => {
        o.spec.analysis.webhooks = o.spec.analysis.webhooks.filter(
          (w: Obj) => w.type !== 'rollback',
        );
      });
      expect((await act('rollback')).body.error.message).toMatch(
        /no rollback webhook pointing at this portal/,
      );
      const attempts = await services.attempts.attempts({
        cluster: 'dev',
        namespace: 'tap-apps',
        name: 'hello-gated',
      });
      expect(attempts.map(a => a.outcome)).toEqual([
        'invalid',
        'invalid',
        'invalid',
      ]);
    });

    it('refuses an action without permission, records the attempt and audits the failure', async () => {
      allow = name => name !== 'progressive-delivery.canary.promote';
      const response = await act('promote');
      expect(response.status).toBe(403);
      expect(response.body.error.message).toMatch(
        /You may not promote releases of component:default\/hello-gated/,
      );
      expect((await gate('confirm-promotion')).status).toBe(403);
      const [attempt] = await services.attempts.attempts({
        cluster: 'dev',
        namespace: 'tap-apps',
        name: 'hello-gated',
      });
      expect(attempt).toMatchObject({
        action: 'promote',
        outcome: 'forbidden',
        actor: 'user:default/mock',
      });
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'canary-action',
          severityLevel: 'medium',
          meta: expect.objectContaining({ action: 'promote' }),
        }),
      );
      const event = await (auditor.createEvent as jest.Mock).mock.results[0]
        .value;
      expect(event.fail).toHaveBeenCalled();
      expect(event.success).not.toHaveBeenCalled();
    });

    it('requires a user for actions', async () => {
      const response = await request(app)
        .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
        .set('authorization', mockCredentials.service.header())
        .send({ entityRef: ENTITY_REF });
      expect(response.status).toBe(403);
    });

    it('answers webhooks only for canaries that exist in a configured cluster, recording nothing else', async () => {
      const unknownCluster = await request(app)
        .post('/webhooks/elsewhere/gates/rollback')
        .send({ name: 'hello-gated', namespace: 'tap-apps' });
      expect(unknownCluster.status).toBe(404);
      expect(unknownCluster.body.error.message).toBe(
        'Unknown cluster "elsewhere"',
      );
      expect(
        (await gate('rollback', { name: 'ghost', namespace: 'tap-apps' }))
          .status,
      ).toBe(404);
      expect((await gate('open-sesame')).status).toBe(400);
      expect(
        (await gate('rollback', { namespace: 'tap-apps' })).body.error.message,
      ).toMatch(/name is required/);
      const ghostEvent = await request(app)
        .post('/webhooks/dev/event')
        .send({
          name: 'ghost',
          namespace: 'tap-apps',
          metadata: { eventMessage: 'x', eventType: 'Normal', timestamp: '1' },
        });
      expect(ghostEvent.status).toBe(404);
      expect(
        await services.rollouts.flaggerEvents({
          cluster: 'dev',
          namespace: 'tap-apps',
          name: 'ghost',
        }),
      ).toEqual([]);
    });
  });

  describe('shared secret', () => {
    beforeEach(async () => {
      await services.stop();
      await setUp({ webhooks: { sharedSecret: 's3cret' } });
    });

    it('requires metadata.secret to match', async () => {
      const body = { name: 'hello-gated', namespace: 'tap-apps' };
      const missing = await gate('confirm-traffic-increase', body);
      expect(missing.status).toBe(403);
      expect(missing.body.error.message).toMatch(/secret this portal requires/);
      expect(
        (
          await gate('confirm-traffic-increase', {
            ...body,
            metadata: { secret: 's3cret!' },
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await gate('confirm-traffic-increase', {
            ...body,
            metadata: { secret: 's3cre' },
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await gate('confirm-traffic-increase', {
            ...body,
            metadata: { secret: 's3cret' },
          })
        ).status,
      ).toBe(200);
      const event = await request(app)
        .post('/webhooks/dev/event')
        .send({
          ...body,
          metadata: { eventMessage: 'x', eventType: 'Normal', timestamp: '1' },
        });
      expect(event.status).toBe(403);
    });
  });

  describe('history', () => {
    it('accepts Flagger events with 202 and lists the entity’s rollouts', async () => {
      setPhase('Progressing');
      await services.history.idle();
      const event = await request(app)
        .post('/webhooks/dev/event')
        .send({
          name: 'hello-gated',
          namespace: 'tap-apps',
          phase: 'Progressing',
          metadata: {
            eventMessage: 'Advance hello-gated.tap-apps canary weight 10',
            eventType: 'Normal',
            timestamp: String(Date.parse('2026-11-23T02:00:00Z')),
          },
        });
      expect(event.status).toBe(202);
      expect(event.text).toBe('Recorded');
      const response = await request(app)
        .get('/history')
        .query({ entityRef: ENTITY_REF });
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual([
        expect.objectContaining({
          ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
          outcome: 'in-progress',
        }),
      ]);
    });
  });

  describe('stream', () => {
    it('pushes changes of the entity’s canaries and heartbeats, and cleans up on close', async () => {
      const server = app.listen(0);
      const { port } = server.address() as AddressInfo;
      const controller = new AbortController();
      const listenersBefore = store.listenerCount();
      try {
        const response = await fetch(
          `http://127.0.0.1:${port}/stream?entityRef=${encodeURIComponent(
            ENTITY_REF,
          )}`,
          {
            signal: controller.signal,
          },
        );
        expect(response.headers.get('content-type')).toBe('text/event-stream');
        const reader = response.body!.getReader();
        let text = '';
        const readUntil = async (pattern: RegExp) => {
          const deadline = Date.now() + 1000;
          while (!pattern.test(text)) {
            if (Date.now() > deadline)
              throw new Error(
                `no ${pattern} within 1 s in ${JSON.stringify(text)}`,
              );
            const { value } = await reader.read();
            text += new TextDecoder().decode(value);
          }
        };
        await readUntil(/: connected/);
        store.put('dev', gatedCanary('Progressing'));
        const unrelated = gatedCanary('Progressing');
        unrelated.metadata.name = 'unrelated';
        unrelated.spec.targetRef.name = 'other-app';
        store.put('dev', unrelated);
        await readUntil(/event: change\ndata: .*hello-gated/);
        expect(text).not.toMatch(/unrelated/);
        const frame = /data: (.*)\n/.exec(text)![1];
        expect(JSON.parse(frame)).toMatchObject({
          type: 'canary-changed',
          ref: { name: 'hello-gated' },
        });
        await readUntil(/: heartbeat/);
        expect(store.listenerCount()).toBe(listenersBefore + 1);
      } finally {
        controller.abort();
        await new Promise(resolve => setTimeout(resolve, 50));
        server.close();
      }
      expect(store.listenerCount()).toBe(listenersBefore);
    });

    it('refuses the stream without the read permission', async () => {
      allow = () => false;
      expect(
        (await request(app).get('/stream').query({ entityRef: ENTITY_REF }))
          .status,
      ).toBe(403);
    });
  });
});
