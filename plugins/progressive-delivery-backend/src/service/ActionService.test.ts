import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { ConflictError, NotAllowedError } from '@backstage/errors';
import { StreamMessage } from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  ENTITY_REF,
  HELLO_GATED_REF,
  helloGatedEntities,
  startTestServices,
  steeringCalls,
  TestServices,
} from '../__testUtils__/harness';
import { openPluginDatabase } from '../database/DecisionStore';
import { ActionService } from './ActionService';
import { ChangeFeed } from './ChangeFeed';
import { SteeringPolicy } from './SteeringPolicy';
import { FakeCanaryStore, FakeSummarizer, gatedCanary } from './testing/fakes';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ref = { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' };
const actor = 'user:default/ana';
describe('ActionService', () => {
  async function setUp(phase: string, allowed = true) {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const store = new FakeCanaryStore();
    const watched = store.put('dev', gatedCanary(phase));
    const feed = new ChangeFeed(store);
    const published: StreamMessage[] = [];
    feed.subscribe(message => published.push(message));
    const auditor = mockServices.auditor.mock();
    const actions = new ActionService({
      store,
      summarizer: new FakeSummarizer(),
      decisions: db.decisions,
      attempts: db.attempts,
      entities: helloGatedEntities(store, allowed),
      steering: new SteeringPolicy({
        grants: [],
        permissionFrameworkEnabled: true,
        allowWithoutPermissionFramework: false,
      }),
      feed,
      auditor,
      logger: mockServices.logger.mock(),
    });
    const act = (action: 'promote' | 'rollback', comment?: string) =>
      actions.act({
        ref,
        action,
        entityRef: ENTITY_REF,
        comment,
        credentials: mockCredentials.user(actor),
        actor,
      });
    return { db, watched, published, auditor, act };
  }

  it('records an accepted decision for the current revision, tells the feed and audits it', async () => {
    const { db, watched, published, auditor, act } = await setUp(
      'WaitingPromotion',
    );
    const response = await act('promote', '  ship it  ');
    expect(response.decision).toMatchObject({
      action: 'promote',
      revision: watched.revision,
      decidedBy: actor,
      comment: 'ship it',
    });
    expect(response.message).toMatch(/^Promotion approved\. Flagger picks/);
    expect(published.map(message => message.type)).toEqual(['canary-changed']);
    expect(await db.attempts.attempts(ref)).toEqual([
      expect.objectContaining({
        revision: watched.revision,
        outcome: 'accepted',
        comment: 'ship it',
      }),
    ]);
    const event = await (auditor.createEvent as jest.Mock).mock.results[0]
      .value;
    expect(event.success).toHaveBeenCalledWith({
      meta: { revision: watched.revision, outcome: 'accepted' },
    });
  });

  it('keeps the refused attempts: forbidden without a revision, invalid with it', async () => {
    const forbidden = await setUp('WaitingPromotion', false);
    await expect(forbidden.act('promote')).rejects.toThrow(NotAllowedError);
    expect(
      (await forbidden.db.attempts.attempts(ref)).map(a => [
        a.outcome,
        a.revision,
      ]),
    ).toEqual([['forbidden', undefined]]);

    const idle = await setUp('Succeeded');
    await expect(idle.act('promote')).rejects.toThrow(ConflictError);
    expect(
      (await idle.db.attempts.attempts(ref)).map(a => [a.outcome, a.revision]),
    ).toEqual([['invalid', idle.watched.revision]]);

    const waiting = await setUp('WaitingPromotion');
    await waiting.act('promote');
    // The rules the UI shows refuse the opposite word once one is recorded.
    await expect(waiting.act('rollback')).rejects.toThrow(
      'This revision is already decided: promotion was approved.',
    );
    expect(
      (await waiting.db.attempts.attempts(ref)).map(a => a.outcome),
    ).toEqual(['accepted', 'invalid']);
    const failed = await (waiting.auditor.createEvent as jest.Mock).mock
      .results[1].value;
    expect(failed.fail).toHaveBeenCalledWith(
      expect.objectContaining({
        meta: { revision: waiting.watched.revision },
      }),
    );
  });

  it('refuses a comment over 500 characters before anything is recorded', async () => {
    const { db, act } = await setUp('WaitingPromotion');
    await expect(act('promote', 'x'.repeat(501))).rejects.toThrow(
      /at most 500/,
    );
    expect(await db.attempts.attempts(ref)).toEqual([]);
  });
});

describe('ActionService with the gates behind it', () => {
  let test: TestServices;
  let calls: ReturnType<typeof steeringCalls>;
  beforeEach(async () => {
    test = await startTestServices({
      database: await databases.init('SQLITE_3'),
    });
    calls = steeringCalls(test);
  });
  afterEach(() => test.services.stop());

  it('repeating a decision is harmless and reports the existing one', async () => {
    const { act, gate, setPhase } = calls;
    const first = await act('rollback', { actor: 'user:default/ana' });
    const again = await act('rollback', {
      actor: 'user:default/bo',
      comment: 'again',
    });
    expect(again.decision).toEqual(first.decision);
    expect(again.message).toMatch(
      /^Rollback requested already by user:default\/ana/,
    );
    await expect(gate('rollback')).resolves.toMatchObject({ status: 200 });
    // Still harmless after Flagger acted, even though the phase no longer allows a rollback.
    setPhase('Failed');
    const late = await act('rollback');
    expect(late.message).toMatch(/Flagger acted on it at/);
  });

  it('lets promote or rollback win, never both, and keeps every attempt', async () => {
    calls.setPhase('Progressing');
    const results = await Promise.allSettled([
      calls.act('promote', { actor: 'user:default/ana' }),
      calls.act('rollback', { actor: 'user:default/bo' }),
    ]);
    expect(results.map(r => r.status).sort()).toEqual([
      'fulfilled',
      'rejected',
    ]);
    const loser = results.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    )!;
    expect(loser.reason).toBeInstanceOf(ConflictError);
    expect(loser.reason.message).toMatch(/already decided/);
    const attempts = await test.services.attempts.attempts(HELLO_GATED_REF);
    // The loser either lost the insert race (conflict) or already saw the winner (invalid).
    expect(attempts).toHaveLength(2);
    expect(attempts.filter(x => x.outcome === 'accepted')).toHaveLength(1);
    expect(['conflict', 'invalid']).toContain(
      attempts.find(x => x.outcome !== 'accepted')!.outcome,
    );
    expect(attempts.map(x => x.actor).sort()).toEqual([
      'user:default/ana',
      'user:default/bo',
    ]);
  });
});
