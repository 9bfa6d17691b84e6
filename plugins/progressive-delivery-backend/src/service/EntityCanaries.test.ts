import { CacheService } from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { EntityCanaries } from './EntityCanaries';
import { FakeCanaryStore } from './testing/fakes';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'checkout' },
  },
};

/** A cache that keeps values for their ttl on a clock the test moves. */
function clockedCache(now: () => number): CacheService {
  const values = new Map<string, { value: any; until: number }>();
  const cache: CacheService = {
    async get(key) {
      const entry = values.get(key);
      return entry && entry.until > now() ? entry.value : undefined;
    },
    async set(key, value, options) {
      values.set(key, { value, until: now() + Number(options?.ttl ?? 0) });
    },
    async delete(key) {
      values.delete(key);
    },
    withOptions: () => cache,
  };
  return cache;
}

describe('EntityCanaries', () => {
  let now = 0;
  let allowed = true;
  const authorize = jest.fn(async (requests: any[]) =>
    requests.map(() => ({
      result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
    })),
  );
  const getEntityByRef = jest.fn(async () => entity);
  const entities = () =>
    new EntityCanaries({
      store: new FakeCanaryStore(),
      catalog: { getEntityByRef },
      permissions: { authorize } as any,
      cache: clockedCache(() => now),
      selectorTtlMs: 5_000,
    });

  beforeEach(() => {
    now = 0;
    allowed = true;
    authorize.mockClear();
    getEntityByRef.mockClear();
  });

  it('asks the permission backend and the catalog once per caller and entity within the ttl', async () => {
    const subject = entities();
    const ana = mockCredentials.user('user:default/ana');
    const first = await subject.selectorFor('component:checkout', ana);
    expect(first.selector.workloadNames).toEqual(['checkout']);
    now = 4_000;
    await subject.selectorFor('component:default/checkout', ana);
    expect(authorize).toHaveBeenCalledTimes(1);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);

    // another person is checked on their own
    await subject.selectorFor(
      'component:default/checkout',
      mockCredentials.user('user:default/bo'),
    );
    expect(authorize).toHaveBeenCalledTimes(2);

    // after the ttl, both are asked again
    now = 5_001;
    await subject.selectorFor('component:default/checkout', ana);
    expect(authorize).toHaveBeenCalledTimes(3);
    expect(getEntityByRef).toHaveBeenCalledTimes(3);
  });

  it('never remembers a refusal', async () => {
    const subject = entities();
    allowed = false;
    const ana = mockCredentials.user('user:default/ana');
    await expect(
      subject.selectorFor('component:checkout', ana),
    ).rejects.toThrow(
      'You may not see the releases of component:default/checkout',
    );
    allowed = true;
    await expect(
      subject.selectorFor('component:checkout', ana),
    ).resolves.toMatchObject({ entityRef: 'component:default/checkout' });
    expect(authorize).toHaveBeenCalledTimes(2);
  });

  it('lets the callers that arrive while a lookup runs share it, answer and refusal alike', async () => {
    const subject = entities();
    const ana = mockCredentials.user('user:default/ana');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        subject.selectorFor('component:checkout', ana),
      ),
    );
    expect(answers.every(a => a.selector.workloadNames[0] === 'checkout')).toBe(
      true,
    );
    expect(authorize).toHaveBeenCalledTimes(1);
    expect(getEntityByRef).toHaveBeenCalledTimes(1);

    now = 10_000;
    allowed = false;
    const refused = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        subject.selectorFor('component:checkout', ana),
      ),
    );
    expect(refused.map(r => r.status)).toEqual(Array(5).fill('rejected'));
    expect(authorize).toHaveBeenCalledTimes(2);

    // The shared refusal is not kept either: the next caller is asked again.
    allowed = true;
    await subject.selectorFor('component:checkout', ana);
    expect(authorize).toHaveBeenCalledTimes(3);
  });
});
