import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { openPluginDatabase } from '../database/DecisionStore';
import { SteeringPolicy } from './SteeringPolicy';
import { FakeCanaryStore, FakeSummarizer, gatedCanary } from './testing/fakes';
import { parseWaitingScope, WaitingReleases } from './WaitingReleases';
import { AUTHORIZE_BATCH } from './authorizeInBatches';

type Obj = Record<string, any>;

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const NOW = new Date('2026-12-01T12:00:00Z');
const USER = 'user:default/ana';
const TEAM = 'group:default/team-delivery';

/** A component opted in through its workload name, owned by `owner`. */
function component(name: string, owner: string, title?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      ...(title ? { title } : {}),
      annotations: { 'progressive-delivery/workload-name': name },
    },
    spec: { owner },
    relations: [{ type: 'ownedBy', targetRef: owner }],
  };
}

/** The captured hello-gated canary renamed to `name`, in `phase`, last changed `minutesAgo`. */
function canary(name: string, phase: string, minutesAgo: number): Obj {
  const object = gatedCanary(phase);
  object.metadata.name = name;
  object.metadata.labels['backstage.io/kubernetes-id'] = name;
  object.spec.targetRef.name = name;
  object.status.lastTransitionTime = new Date(
    NOW.getTime() - minutesAgo * 60_000,
  ).toISOString();
  return object;
}

