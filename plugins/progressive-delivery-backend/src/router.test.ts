import { mockErrorHandler, mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import request from 'supertest';
import capture from './__fixtures__/sandbox-capture.json';
import { DecisionStore } from './database/DecisionStore';
import { createRouter } from './router';
import { ProgressiveDeliveryService } from './service/ProgressiveDeliveryService';
import { WatchedCanary } from './service/types';
import { revisionKey } from './translation/revision';

type Obj = Record<string, any>;

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'hello-gated', namespace: 'default', annotations: { 'progressive-delivery/workload-name': 'hello-gated' } },
  spec: { owner: 'group:default/team-delivery' },
};
const malformed = {
  ...entity,
  metadata: { name: 'broken', namespace: 'default', annotations: { 'progressive-delivery/canaries': 'hello-gated' } },
};

function realGated(phase: string): Obj {
  const object = structuredClone(
    (capture as any).canaries.find((c: any) => c.cluster === 'dev' && c.object.metadata.name === 'hello-gated').object,
  );
  object.status.phase = phase;
  return object;
}

/** An in-memory stand-in for the watch caches of one cluster, `dev`. */
class FakeStore {
  canary: Obj = realGated('WaitingPromotion');
  watched(): WatchedCanary {
    return {
      ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
      object: this.canary,
      events: [],
      revision: revisionKey(this.canary),
    };
  }
  hasCluster = (cluster: string) => cluster === 'dev';
  clusterNames = () => ['dev'];
  isFresh = () => true;
  getClusterStatuses = () => [{ name: 'dev', status: 'ok', prometheus: { status: 'not-configured' } }];
  findCanaries = () => [this.watched()];
  getCanary = () => this.watched();
  fetchCanary = async (ref: { name: string }) => (ref.name === 'hello-gated' ? this.watched() : undefined);
  subscribe = () => () => {};
}

describe('router', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let app: express.Express;
  let store: FakeStore;
  let allow: boolean;

  beforeEach(async () => {
    store = new FakeStore();
    allow = true;
    const permissions = mockServices.permissions.mock({
      authorize: async requests => requests.map(() => ({ result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY })),
    });
    const service = new ProgressiveDeliveryService({
      config: {
        clusters: [],
        webhookBaseUrl: 'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
        prometheusTimeoutMs: 1000,
        metricsRefreshIntervalMs: 1000,
        maxBackoffMs: 1000,
        sharedSecret: undefined,
      },
      store: store as any,
      metrics: { readings: () => undefined, externalUrl: () => undefined, isConfigured: () => false } as any,
      decisions: await DecisionStore.create(await databases.init('SQLITE_3')),
      catalog: catalogServiceMock({ entities: [entity, malformed] }),
      permissions,
      auditor: mockServices.auditor.mock(),
      logger: mockServices.logger.mock(),
    });
    const router = await createRouter({
      service,
      store: store as any,
      httpAuth: mockServices.httpAuth(),
      userInfo: mockServices.userInfo(),
    });
    app = express().use(router).use(mockErrorHandler());
  });

  const gate = (gateKind: string, body: Obj = { name: 'hello-gated', namespace: 'tap-apps', checksum: 'abc' }) =>
    request(app).post(`/webhooks/dev/gates/${gateKind}`).send(body);
  const act = (action: string, body: Obj = { entityRef: 'component:default/hello-gated', comment: 'ok' }) =>
    request(app).post(`/canaries/dev/tap-apps/hello-gated/actions/${action}`).send(body);

  it('lists the canaries of an entity with cluster health', async () => {
    const response = await request(app).get('/canaries').query({ entityRef: 'component:default/hello-gated' });
    expect(response.status).toBe(200);
    expect(response.body.items[0]).toMatchObject({ phase: 'WaitingPromotion', state: { kind: 'waiting-promotion-approval' } });
    expect(response.body.clusters[0]).toMatchObject({ name: 'dev', status: 'ok' });
  });

  it('answers gates "no" until a person decides, then "yes" for that revision only', async () => {
    expect((await gate('confirm-promotion')).status).toBe(403);
    expect((await gate('rollback')).status).toBe(403);
    expect((await gate('confirm-traffic-increase')).status).toBe(200);

    const promoted = await act('promote');
    expect(promoted.status).toBe(200);
    expect(promoted.body.message).toMatch(/^Promote recorded/);
    const answer = await gate('confirm-promotion');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('Promotion approved in Backstage by user:default/mock');
    expect((await gate('rollback')).status).toBe(403);

    store.canary.status.lastAppliedSpec = 'a-later-revision';
    expect((await gate('confirm-promotion')).status).toBe(403);
  });

  it('holds traffic while paused and lets it go on resume', async () => {
    store.canary = realGated('Progressing');
    expect((await act('pause')).status).toBe(200);
    const held = await gate('confirm-traffic-increase');
    expect(held.status).toBe(403);
    expect(held.text).toMatch(/paused in Backstage/);
    expect((await act('resume')).status).toBe(200);
    expect((await gate('confirm-traffic-increase')).status).toBe(200);
  });

  it('answers 409 with the reason when the phase does not allow the action, and for the opposite decision', async () => {
    store.canary = realGated('Succeeded');
    const early = await act('promote');
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/Only possible while the analysis runs/);

    store.canary = realGated('Progressing');
    expect((await act('rollback')).status).toBe(200);
    expect((await act('rollback')).status).toBe(200);
    const conflict = await act('promote');
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toMatch(/already decided/);
  });

  it('refuses an action without permission and records nothing', async () => {
    allow = false;
    const response = await act('promote');
    expect(response.status).toBe(403);
    allow = true;
    expect((await gate('confirm-promotion')).status).toBe(403);
  });

  it('rejects bad input with a 4xx that says what is wrong', async () => {
    expect((await request(app).get('/canaries').query({ entityRef: 'not a ref' })).status).toBe(400);
    expect((await request(app).get('/canaries').query({ entityRef: 'component:default/broken' })).body.error.message).toMatch(
      /progressive-delivery\/canaries/,
    );
    expect((await request(app).get('/canaries').query({ entityRef: 'component:default/missing' })).status).toBe(404);
    expect((await request(app).get('/canaries/dev/Bad_NS/x').query({ entityRef: 'component:default/hello-gated' })).status).toBe(400);
    expect((await act('launch')).status).toBe(400);
    expect((await act('promote', { entityRef: 'component:default/hello-gated', comment: 'x'.repeat(501) })).status).toBe(400);
    expect(
      (await request(app).post('/webhooks/dev/gates/confirm-promotion').set('content-type', 'application/json').send('{"name":')).status,
    ).toBe(400);
    expect((await request(app).post('/webhooks/dev/gates/confirm-promotion').send({ name: 'x'.repeat(20000) })).status).toBe(400);
  });

  it('answers webhooks only for canaries that exist in a configured cluster', async () => {
    expect((await request(app).post('/webhooks/elsewhere/gates/rollback').send({ name: 'hello-gated', namespace: 'tap-apps' })).status).toBe(404);
    expect((await gate('rollback', { name: 'ghost', namespace: 'tap-apps' })).status).toBe(404);
    expect((await gate('open-sesame')).status).toBe(400);
    const event = await request(app)
      .post('/webhooks/dev/event')
      .send({ name: 'hello-gated', namespace: 'tap-apps', phase: 'Progressing', metadata: { eventMessage: 'Advance hello-gated.tap-apps canary weight 20', eventType: 'Normal', timestamp: '1763862000000' } });
    expect(event.status).toBe(202);
  });
});
