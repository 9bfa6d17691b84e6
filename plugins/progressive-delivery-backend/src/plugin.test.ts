import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { progressiveDeliveryPermissions } from '@progressive-delivery/plugin-progressive-delivery-common';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import request from 'supertest';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import {
  progressiveDeliveryActionsModule,
  progressiveDeliveryPlugin,
} from './plugin';
import { helloGatedEntity as entity } from './__testUtils__/harness';

describe('progressiveDeliveryPlugin', () => {
  async function start(extra: any[] = []) {
    return startTestBackend({
      features: [
        ...extra,
        progressiveDeliveryPlugin,
        catalogServiceMock.factory({ entities: [entity] }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    // Nothing listens here: the cluster is reported, never fatal.
                    {
                      name: 'dev',
                      url: 'https://127.0.0.1:9',
                      authProvider: 'serviceAccount',
                      serviceAccountToken: 't',
                      skipTLSVerify: true,
                    },
                  ],
                },
              ],
            },
            progressiveDelivery: {
              webhooks: {
                baseUrl:
                  'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
              },
            },
          },
        }),
      ],
    });
  }

  it('serves the API under /api/progressive-delivery with Backstage auth, and the webhooks without', async () => {
    const backend = await start();
    try {
      const none = mockCredentials.none.header();
      const base = '/api/progressive-delivery';
      expect(
        (
          await request(backend.server)
            .get(`${base}/health`)
            .set('authorization', none)
        ).status,
      ).toBe(200);
      expect(
        (
          await request(backend.server)
            .get(`${base}/canaries?entityRef=component:default/hello-gated`)
            .set('authorization', none)
        ).status,
      ).toBe(401);

      const list = await request(backend.server)
        .get(`${base}/canaries?entityRef=component:default/hello-gated`)
        .set('authorization', mockCredentials.user.header());
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([]);
      expect(list.body.clusters).toEqual([
        expect.objectContaining({ name: 'dev' }),
      ]);

      // Flagger has no token: the webhook is reachable and says the canary is unknown (the cluster is down).
      const webhook = await request(backend.server)
        .post(`${base}/webhooks/dev/gates/confirm-promotion`)
        .set('authorization', none)
        .send({ name: 'hello-gated', namespace: 'tap-apps' });
      expect(webhook.status).toBe(404);
      expect(
        (
          await request(backend.server)
            .post(`${base}/webhooks/nowhere/event`)
            .set('authorization', none)
            .send({ name: 'a', namespace: 'b' })
        ).status,
      ).toBe(404);
    } finally {
      await backend.stop();
    }
  });

  it('registers its permissions', async () => {
    const backend = await start();
    try {
      const metadata = await request(backend.server).get(
        '/api/progressive-delivery/.well-known/backstage/permissions/metadata',
      );
      expect(metadata.status).toBe(200);
      expect(
        metadata.body.permissions.map((p: { name: string }) => p.name).sort(),
      ).toEqual(progressiveDeliveryPermissions.map(p => p.name).sort());
    } finally {
      await backend.stop();
    }
  });

  it('registers its actions through the actions module, where the host has the registry', async () => {
    const registry = actionsRegistryServiceMock();
    const registered = jest.spyOn(registry, 'register');
    const backend = await start([
      progressiveDeliveryActionsModule,
      createServiceFactory({
        service: actionsRegistryServiceRef,
        deps: {},
        factory: () => registry,
      }),
    ]);
    try {
      expect(registered.mock.calls.map(([options]) => options.name)).toEqual(
        expect.arrayContaining([
          'list-releases',
          'describe-release',
          'promote-release',
          'rollback-release',
        ]),
      );
    } finally {
      await backend.stop();
    }
  });
});