describe('WaitingReleases', () => {
  async function setUp(
    options: {
      entities?: Entity[];
      allow?: (permission: string, entityRef: string) => boolean;
    } = {},
  ) {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const catalog = catalogServiceMock({
      entities: options.entities ?? [
        component('checkout', TEAM, 'Checkout'),
        component('payments', USER),
        component('search', 'group:default/team-other'),
      ],
    });
    const getEntities = jest.spyOn(catalog, 'getEntities');
    const authorize = jest.fn(async (requests: any[]) =>
      requests.map(r => ({
        result:
          options.allow?.(r.permission.name, r.resourceRef) ?? true
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
    );
    const waiting = new WaitingReleases({
      store,
      summarizer: new FakeSummarizer(),
      decisions: db.decisions,
      catalog,
      permissions: { authorize } as any,
      steering: new SteeringPolicy({
        grants: [],
        permissionFrameworkEnabled: true,
        allowWithoutPermissionFramework: false,
      }),
      userInfo: {
        getUserInfo: async () => ({
          userEntityRef: USER,
          ownershipEntityRefs: [USER, TEAM],
        }),
      },
      now: () => NOW,
    });
    const list = (scope: 'owned' | 'readable' = 'owned') =>
      waiting.forUser(mockCredentials.user(USER), scope);
    return { db, store, getEntities, authorize, waiting, list };
  }

  it('lists what waits for the owner, then what failed today, then what moves, each sorted', async () => {
    const { store, list } = await setUp();
    store.put('dev', canary('checkout', 'WaitingPromotion', 5));
    store.put('prod', canary('payments', 'Waiting', 30));
    store.put('dev', canary('payments', 'Failed', 60));
    store.put('dev', canary('search', 'WaitingPromotion', 1));

    const answer = await list();

    expect(answer.scope).toBe('owned');
    expect(answer.ownershipRefs).toEqual([USER, TEAM]);
    expect(answer.entityCount).toBe(2);
    expect(
      answer.waiting.map(r => `${r.canary.cluster}/${r.canary.name}`),
    ).toEqual(['prod/payments', 'dev/checkout']);
    expect(answer.waiting[1]).toMatchObject({
      section: 'waiting',
      entity: {
        ref: 'component:default/checkout',
        kind: 'Component',
        namespace: 'default',
        name: 'checkout',
        title: 'Checkout',
      },
      canary: { cluster: 'dev', namespace: 'tap-apps', name: 'checkout' },
      state: {
        kind: 'waiting-promotion-approval',
        headline: 'Waiting for promotion approval',
        waitingFor: 'confirm-promotion',
      },
      since: '2026-12-01T11:55:00.000Z',
      fresh: true,
    });
    expect(answer.waiting[1].actions).toEqual(
      expect.arrayContaining(['promote', 'rollback']),
    );
    expect(answer.waiting[0].actions).toEqual(['approve-rollout']);
    expect(answer.failed.map(r => r.canary.name)).toEqual(['payments']);
    expect(answer.failed[0].state.kind).toBe('failed');
    expect(answer.inProgress).toEqual([]);
  });

  it('asks the catalog once, with the owner and both annotations, and the permission backend twice, whatever the number of entities', async () => {
    const entities = Array.from({ length: 40 }, (_, i) =>
      component(`app-${i}`, TEAM),
    );
    const { store, getEntities, authorize, list } = await setUp({ entities });
    for (let i = 0; i < 40; i += 1)
      store.put('dev', canary(`app-${i}`, 'WaitingPromotion', i));

    const answer = await list();

    expect(answer.waiting).toHaveLength(40);
    expect(getEntities).toHaveBeenCalledTimes(1);
    const [request] = getEntities.mock.calls[0];
    expect(request!.filter).toEqual([
      {
        'metadata.annotations.progressive-delivery/workload-name':
          expect.any(Symbol),
        'relations.ownedBy': [USER, TEAM],
      },
      {
        'metadata.annotations.progressive-delivery/canaries':
          expect.any(Symbol),
        'relations.ownedBy': [USER, TEAM],
      },
    ]);
    expect(authorize).toHaveBeenCalledTimes(2);
    expect(authorize.mock.calls[0][0]).toHaveLength(40);
  });

  it('asks the permission backend in batches it accepts, in order, at 500 entities', async () => {
    const entities = Array.from({ length: 500 }, (_, i) =>
      component(`app-${i}`, TEAM),
    );
    const { store, authorize, list } = await setUp({
      entities,
      // Every other entity is not readable: a batch answered out of order would show.
      allow: (_permission, ref) => Number(ref.split('-').pop()) % 2 === 0,
    });
    for (let i = 0; i < 500; i += 1)
      store.put('dev', canary(`app-${i}`, 'WaitingPromotion', i));

    const answer = await list();

    expect(answer.waiting).toHaveLength(250);
    expect(
      answer.waiting.every(r => Number(r.canary.name.split('-')[1]) % 2 === 0),
    ).toBe(true);
    for (const [requests] of authorize.mock.calls) {
      expect(requests.length).toBeLessThanOrEqual(AUTHORIZE_BATCH);
    }
    expect(
      authorize.mock.calls.reduce(
        (sum, [requests]) => sum + requests.length,
        0,
      ),
    ).toBeGreaterThanOrEqual(500);
  });

  it('lists every readable entity with scope readable, without an owner filter', async () => {
    const { store, getEntities, list } = await setUp();
    store.put('dev', canary('search', 'Progressing', 2));

    const answer = await list('readable');

    expect(answer.ownershipRefs).toBeUndefined();
    expect(answer.entityCount).toBe(3);
    const filter = getEntities.mock.calls[0][0]!.filter as Obj[];
    expect(Object.keys(filter[0])).toEqual([
      'metadata.annotations.progressive-delivery/workload-name',
    ]);
    expect(answer.inProgress).toMatchObject([
      {
        entity: { ref: 'component:default/search' },
        state: { kind: 'progressing', headline: 'Analysis in progress' },
      },
    ]);
  });

  it('leaves out entities the user may not read, releases at rest and failures older than a day', async () => {
    const { store, list } = await setUp({
      allow: (permission, entityRef) =>
        !(
          permission === 'progressive-delivery.canary.read' &&
          entityRef === 'component:default/payments'
        ),
    });
    store.put('dev', canary('checkout', 'Succeeded', 1));
    store.put('prod', canary('checkout', 'Failed', 25 * 60));
    store.put('dev', canary('payments', 'WaitingPromotion', 1));

    const answer = await list();

    expect(answer.entityCount).toBe(1);
    expect([...answer.waiting, ...answer.failed, ...answer.inProgress]).toEqual(
      [],
    );
  });

  it('puts a gated release the user may not decide under in progress, saying which permission is missing', async () => {
    const { store, list } = await setUp({
      allow: permission => !permission.endsWith('.promote'),
    });
    store.put('dev', canary('checkout', 'WaitingPromotion', 5));

    const answer = await list();

    expect(answer.waiting).toEqual([]);
    expect(answer.inProgress).toHaveLength(1);
    expect(answer.inProgress[0].actions).not.toContain('promote');
    expect(answer.inProgress[0].actions).toContain('rollback');
    expect(answer.inProgress[0].cannotAct).toBe(
      'You may not decide this gate: Promote on component:default/checkout needs progressive-delivery.canary.promote.',
    );
  });

  it('says why steering is off when the canary side does not name the entity', async () => {
    const { store, list } = await setUp();
    const object = canary('checkout', 'WaitingPromotion', 5);
    object.metadata.labels['backstage.io/kubernetes-id'] = 'someone-else';
    store.put('dev', object);

    const [row] = (await list()).inProgress;

    expect(row.actions).toEqual([]);
    expect(row.cannotAct).toMatch(
      /^Steering through component:default\/checkout is off/,
    );
  });

  it('no longer lists a release as waiting once someone decided its gate', async () => {
    const { db, store, list } = await setUp();
    const watched = store.put('dev', canary('checkout', 'WaitingPromotion', 5));
    await db.decisions.decide({
      ref: watched.ref,
      revision: watched.revision!,
      action: 'promote',
      actor: 'user:default/bo',
    });

    const answer = await list();

    expect(answer.waiting).toEqual([]);
    expect(answer.inProgress[0].cannotAct).toBe(
      'Already decided: Promote by user:default/bo; Flagger applies it at its next check.',
    );
  });

  it('refuses callers that are not users', async () => {
    const { waiting } = await setUp();
    await expect(
      waiting.forUser(mockCredentials.service(), 'owned'),
    ).rejects.toThrow(NotAllowedError);
  });
});

describe('parseWaitingScope', () => {
  it('defaults to owned and accepts the two scopes', () => {
    expect(parseWaitingScope(undefined)).toBe('owned');
    expect(parseWaitingScope('owned')).toBe('owned');
    expect(parseWaitingScope('readable')).toBe('readable');
  });

  it('rejects anything else, naming the accepted values', () => {
    expect(() => parseWaitingScope('everything')).toThrow(InputError);
    expect(() => parseWaitingScope(['owned', 'readable'])).toThrow(
      'Invalid query: scope must be one of owned, readable (got ["owned","readable"]); leave it out for the releases of the entities you own.',
    );
  });
});
