import {
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { fakeClusterSide, WEBHOOK_BASE_URL } from '../service/testing/fakes';
import {
  gatedClusterSide,
  helloGatedEntity as entity,
} from '../__testUtils__/harness';
import { createLegacyRouter, LegacyRouterOptions } from './createRouter';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

/** The legacy environment's identity client: here a token is "user:<ref>". */
const identity: LegacyRouterOptions['identity'] = {
  async getIdentity({ request: req }) {
    const token = /^Bearer (user:\S+)$/.exec(
      req.headers.authorization ?? '',
    )?.[1];
    if (!token) return undefined;
    // ana is in team-delivery, as the legacy identity's ownership claims say.
    const groups =
      token === 'user:default/ana' ? ['group:default/team-delivery'] : [];
    return {
      token,
      identity: {
        userEntityRef: token,
        ownershipEntityRefs: [token, ...groups],
      },
    };
  },
};

describe('legacy createRouter', () => {
  async function mount(
    overrides: Partial<Parameters<typeof createLegacyRouter>[0]> = {},
  ) {
    const side = gatedClusterSide();
    const permissionCalls: Array<{ names: string[]; token?: string }> = [];
    const router = await createLegacyRouter({
      logger: mockServices.logger.mock(),
      config: new ConfigReader({
        permission: { enabled: true },
        progressiveDelivery: { webhooks: { baseUrl: WEBHOOK_BASE_URL } },
      }),
      database: { getClient: () => databases.init('SQLITE_3') },
      discovery: { getBaseUrl: async () => 'http://127.0.0.1:1/api/catalog' },
      identity,
      permissions: {
        async authorize(requests, options) {
          permissionCalls.push({
            names: requests.map(r => r.permission.name),
            token: options?.token,
          });
          return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
        },
      },
      catalogApi: {
        getEntityByRef: async ref =>
          ref === 'component:default/hello-gated' ? entity : undefined,
      },
      clusterSide: side,
      ...overrides,
    });
    return {
      app: express().use(router).use(mockErrorHandler()),
      permissionCalls,
    };
  }

  it('stops its cluster watches through the lifecycle it is given', async () => {
    const side = fakeClusterSide();
    const stop = jest.spyOn(side, 'stop');
    const hooks: Array<() => void | Promise<void>> = [];
    await mount({
      clusterSide: side,
      lifecycle: { addShutdownHook: hook => hooks.push(hook) },
    });
    expect(hooks).toHaveLength(1);
    expect(stop).not.toHaveBeenCalled();
    await Promise.all(hooks.map(hook => hook()));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('builds the same routes over the legacy identity, permission and catalog clients', async () => {
    const { app, permissionCalls } = await mount();
    const query = { entityRef: 'component:default/hello-gated' };
    expect((await request(app).get('/canaries').query(query)).status).toBe(401);
    const list = await request(app)
      .get('/canaries')
      .query(query)
      .set('authorization', 'Bearer user:default/ana');
    expect(list.status).toBe(200);
    expect(list.body.items[0].state.kind).toBe('waiting-promotion-approval');

    const promoted = await request(app)
      .post('/canaries/dev/tap-apps/hello-gated/actions/promote')
      .set('authorization', 'Bearer user:default/ana')
      .send({ entityRef: 'component:default/hello-gated', comment: 'ship it' });
    expect(promoted.status).toBe(200);
    expect(promoted.body.decision).toMatchObject({
      decidedBy: 'user:default/ana',
      comment: 'ship it',
    });
    expect(permissionCalls).toContainEqual({
      names: ['progressive-delivery.canary.promote'],
      token: 'user:default/ana',
    });

    // Flagger's webhook needs no identity.
    const gate = await request(app)
      .post('/webhooks/dev/gates/confirm-promotion')
      .send({ name: 'hello-gated', namespace: 'tap-apps' });
    expect(gate.status).toBe(200);
  });

  it('reads the catalog over its REST API when no catalog client is given', async () => {
    const seen: string[] = [];
    const catalog = express().get(
      '/api/catalog/entities/by-name/:kind/:namespace/:name',
      (req, res) => {
        seen.push(
          `${req.params.kind}:${req.params.namespace}/${req.params.name} ${req.headers.authorization}`,
        );
        if (req.params.name === 'hello-gated') res.json(entity);
        else
          res.status(404).json({
            error: { name: 'NotFoundError', message: 'no such entity' },
          });
      },
    );
    const server = catalog.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const { app } = await mount({
        catalogApi: undefined,
        discovery: {
          getBaseUrl: async () => `http://127.0.0.1:${port}/api/catalog`,
        },
      });
      const auth = 'Bearer user:default/ana';
      expect(
        (
          await request(app)
            .get('/canaries?entityRef=component:default/hello-gated')
            .set('authorization', auth)
        ).status,
      ).toBe(200);
      expect(
        (
          await request(app)
            .get('/canaries?entityRef=component:default/missing')
            .set('authorization', auth)
        ).status,
      ).toBe(404);
      expect(seen).toEqual([
        'component:default/hello-gated Bearer user:default/ana',
        'component:default/missing Bearer user:default/ana',
      ]);
    } finally {
      server.close();
    }
  });

  it('queries the catalog once over its REST API for the waiting page', async () => {
    const seen: Array<{ filter: unknown; fields: unknown; auth?: string }> = [];
    const owned = {
      ...entity,
      relations: [{ type: 'ownedBy', targetRef: 'user:default/ana' }],
    };
    const catalog = express().get('/api/catalog/entities', (req, res) => {
      seen.push({
        filter: req.query.filter,
        fields: req.query.fields,
        auth: req.headers.authorization,
      });
      res.json([owned]);
    });
    const server = catalog.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const { app } = await mount({
        catalogApi: undefined,
        discovery: {
          getBaseUrl: async () => `http://127.0.0.1:${port}/api/catalog`,
        },
      });
      const response = await request(app)
        .get('/waiting')
        .set('authorization', 'Bearer user:default/ana');
      expect(response.status).toBe(200);
      expect(response.body.ownershipRefs).toEqual([
        'user:default/ana',
        'group:default/team-delivery',
      ]);
      expect(response.body.waiting).toMatchObject([
        {
          entity: { ref: 'component:default/hello-gated' },
          canary: { cluster: 'dev', name: 'hello-gated' },
        },
      ]);
      expect(seen).toEqual([
        {
          filter: [
            // the same key twice in one filter: owned by either
            'metadata.annotations.progressive-delivery/workload-name,relations.ownedBy=user:default/ana,relations.ownedBy=group:default/team-delivery',
            'metadata.annotations.progressive-delivery/canaries,relations.ownedBy=user:default/ana,relations.ownedBy=group:default/team-delivery',
          ],
          fields:
            'kind,metadata.name,metadata.namespace,metadata.title,metadata.annotations,spec.owner',
          auth: 'Bearer user:default/ana',
        },
      ]);
    } finally {
      server.close();
    }
  });
});
