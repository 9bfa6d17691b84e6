import {
  BackstageCredentials,
  CacheService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
// The plugin's package does not export its TTL; the test reads it where it is defined, so the
// floor's mirror of it cannot drift.
// eslint-disable-next-line @backstage/no-forbidden-package-imports, @backstage/no-mixed-plugin-imports
import { SELECTOR_TTL_MS } from '@progressive-delivery/plugin-progressive-delivery-backend/src/service/EntityCanaries';
import request from 'supertest';
import {
  benchFloorPlugin,
  FLOOR_SELECTOR_TTL_MS,
  floorSelector,
} from './floorPlugin';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'bench-app',
    namespace: 'default',
    annotations: {
      'progressive-delivery/workload-name': 'bench-app',
      'backstage.io/kubernetes-label-selector':
        'app.kubernetes.io/part-of=bench-app',
    },
  },
  spec: { type: 'service', lifecycle: 'experimental', owner: 'team-a' },
};
const notOptedIn: Entity = {
  ...entity,
  metadata: { name: 'plain', namespace: 'default' },
};
const path = (ref: string) =>
  `/api/bench-floor/canaries?entityRef=${encodeURIComponent(ref)}`;

describe('the floor route', () => {
  async function start(
    result:
      | AuthorizeResult.ALLOW
      | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
  ) {
    return startTestBackend({
      features: [
        benchFloorPlugin,
        catalogServiceMock.factory({ entities: [entity, notOptedIn] }),
        mockServices.permissions.factory({ result }),
      ],
    });
  }

  it('answers the constant body with the entity’s selector, and refuses as our summary does', async () => {
    const backend = await start();
    try {
      const user = mockCredentials.user.header();
      const ok = await request(backend.server)
        .get(path('component:default/bench-app'))
        .set('authorization', user);
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({
        items: [],
        selector: expect.objectContaining({ workloadNames: ['bench-app'] }),
      });
      // The short form names the same entity.
      const short = await request(backend.server)
        .get(path('component:bench-app'))
        .set('authorization', user);
      expect(short.body).toEqual(ok.body);

      const status = async (url: string, authorization = user) =>
        (
          await request(backend.server)
            .get(url)
            .set('authorization', authorization)
        ).status;
      expect(
        await status(
          path('component:default/bench-app'),
          mockCredentials.none.header(),
        ),
      ).toBe(401);
      expect(await status(path('component:default/missing'))).toBe(404);
      expect(await status(path('component:default/plain'))).toBe(400);
      expect(await status(path('not a ref:'))).toBe(400);
      expect(await status('/api/bench-floor/canaries')).toBe(400);
    } finally {
      await backend.stop();
    }
  });

  it('answers 403 to a caller without the read permission', async () => {
    const backend = await start(AuthorizeResult.DENY);
    try {
      const denied = await request(backend.server)
        .get(path('component:default/bench-app'))
        .set('authorization', mockCredentials.user.header());
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain(
        'progressive-delivery.canary.read',
      );
    } finally {
      await backend.stop();
    }
  });
});

/** A cache that keeps everything (the TTL is only recorded). */
function memoryCache() {
  const values = new Map<string, unknown>();
  const ttls: (number | undefined)[] = [];
  const cache: Pick<CacheService, 'get' | 'set'> = {
    get: async key => values.get(key) as any,
    set: async (key, value, options) => {
      values.set(key, value);
      ttls.push(options?.ttl as number | undefined);
    },
  };
  return { cache, ttls };
}

describe('floorSelector', () => {
  const alice = mockCredentials.user('user:default/alice');
  const bob = mockCredentials.user('user:default/bob');

  function counted() {
    const calls = { authorize: 0, catalog: 0 };
    const { cache, ttls } = memoryCache();
    const selectorFor = floorSelector({
      cache,
      permissions: {
        authorize: async requests => {
          calls.authorize += 1;
          return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
        },
      },
      catalog: {
        getEntityByRef: async (
          ref: string,
          _: { credentials: BackstageCredentials },
        ) => {
          calls.catalog += 1;
          await new Promise(resolve => setTimeout(resolve, 5));
          return ref === 'component:default/bench-app' ? entity : undefined;
        },
      },
    });
    return { calls, ttls, selectorFor };
  }

  it('asks the permission and the catalog once per caller and entity while remembered, for our TTL', async () => {
    const { calls, ttls, selectorFor } = counted();
    await selectorFor('component:default/bench-app', alice);
    await selectorFor('component:default/bench-app', alice);
    expect(calls).toEqual({ authorize: 1, catalog: 1 });
    await selectorFor('component:default/bench-app', bob);
    expect(calls).toEqual({ authorize: 2, catalog: 2 });
    expect(ttls).toEqual([FLOOR_SELECTOR_TTL_MS, FLOOR_SELECTOR_TTL_MS]);
    expect(FLOOR_SELECTOR_TTL_MS).toBe(SELECTOR_TTL_MS);
  });

  it('lets callers arriving during a lookup share it', async () => {
    const { calls, selectorFor } = counted();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        selectorFor('component:default/bench-app', alice),
      ),
    );
    expect(calls).toEqual({ authorize: 1, catalog: 1 });
    expect(new Set(answers).size).toBe(1);
  });
});
