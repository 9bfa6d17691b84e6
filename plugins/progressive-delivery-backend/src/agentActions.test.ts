import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { registerAgentActions } from './agentActions';
import {
  ENTITY_REF,
  helloGatedEntity,
  startTestServices,
  TestServices,
} from './__testUtils__/harness';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const canary = {
  entityRef: ENTITY_REF,
  cluster: 'dev',
  namespace: 'tap-apps',
  name: 'hello-gated',
};

describe('the actions for agents, through the actions registry', () => {
  let harness: TestServices;
  let registry: ReturnType<typeof actionsRegistryServiceMock>;
  let allowed: boolean;

  beforeEach(async () => {
    allowed = true;
    harness = await startTestServices({
      database: await databases.init('SQLITE_3'),
      allow: () => allowed,
      // hello-gated, owned by the mock user (the catalog's ownedBy relation).
      entities: [
        {
          ...helloGatedEntity,
          spec: { ...helloGatedEntity.spec, owner: 'user:default/mock' },
          relations: [{ type: 'ownedBy', targetRef: 'user:default/mock' }],
        },
      ],
    });
    registry = actionsRegistryServiceMock();
    registerAgentActions({
      actionsRegistry: registry,
      services: harness.services,
      userInfo: mockServices.userInfo(),
    });
  });

  afterEach(() => harness.services.stop());

  it('declares honest attributes: reads are read-only, promote and roll back destructive', async () => {
    const { actions } = await registry.list();
    const byName = Object.fromEntries(actions.map(a => [a.name, a.attributes]));
    expect(Object.keys(byName).sort()).toEqual([
      'approve-rollout-release',
      'describe-release',
      'list-releases',
      'list-releases-waiting-for-me',
      'pause-release',
      'promote-release',
      'resume-release',
      'rollback-release',
    ]);
    for (const read of [
      'list-releases',
      'describe-release',
      'list-releases-waiting-for-me',
    ])
      expect(byName[read]).toEqual({
        readOnly: true,
        destructive: false,
        idempotent: true,
      });
    expect(byName['promote-release']).toEqual({
      readOnly: false,
      destructive: true,
      idempotent: true,
    });
    expect(byName['rollback-release']).toEqual({
      readOnly: false,
      destructive: true,
      idempotent: true,
    });
    expect(byName['pause-release']).toEqual({
      readOnly: false,
      destructive: false,
      idempotent: true,
    });
  });

  it('lists and describes releases with the caller’s credentials', async () => {
    const credentials = mockCredentials.user();
    const list: any = await registry.invoke({
      id: 'test:list-releases',
      input: { entityRef: ENTITY_REF },
      credentials,
    });
    expect(list.output.releases).toEqual([
      expect.objectContaining({
        name: 'hello-gated',
        state: 'waiting-promotion-approval',
        waitingFor: 'confirm-promotion',
        possibleActions: expect.arrayContaining(['promote', 'rollback']),
      }),
    ]);
    const described: any = await registry.invoke({
      id: 'test:describe-release',
      input: canary,
      credentials,
    });
    expect(described.output.release).toMatchObject({
      headline: 'Waiting for promotion approval',
      checks: { failedChecks: 0, threshold: 3 },
      metrics: expect.arrayContaining([
        expect.objectContaining({
          name: 'request-success-rate',
          thresholdRange: { min: 99 },
          verdict: 'unavailable',
        }),
      ]),
    });

    allowed = false;
    await expect(
      registry.invoke({
        id: 'test:list-releases',
        input: { entityRef: ENTITY_REF },
        credentials,
      }),
    ).rejects.toThrow(/You may not see the releases/);
  });

  it('lists what waits for the caller, with the action that answers it', async () => {
    const waiting: any = await registry.invoke({
      id: 'test:list-releases-waiting-for-me',
      input: {},
      credentials: mockCredentials.user(),
    });
    // The same list as the "Waiting for you" page's first section.
    expect(waiting.output).toEqual({
      entitiesChecked: 1,
      releases: [
        expect.objectContaining({
          entityRef: ENTITY_REF,
          name: 'hello-gated',
          waitingFor: 'confirm-promotion',
          actions: expect.arrayContaining(['promote']),
        }),
      ],
    });
  });

  it('promotes through ActionService: the same permission check and audit event as the route', async () => {
    const promoted: any = await registry.invoke({
      id: 'test:promote-release',
      input: { ...canary, comment: 'asked by an agent' },
      credentials: mockCredentials.user(),
    });
    expect(promoted.output).toMatchObject({
      decidedBy: 'user:default/mock',
      message: expect.any(String),
    });
    expect(harness.auditor.createEvent).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'canary-action',
        meta: expect.objectContaining({
          action: 'promote',
          actor: 'user:default/mock',
          comment: 'asked by an agent',
        }),
      }),
    );
    const details = await harness.services.queries.details(
      canary,
      ENTITY_REF,
      mockCredentials.user(),
    );
    expect(details.summary.pendingDecision).toMatchObject({
      action: 'promote',
      comment: 'asked by an agent',
    });

    allowed = false;
    await expect(
      registry.invoke({
        id: 'test:rollback-release',
        input: canary,
        credentials: mockCredentials.user(),
      }),
    ).rejects.toThrow(/You may not roll back releases/);
    await expect(
      registry.invoke({
        id: 'test:rollback-release',
        input: canary,
        credentials: mockCredentials.service(),
      }),
    ).rejects.toThrow(/Only a signed-in user may decide/);
  });
});
