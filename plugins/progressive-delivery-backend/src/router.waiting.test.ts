/*
 * The HTTP contract of GET /waiting over the shared harness; what is listed and why is tested
 * beside WaitingReleases.
 */
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import express from 'express';
import request from 'supertest';
import { ProgressiveDeliveryServices } from './createServices';
import { helloGatedEntity, startTestServices } from './__testUtils__/harness';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
/** The user Backstage's mock auth signs requests in as by default. */
const MOCK_USER = 'user:default/mock';

const ownedByMock = {
  ...helloGatedEntity,
  metadata: {
    ...helloGatedEntity.metadata,
    // Same name, so the canary's backstage.io/kubernetes-id binds it too; another namespace.
    namespace: 'mine',
    annotations: {
      'progressive-delivery/canaries': 'dev/tap-apps/hello-gated',
    },
  },
  spec: { owner: MOCK_USER },
  relations: [{ type: 'ownedBy', targetRef: MOCK_USER }],
};

describe('GET /waiting', () => {
  let app: express.Express;
  let services: ProgressiveDeliveryServices;

  beforeEach(async () => {
    ({ app, services } = await startTestServices({
      database: await databases.init('SQLITE_3'),
      entities: [helloGatedEntity, ownedByMock],
    }));
  });
  afterEach(() => services.stop());

  it('lists the releases of the entities the user owns by default', async () => {
    const response = await request(app).get('/waiting');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      scope: 'owned',
      entityCount: 1,
      ownershipRefs: [MOCK_USER],
      failed: [],
      inProgress: [],
      clusters: [{ name: 'dev' }, { name: 'prod' }],
    });
    expect(response.body.waiting).toMatchObject([
      {
        section: 'waiting',
        entity: { ref: 'component:mine/hello-gated' },
        canary: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' },
        state: { kind: 'waiting-promotion-approval' },
      },
    ]);
    expect(Date.parse(response.body.generatedAt)).not.toBeNaN();
  });

  it('lists every readable entity with scope=readable', async () => {
    const response = await request(app)
      .get('/waiting')
      .query({ scope: 'readable' });
    expect(response.status).toBe(200);
    expect(response.body.ownershipRefs).toBeUndefined();
    expect(
      [...response.body.waiting, ...response.body.inProgress]
        .map((row: any) => row.entity.ref)
        .sort(),
    ).toEqual(['component:default/hello-gated', 'component:mine/hello-gated']);
  });

  it('answers 400 with the accepted values for an unknown scope', async () => {
    const response = await request(app)
      .get('/waiting')
      .query({ scope: 'everything' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      name: 'InputError',
      message:
        'Invalid query: scope must be one of owned, readable (got "everything"); leave it out for the releases of the entities you own.',
    });
  });

  it('is for users: service tokens get 403, no token 401', async () => {
    const service = await request(app)
      .get('/waiting')
      .set('authorization', mockCredentials.service.header());
    expect(service.status).toBe(403);
    const anonymous = await request(app)
      .get('/waiting')
      .set('authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });
});
