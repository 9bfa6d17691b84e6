import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { ProgressiveDeliveryServices } from './createServices';
import { FakeCanaryStore, gatedCanary } from './service/testing/fakes';
import {
  ENTITY_REF,
  helloGatedEntity,
  startTestServices,
} from './__testUtils__/harness';

type Obj = Record<string, any>;

/** Another team's entity naming the hello-gated canary explicitly, as `payments-gated` does. */
const paymentsGated: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-gated',
    namespace: 'default',
    annotations: {
      'progressive-delivery/canaries': 'dev/tap-apps/hello-gated',
    },
  },
  spec: { owner: 'group:default/team-platform' },
};
/** An entity sharing the workload name, with no namespace. */
const sameWorkloadName: Entity = {
  ...helloGatedEntity,
  metadata: {
    name: 'hello-gated-copy',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'hello-gated' },
  },
};
/** An entity whose label selector is only a negation (it matches every canary). */
const negationOnly: Entity = {
  ...helloGatedEntity,
  metadata: {
    name: 'everything',
    namespace: 'default',
    annotations: {
      'progressive-delivery/workload-name': 'hello-gated',
      'backstage.io/kubernetes-label-selector': '!x',
    },
  },
};

const PAYMENTS_REF = 'component:default/payments-gated';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('router: steering needs both sides', () => {
  let app: express.Express;
  let store: FakeCanaryStore;
  let services: ProgressiveDeliveryServices;

  async function setUp(
    options: { settings?: Obj; permission?: Obj; unlabelled?: boolean } = {},
  ) {
    ({ app, store, services } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      settings: options.settings,
      permission: options.permission,
      entities: [
        helloGatedEntity,
        paymentsGated,
        sameWorkloadName,
        negationOnly,
      ],
    }));
    if (options.unlabelled) {
      const object = gatedCanary('WaitingPromotion');
      delete object.metadata.labels['backstage.io/kubernetes-id'];
      store.put('dev', object);
    }
  }
  afterEach(() => services?.stop());

  const promote = (entityRef: string) =>
    request(app)
      .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
      .set('authorization', mockCredentials.user.header())
      .send({ entityRef });
  const list = (entityRef: string) =>
    request(app).get('/canaries').query({ entityRef });

  it('lets the entity the canary names steer it', async () => {
    await setUp();
    const listed = await list(ENTITY_REF);
    const promotion = listed.body.items[0].actions.find(
      (a: Obj) => a.action === 'promote',
    );
    expect(promotion).toMatchObject({ applicable: true });
    expect(promotion.steeringOff).toBeUndefined();
    expect((await promote(ENTITY_REF)).status).toBe(200);
  });

  it.each([
    ['an explicit reference', PAYMENTS_REF],
    ['a workload name without namespace', 'component:default/hello-gated-copy'],
    ['a negation-only label selector', 'component:default/everything'],
  ])(
    'shows but refuses steering through a foreign entity selecting by %s, with the reason',
    async (_how, entityRef) => {
      await setUp();
      const listed = await list(entityRef);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toHaveLength(1);
      for (const availability of listed.body.items[0].actions) {
        expect(availability).toMatchObject({
          applicable: false,
          steeringOff: 'binding',
        });
        expect(availability.reason).toContain(
          'The canary side names backstage.io/kubernetes-id=hello-gated',
        );
        expect(availability.reason).toContain(
          'progressiveDelivery.steering.namespaces',
        );
      }
      const details = await request(app)
        .get('/canaries/dev/tap-apps/hello-gated')
        .query({ entityRef });
      expect(details.body.summary.actions[0].steeringOff).toBe('binding');

      const refused = await promote(entityRef);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('does not name this entity');
      expect(
        await services.decisions.decisionsFor(
          { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
          store.getCanary({
            cluster: 'dev',
            namespace: 'tap-apps',
            name: 'hello-gated',
          })!.revision!,
        ),
      ).toEqual([]);
    },
  );

  it('says what to add to an unlabelled canary, and accepts the label on the Deployment', async () => {
    await setUp({ unlabelled: true });
    const refused = await promote(ENTITY_REF);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(
      'Add the label backstage.io/kubernetes-id: hello-gated to the Canary or its Deployment hello-gated',
    );
    const object = gatedCanary('WaitingPromotion');
    delete object.metadata.labels['backstage.io/kubernetes-id'];
    store.put('dev', object, {
      target: {
        metadata: {
          name: 'hello-gated',
          labels: { 'backstage.io/kubernetes-id': 'hello-gated' },
        },
      },
    });
    expect((await promote(ENTITY_REF)).status).toBe(200);
  });

  it('honours an administrator grant by owner group or entity ref', async () => {
    await setUp({
      unlabelled: true,
      settings: {
        steering: {
          namespaces: [
            {
              cluster: 'dev',
              namespace: 'tap-apps',
              owners: ['team-delivery'],
            },
          ],
        },
      },
    });
    expect((await promote(ENTITY_REF)).status).toBe(200);
    expect((await promote(PAYMENTS_REF)).status).toBe(403);
  });

  it('a grant of another namespace or cluster grants nothing', async () => {
    await setUp({
      unlabelled: true,
      settings: {
        steering: {
          namespaces: [
            { cluster: 'prod', namespace: 'tap-apps', entities: [ENTITY_REF] },
            { cluster: 'dev', namespace: 'other', entities: [ENTITY_REF] },
          ],
        },
      },
    });
    expect((await promote(ENTITY_REF)).status).toBe(403);
  });

  it('refuses steering while the permission framework is off, unless the administrator means it', async () => {
    await setUp({ permission: { enabled: false } });
    const listed = await list(ENTITY_REF);
    expect(listed.body.items[0].actions[0]).toMatchObject({
      applicable: false,
      steeringOff: 'permission-framework',
    });
    const refused = await promote(ENTITY_REF);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('permission.enabled: true');
    await services.stop();

    await setUp({
      permission: { enabled: false },
      settings: { steering: { allowWithoutPermissionFramework: true } },
    });
    expect((await promote(ENTITY_REF)).status).toBe(200);
  });
});

