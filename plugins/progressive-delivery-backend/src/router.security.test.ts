import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import express from 'express';
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
    annotations: { 'progressive-delivery/canaries': 'dev/tap-apps/hello-gated' },
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
      entities: [helloGatedEntity, paymentsGated, sameWorkloadName, negationOnly],
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
      expect(refused.body.error.message).toContain(
        'does not name this entity',
      );
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
