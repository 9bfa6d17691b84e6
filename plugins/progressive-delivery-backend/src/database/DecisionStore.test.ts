/*
 * Over 400 lines because every case runs on SQLite and PostgreSQL and spans the three tables a
 * rollout touches (decisions, attempts, rollouts); the decision rules are read best together.
 */
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  DecisionStore,
  openPluginDatabase,
  revisionKeyOf,
} from './DecisionStore';

// `npm test` starts a PostgreSQL on loopback and sets this variable; it requires both engines.
const ids: TestDatabaseId[] =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING ||
  process.env.PD_SANDBOX_REQUIRED
    ? ['SQLITE_3', 'POSTGRES_15']
    : ['SQLITE_3'];
const databases = TestDatabases.create({ ids });

const ref = { cluster: 'prod', namespace: 'shop', name: 'checkout' };

describe.each(databases.eachSupportedId())(
  'DecisionStore on %p',
  databaseId => {
    async function store() {
      const knex = await databases.init(databaseId);
      const { decisions, attempts, rollouts } = await openPluginDatabase(knex);
      return { knex, store: decisions, attempts, rollouts };
    }

    it('records a decision once, treats a repeat as harmless and refuses the opposite', async () => {
      const { store: decisions } = await store();
      const first = await decisions.decide({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
        comment: 'go',
      });
      expect(first.outcome).toBe('accepted');
      expect(first.decision).toMatchObject({
        action: 'promote',
        decidedBy: 'user:default/ana',
        comment: 'go',
      });
      expect(
        (
          await decisions.decide({
            ref,
            revision: 'r1',
            action: 'promote',
            actor: 'user:default/bo',
          })
        ).outcome,
      ).toBe('repeated');
      const conflict = await decisions.decide({
        ref,
        revision: 'r1',
        action: 'rollback',
        actor: 'user:default/bo',
      });
      expect(conflict).toMatchObject({
        outcome: 'conflict',
        decision: { action: 'promote', decidedBy: 'user:default/ana' },
      });
    });

    it('binds decisions to one revision', async () => {
      const { store: decisions } = await store();
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
      });
      expect(await decisions.decision(ref, 'r2', 'verdict')).toBeUndefined();
      expect(
        await decisions.decision({ ...ref, cluster: 'dev' }, 'r1', 'verdict'),
      ).toBeUndefined();
    });

    it('lets exactly one of two concurrent promote and rollback decisions win', async () => {
      const { store: decisions } = await store();
      const results = await Promise.all([
        decisions.decide({
          ref,
          revision: 'r9',
          action: 'promote',
          actor: 'user:default/ana',
        }),
        decisions.decide({
          ref,
          revision: 'r9',
          action: 'rollback',
          actor: 'user:default/bo',
        }),
      ]);
      expect(results.map(r => r.outcome).sort()).toEqual([
        'accepted',
        'conflict',
      ]);
      const stored = await decisions.decision(ref, 'r9', 'verdict');
      expect(results.find(r => r.outcome === 'accepted')!.decision.action).toBe(
        stored!.action,
      );
    });

    it('toggles pause and resume on the same revision', async () => {
      const { store: decisions } = await store();
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'pause',
        actor: 'user:default/ana',
      });
      await decisions.markApplied(ref, 'r1', 'traffic', 'checksum-a');
      expect(
        (
          await decisions.decide({
            ref,
            revision: 'r1',
            action: 'resume',
            actor: 'user:default/ana',
          })
        ).outcome,
      ).toBe('accepted');
      const traffic = await decisions.decision(ref, 'r1', 'traffic');
      expect(traffic).toMatchObject({ action: 'resume', appliedAt: undefined });
    });

    it('keeps decisions across a restart and marks them applied only once', async () => {
      const { knex, store: before } = await store();
      await before.decide({
        ref,
        revision: 'r1',
        action: 'approve-rollout',
        actor: 'user:default/ana',
      });
      const after = await DecisionStore.create(knex);
      await after.markApplied(ref, 'r1', 'start', 'c1');
      const applied = (await after.decision(ref, 'r1', 'start'))!.appliedAt;
      expect(applied).toBeDefined();
      await after.markApplied(ref, 'r1', 'start', 'c2');
      expect((await after.decision(ref, 'r1', 'start'))!.appliedAt).toBe(
        applied,
      );
    });

    it('records every attempt, also the refused ones', async () => {
      const { attempts } = await store();
      await attempts.recordAttempt({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
        outcome: 'accepted',
      });
      await attempts.recordAttempt({
        ref,
        revision: 'r1',
        action: 'rollback',
        actor: 'user:default/bo',
        outcome: 'conflict',
        message: 'Already decided: promote',
      });
      expect(
        (await attempts.attempts(ref)).map((a: any) => [a.actor, a.outcome]),
      ).toEqual([
        ['user:default/ana', 'accepted'],
        ['user:default/bo', 'conflict'],
      ]);
    });

    it('keeps one history record per revision, newest first, with its decisions', async () => {
      const { store: decisions, rollouts } = await store();
      await rollouts.rolloutStarted(
        ref,
        'r1',
        ['shop:v1'],
        '2026-11-23T01:00:00.000Z',
      );
      await rollouts.rolloutStarted(
        ref,
        'r1',
        ['shop:v1'],
        '2026-11-23T01:00:05.000Z',
      );
      await rollouts.rolloutEnded(
        ref,
        'r1',
        'failed',
        '2026-11-23T01:05:00.000Z',
        { failureReason: 'success rate 70.07% < 99%' },
      );
      await rollouts.rolloutStarted(
        ref,
        'r2',
        ['shop:v2'],
        '2026-11-23T02:00:00.000Z',
      );
      await decisions.decide({
        ref,
        revision: 'r2',
        action: 'promote',
        actor: 'user:default/ana',
        comment: 'ship',
      });
      expect(
        await rollouts.rolloutEnded(
          ref,
          'r3',
          'succeeded',
          '2026-11-23T03:00:00.000Z',
          { createIfMissing: false },
        ),
      ).toBe(false);
      const history = await rollouts.history([ref]);
      expect(history.map(h => [h.revision, h.outcome])).toEqual([
        ['r2', 'in-progress'],
        ['r1', 'failed'],
      ]);
      expect(history[1]).toMatchObject({
        startedAt: '2026-11-23T01:00:00.000Z',
        failureReason: 'success rate 70.07% < 99%',
      });
      expect(history[0].decisions[0]).toMatchObject({
        action: 'promote',
        comment: 'ship',
      });
    });

    it('closes the decisions of a rollout when it ends, freeing the revision for a later release', async () => {
      const { store: decisions, rollouts } = await store();
      await rollouts.rolloutStarted(ref, 'r1', [], '2026-11-23T01:00:00.000Z');
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'pause',
        actor: 'user:default/ana',
      });
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
      });
      expect(
        await rollouts.rolloutEnded(
          ref,
          'r1',
          'succeeded',
          '2026-11-23T01:10:00.000Z',
        ),
      ).toBe(true);
      expect(
        await rollouts.rolloutEnded(
          ref,
          'r1',
          'succeeded',
          '2026-11-23T01:10:01.000Z',
        ),
      ).toBe(false);
      expect(await decisions.decisionsFor(ref, 'r1')).toEqual([]);
      // The same template released again: a rollback now is a new decision, not a conflict.
      expect(
        (
          await decisions.decide({
            ref,
            revision: 'r1',
            action: 'rollback',
            actor: 'user:default/bo',
          })
        ).outcome,
      ).toBe('accepted');
      const [record] = await rollouts.history([ref]);
      expect(record.decisions.map(d => d.action).sort()).toEqual([
        'pause',
        'promote',
        'rollback',
      ]);
    });

    it('attributes an approve-rollout decision to the rollout it started and closes it then', async () => {
      const { store: decisions, rollouts } = await store();
      // While Waiting the canary still shows the previous revision r1.
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'approve-rollout',
        actor: 'user:default/ana',
        comment: 'go',
      });
      expect(
        await rollouts.rolloutStarted(
          ref,
          'r2',
          ['shop:v2'],
          '2026-11-23T02:00:00.000Z',
        ),
      ).toBe(true);
      expect(await decisions.decision(ref, 'r1', 'start')).toBeUndefined();
      const [record] = await rollouts.history([ref]);
      expect(record).toMatchObject({
        revision: 'r2',
        decisions: [
          { action: 'approve-rollout', revision: 'r1', comment: 'go' },
        ],
      });
      expect(
        await rollouts.rolloutStarted(
          ref,
          'r2',
          ['shop:v2'],
          '2026-11-23T02:00:09.000Z',
        ),
      ).toBe(false);
    });

    it('attributes an approval that already carries the rollout revision (a release after a failed one)', async () => {
      const { store: decisions, rollouts } = await store();
      await rollouts.rolloutStarted(ref, 'r1', [], '2026-11-23T01:00:00.000Z');
      await rollouts.rolloutEnded(
        ref,
        'r1',
        'failed',
        '2026-11-23T01:05:00.000Z',
      );
      // Flagger synced the failed canary's lastAppliedSpec to r2 before asking for approval.
      await decisions.decide({
        ref,
        revision: 'r2',
        action: 'approve-rollout',
        actor: 'user:default/ana',
        comment: 'retry with the fix',
      });
      await rollouts.rolloutStarted(
        ref,
        'r2',
        ['shop:v3'],
        '2026-11-23T02:00:00.000Z',
      );
      expect(await decisions.decision(ref, 'r2', 'start')).toBeUndefined();
      const [latest] = await rollouts.history([ref]);
      expect(latest).toMatchObject({
        revision: 'r2',
        outcome: 'in-progress',
        decisions: [
          { action: 'approve-rollout', comment: 'retry with the fix' },
        ],
      });
    });

    it('supersedes a running rollout when a new revision starts and keeps its halt reason for a failure', async () => {
      const { store: decisions, rollouts } = await store();
      await rollouts.rolloutStarted(ref, 'r1', [], '2026-11-23T01:00:00.000Z');
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'pause',
        actor: 'user:default/ana',
      });
      await rollouts.rolloutStarted(ref, 'r2', [], '2026-11-23T01:01:00.000Z');
      expect(await decisions.decision(ref, 'r1', 'traffic')).toBeUndefined();
      await rollouts.noteHalt(ref, 'r2', 'request duration 1.5s > 500ms');
      await rollouts.rolloutEnded(
        ref,
        'r2',
        'failed',
        '2026-11-23T01:05:00.000Z',
        { failureReason: 'failed checks threshold reached 1' },
      );
      const history = await rollouts.history([ref]);
      expect(
        history.map(h => [h.revision, h.outcome, h.failureReason]),
      ).toEqual([
        [
          'r2',
          'failed',
          'failed checks threshold reached 1 (last failed check: request duration 1.5s > 500ms)',
        ],
        ['r1', 'superseded', undefined],
      ]);
    });
    it('reads the open decisions of many revisions at once, each under its own key', async () => {
      const { store: decisions } = await store();
      const cart = { ...ref, name: 'cart' };
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'promote',
        actor: 'user:default/ana',
      });
      await decisions.decide({
        ref,
        revision: 'r1',
        action: 'pause',
        actor: 'user:default/ana',
      });
      await decisions.decide({
        ref,
        revision: 'r0',
        action: 'rollback',
        actor: 'user:default/bo',
      });
      await decisions.decide({
        ref: cart,
        revision: 'r7',
        action: 'approve-rollout',
        actor: 'user:default/bo',
      });
      const many = await decisions.decisionsForMany([
        { ref, revision: 'r1' },
        { ref: cart, revision: 'r7' },
        { ref: cart, revision: 'nothing' },
        ...Array.from({ length: 450 }, (_, i) => ({
          ref,
          revision: `other-${i}`,
        })),
      ]);
      expect(
        many
          .get(revisionKeyOf(ref, 'r1'))!
          .map(d => d.action)
          .sort(),
      ).toEqual(['pause', 'promote']);
      expect(many.get(revisionKeyOf(cart, 'r7'))).toEqual([
        expect.objectContaining({
          action: 'approve-rollout',
          decidedBy: 'user:default/bo',
        }),
      ]);
      expect(many.has(revisionKeyOf(ref, 'r0'))).toBe(false);
      expect(many.has(revisionKeyOf(cart, 'nothing'))).toBe(false);
    });
  },
);