describe('router: webhooks state nothing on their own word', () => {
  let app: express.Express;
  let store: FakeCanaryStore;
  let services: ProgressiveDeliveryServices;
  let auditor: Awaited<ReturnType<typeof startTestServices>>['auditor'];
  const ref = { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' };

  async function setUp(settings?: Obj) {
    ({ app, store, services, auditor } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      settings,
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: ['dev', 'prod'].map(name => ({
              name,
              url: 'https://127.0.0.1:1',
              serviceAccountToken: 'unused: the cluster side is a fake',
            })),
          },
        ],
      },
    }));
  }
  afterEach(() => services?.stop());

  const act = (action: string) =>
    request(app)
      .post(`/canaries/dev/tap-apps/hello-gated/actions/${action}`)
      .set('authorization', mockCredentials.user.header())
      .send({ entityRef: ENTITY_REF });
  const gate = (kind: string, body: Obj = {}, cluster = 'dev') =>
    request(app)
      .post(`/webhooks/${cluster}/gates/${kind}`)
      .send({ name: 'hello-gated', namespace: 'tap-apps', ...body });
  const event = (metadata: Obj, cluster = 'dev') =>
    request(app)
      .post(`/webhooks/${cluster}/event`)
      .send({ name: 'hello-gated', namespace: 'tap-apps', metadata });

  it('takes the phase from the watched canary, so a forged phase cannot use up an approval', async () => {
    await setUp();
    store.put('dev', gatedCanary('Waiting'));
    expect((await act('approve-rollout')).status).toBe(200);
    // An anonymous caller claims the canary already finished: with the phase from the body the
    // used-up check would close the person's approval.
    expect((await gate('confirm-rollout', { phase: 'Succeeded' })).status).toBe(
      200,
    );
    const forged = await gate('confirm-rollout', { phase: 'Succeeded' });
    expect(forged.status).toBe(200);
    expect(forged.text).toBe('Rollout approved in Backstage');
    const details = await request(app)
      .get('/canaries/dev/tap-apps/hello-gated')
      .query({ entityRef: ENTITY_REF });
    expect(details.body.summary.pendingDecision).toMatchObject({
      action: 'approve-rollout',
    });
  });

  it('names no person in a gate answer unless the secret was given', async () => {
    await setUp();
    await act('promote');
    expect((await gate('confirm-promotion')).text).toBe(
      'Promotion approved in Backstage',
    );
    await services.stop();
    await setUp({ webhooks: { sharedSecret: 's3cret' } });
    await act('promote');
    expect(
      (await gate('confirm-promotion', { metadata: { secret: 's3cret' } }))
        .text,
    ).toBe('Promotion approved in Backstage by user:default/mock');
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'gate-decision-applied' }),
    );
  });

  it('a forged "Promotion completed!" event ends no rollout and closes no decision', async () => {
    await setUp();
    store.put('dev', gatedCanary('Progressing'));
    await services.history.idle();
    expect((await act('promote')).status).toBe(200);
    expect(
      (
        await event({
          eventMessage:
            'Promotion completed! Scaling down hello-gated.tap-apps',
          eventType: 'Normal',
          timestamp: String(Date.parse('2020-01-01T00:00:00Z')),
        })
      ).status,
    ).toBe(202);
    await services.history.idle();
    const history = await request(app)
      .get('/history')
      .query({ entityRef: ENTITY_REF });
    expect(history.body.items[0]).toMatchObject({ outcome: 'in-progress' });
    expect((await gate('confirm-promotion')).status).toBe(200);
    const [stored] = await services.rollouts.flaggerEvents(ref);
    // Kept as what Flagger's webhook said, at the time it arrived, with the watched phase.
    expect(stored.phase).toBe('Progressing');
    expect(Date.parse(stored.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each(['1e20', '-1', 'NaN', '9'.repeat(400)])(
    'answers an event with timestamp %s without a 5xx',
    async timestamp => {
      await setUp();
      const answer = await event({ eventMessage: 'x', timestamp });
      expect(answer.status).toBe(202);
    },
  );

  it('clips a long event type and ignores a long checksum', async () => {
    await setUp();
    const answer = await request(app)
      .post('/webhooks/dev/event')
      .send({
        name: 'hello-gated',
        namespace: 'tap-apps',
        checksum: 'c'.repeat(256),
        metadata: { eventType: 't'.repeat(1000), eventMessage: 'm' },
      });
    expect(answer.status).toBe(202);
    const [stored] = await services.rollouts.flaggerEvents(ref);
    expect(stored.eventType!.length).toBeLessThanOrEqual(64);
  });

  it('answers a call for cluster X only for a canary whose spec points that gate at X', async () => {
    await setUp();
    store.put('prod', gatedCanary('WaitingPromotion'));
    await act('promote');
    // The prod canary's webhooks (captured in dev) point at .../dev/...: a call for prod is refused.
    const cross = await gate('confirm-promotion', {}, 'prod');
    expect(cross.status).toBe(404);
    expect(cross.body.error.message).toContain(
      'has no confirm-promotion webhook at http://127.0.0.1:7007/api/progressive-delivery/webhooks/prod/gates/confirm-promotion',
    );
    // A gate type the canary does not send to the portal is refused too.
    const object = gatedCanary('WaitingPromotion');
    object.spec.analysis.webhooks = object.spec.analysis.webhooks.filter(
      (hook: Obj) => hook.type !== 'rollback',
    );
    store.put('dev', object);
    expect((await gate('rollback')).status).toBe(404);
    expect((await event({ eventMessage: 'x' }, 'prod')).status).toBe(404);
  });

  it('uses the cluster’s own secret before the shared one, and audits a refusal', async () => {
    await setUp({
      webhooks: { sharedSecret: 'shared' },
      clusters: { dev: { webhooks: { secret: 'dev-only' } } },
    });
    const shared = await gate('confirm-promotion', {
      metadata: { secret: 'shared' },
    });
    expect(shared.status).toBe(403);
    expect(shared.body.error.message).toContain(
      'secret this portal requires for cluster dev',
    );
    expect(auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({ eventId: 'webhook-secret-refused' }),
    );
    expect(
      (await gate('confirm-promotion', { metadata: { secret: 'dev-only' } }))
        .status,
    ).toBe(403); // "no": nobody decided yet, but the call was let in
    expect(
      (await gate('confirm-promotion', { metadata: { secret: 'dev-only' } }))
        .text,
    ).toBe('Waiting for promotion in Backstage');
  });

  it('redacts webhook metadata and the last-applied annotation in the details API', async () => {
    await setUp();
    const object = gatedCanary('WaitingPromotion');
    object.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': '{"secret":"s3cret"}',
    };
    object.spec.analysis.webhooks[0].metadata = { secret: 's3cret' };
    store.put('dev', object);
    const details = await request(app)
      .get('/canaries/dev/tap-apps/hello-gated')
      .query({ entityRef: ENTITY_REF });
    expect(JSON.stringify(details.body)).not.toContain('s3cret');
    expect(details.body.manifest.spec.analysis.webhooks[0].metadata).toEqual({
      secret: '<redacted>',
    });
    // The watch cache keeps the real object.
    expect(
      store.getCanary(ref)!.object.spec.analysis.webhooks[0].metadata.secret,
    ).toBe('s3cret');
  });
});

describe('router: bounds', () => {
  let app: express.Express;
  let store: FakeCanaryStore;
  let services: ProgressiveDeliveryServices;
  let allow: (permission: string) => boolean;
  let server: http.Server | undefined;
  const ref = { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' };

  async function setUp(limits: Obj = {}, retention?: Obj) {
    allow = () => true;
    ({ app, store, services } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      settings: { limits, retention },
      allow: permission => allow(permission),
    }));
    server = app.listen(0);
  }
  afterEach(async () => {
    server?.close();
    await services?.stop();
  });

  /** A raw stream request, so the test decides whether the client reads. */
  function openStream(user?: string): Promise<http.IncomingMessage> {
    const { port } = server!.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port,
            path: `/stream?entityRef=${encodeURIComponent(ENTITY_REF)}`,
            headers: { authorization: mockCredentials.user.header(user) },
          },
          resolve,
        )
        .on('error', reject);
    });
  }
  const closed = (response: http.IncomingMessage) =>
    new Promise<void>(resolve => {
      if (response.destroyed || response.complete) resolve();
      response.on('close', () => resolve());
    });

  it('limits open streams per user and in all, and frees the slot on close', async () => {
    await setUp({ streamsPerPrincipal: 2, streams: 3 });
    const first = await openStream();
    const second = await openStream();
    const third = await openStream();
    expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([
      200, 200, 429,
    ]);
    expect(third.headers['retry-after']).toBeDefined();
    third.resume();
    const other = await openStream('user:default/other');
    expect(other.statusCode).toBe(200);
    const overAll = await openStream('user:default/third');
    expect(overAll.statusCode).toBe(429);
    overAll.resume();
    first.destroy();
    await new Promise(resolve => setTimeout(resolve, 50));
    const again = await openStream();
    expect(again.statusCode).toBe(200);
    for (const response of [second, other, again]) response.destroy();
  });

  it('cuts a stream whose client stops reading, and lets go of its listener', async () => {
    await setUp({ streamBufferBytes: 64 * 1024 });
    const listenersBefore = store.listenerCount();
    const response = await openStream();
    expect(response.statusCode).toBe(200);
    response.pause();
    const cut = closed(response);
    let isCut = false;
    cut.then(() => {
      isCut = true;
    });
    const message = {
      type: 'canary-changed' as const,
      ref,
      at: new Date().toISOString(),
    };
    // Enough changes to fill the sockets' kernel buffers and then the 64 kB queue.
    for (let round = 0; round < 400 && !isCut; round++) {
      for (let i = 0; i < 500; i++) store.emit(message);
      await new Promise(resolve => setImmediate(resolve));
    }
    await cut;
    expect(isCut).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(store.listenerCount()).toBe(listenersBefore);
  });

  it('ends a stream at its lifetime, so the reconnect checks the permission again', async () => {
    await setUp({ streamLifetime: { milliseconds: 300 } });
    const response = await openStream();
    expect(response.statusCode).toBe(200);
    response.resume();
    await closed(response);
    allow = () => false;
    const again = await openStream();
    expect(again.statusCode).toBe(403);
    again.resume();
  });

  it('rate-limits actions per user and webhook calls per canary with 429', async () => {
    await setUp({ actionsPerMinute: 2, webhooksPerMinute: 2 });
    const act = () =>
      request(app)
        .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
        .set('authorization', mockCredentials.user.header())
        .send({ entityRef: ENTITY_REF });
    expect((await act()).status).toBe(200);
    expect((await act()).status).toBe(200);
    const limited = await act();
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toMatch(
      /at most 2 a minute \(progressiveDelivery\.limits\.actionsPerMinute\)/,
    );
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const gate = () =>
      request(app)
        .post('/webhooks/dev/gates/confirm-promotion')
        .send({ name: 'hello-gated', namespace: 'tap-apps' });
    expect((await gate()).status).toBe(200);
    expect((await gate()).status).toBe(200);
    const gateLimited = await gate();
    expect(gateLimited.status).toBe(429);
    expect(gateLimited.body.error.message).toMatch(
      /progressiveDelivery\.limits\.webhooksPerMinute/,
    );
    expect(Number(gateLimited.headers['retry-after'])).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('records no attempt about a canary that does not exist', async () => {
    await setUp();
    allow = permission => !permission.includes('promote');
    const answer = await request(app)
      .post('/canaries/dev/tap-apps/made-up/actions/promote')
      .set('authorization', mockCredentials.user.header())
      .send({ entityRef: ENTITY_REF });
    expect(answer.status).toBe(403);
    expect(
      await services.attempts.attempts({ ...ref, name: 'made-up' }),
    ).toEqual([]);
    await request(app)
      .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
      .set('authorization', mockCredentials.user.header())
      .send({ entityRef: ENTITY_REF });
    expect(await services.attempts.attempts(ref)).toHaveLength(1);
  });

  it('prunes event-webhook rows and attempts past their retention', async () => {
    await setUp({}, { events: { milliseconds: 1 }, attempts: { days: 1 } });
    await request(app)
      .post('/webhooks/dev/event')
      .send({
        name: 'hello-gated',
        namespace: 'tap-apps',
        metadata: { eventMessage: 'x' },
      });
    await request(app)
      .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
      .set('authorization', mockCredentials.user.header())
      .send({ entityRef: ENTITY_REF });
    expect(await services.rollouts.flaggerEvents(ref)).toHaveLength(1);
    await new Promise(resolve => setTimeout(resolve, 5));
    await services.prune();
    expect(await services.rollouts.flaggerEvents(ref)).toEqual([]);
    expect(await services.attempts.attempts(ref)).toHaveLength(1);
  });
});
