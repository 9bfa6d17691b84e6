import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  startTestServices,
  steeringCalls,
  TestServices,
} from '../__testUtils__/harness';
import { openPluginDatabase, PluginDatabase } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';
import { summarizeWithDecisions } from './decisionState';
import { HistoryRecorder } from './HistoryRecorder';
import { FakeCanaryStore, FakeSummarizer, gatedCanary } from './testing/fakes';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ref = { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' };

describe('HistoryRecorder', () => {
  async function recorderOver(db: PluginDatabase) {
    const store = new FakeCanaryStore();
    const feed = new ChangeFeed(store);
    const messages: string[] = [];
    feed.subscribe(message => messages.push(message.type));
    const recorder = new HistoryRecorder({
      store,
      summarizer: new FakeSummarizer(),
      decisions: db.decisions,
      rollouts: db.rollouts,
      feed,
      logger: mockServices.logger.mock(),
    });
    recorder.start();
    return { store, recorder, messages };
  }

  it('starts a record on a release phase and ends it on Failed with the reason, once', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const { store, recorder, messages } = await recorderOver(db);
    const progressing = gatedCanary('Progressing');
    store.put('dev', progressing, {
      events: [
        {
          message: 'New revision detected! Scaling up hello-gated.tap-apps',
          lastTimestamp: '2026-11-23T01:00:00Z',
        },
      ],
    });
    // The recorder reads the cache when it gets to a message; let it keep up, as it does live.
    await recorder.idle();
    store.put('dev', gatedCanary('WaitingPromotion'));
    store.put('dev', gatedCanary('WaitingPromotion'));
    await recorder.idle();
    const failed = gatedCanary('Failed');
    store.put('dev', failed, {
      events: [
        {
          type: 'Warning',
          message:
            'Rolling back hello-gated.tap-apps failed checks threshold reached 1',
          lastTimestamp: '2026-11-23T01:05:00Z',
        },
      ],
    });
    await recorder.idle();
    const [record] = await db.rollouts.history([ref]);
    expect(record).toMatchObject({
      outcome: 'failed',
      startedAt: '2026-11-23T01:00:00.000Z',
    });
    expect(record.failureReason).toMatch(/failed checks threshold reached 1/);
    expect(messages.filter(type => type === 'history-changed')).toHaveLength(2);
    recorder.stop();
  });

  it('starts a record seen live at the status transition when the revision event still shows an earlier run', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const { store, recorder } = await recorderOver(db);
    const earlierRun = {
      message: 'New revision detected! Scaling up hello-gated.tap-apps',
      lastTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
    };
    const waiting = gatedCanary('Waiting');
    store.put('dev', waiting, { events: [earlierRun] });
    await recorder.idle();

    const progressing = gatedCanary('Progressing');
    progressing.status.lastAppliedSpec = 'a-new-pod-template';
    const transition = new Date(Date.now() + 1_000);
    transition.setMilliseconds(0);
    progressing.status.lastTransitionTime = transition.toISOString();
    store.put('dev', progressing, { events: [earlierRun] });
    await recorder.idle();

    const [record] = await db.rollouts.history([ref]);
    expect(record).toMatchObject({
      outcome: 'in-progress',
      startedAt: transition.toISOString(),
    });
    recorder.stop();
  });

  it('records a release after a failed one once, with its approval, though Flagger moves the failed canary to the new revision first', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const { store, recorder } = await recorderOver(db);
    const at = (phase: string, revision: string) => {
      const object = gatedCanary(phase);
      object.status.lastAppliedSpec = revision;
      object.status.trackedConfigs = {};
      return object;
    };
    for (const phase of ['Progressing', 'Failed']) {
      store.put('dev', at(phase, 'failed-release'));
      await recorder.idle();
    }
    // The new pod template reaches the failed canary: Flagger syncs lastAppliedSpec, then waits.
    store.put('dev', at('Failed', 'fixed-release'));
    await recorder.idle();
    store.put('dev', at('Waiting', 'fixed-release'));
    await recorder.idle();
    await db.decisions.decide({
      ref,
      revision: 'fixed-release',
      action: 'approve-rollout',
      actor: 'user:default/ana',
      comment: 'ship the fix',
    });
    for (const phase of ['Progressing', 'Succeeded']) {
      store.put('dev', at(phase, 'fixed-release'));
      await recorder.idle();
    }

    const records = await db.rollouts.history([ref]);
    expect(
      records.map(r => [
        r.revision,
        r.outcome,
        r.decisions.map(d => d.comment),
      ]),
    ).toEqual([
      ['fixed-release', 'succeeded', ['ship the fix']],
      ['failed-release', 'failed', []],
    ]);
    recorder.stop();
  });

  it('after a restart closes a record left open but invents none for finished canaries', async () => {
    const knex = await databases.init('SQLITE_3');
    const before = await openPluginDatabase(knex);
    await before.rollouts.rolloutStarted(
      ref,
      'will-be-replaced',
      [],
      '2026-11-23T01:00:00.000Z',
    );
    const canary = gatedCanary('Succeeded');
    const { store, recorder } = await recorderOver(
      await openPluginDatabase(knex),
    );
    const watched = store.put('dev', canary);
    const other = gatedCanary('Succeeded');
    other.metadata.name = 'finished-long-ago';
    store.put('dev', other);
    await recorder.idle();
    const after = await openPluginDatabase(knex);
    // The open record was for another revision: nothing to close, nothing invented.
    expect((await after.rollouts.history([ref])).map(r => r.outcome)).toEqual([
      'in-progress',
    ]);
    expect(
      await after.rollouts.history([{ ...ref, name: 'finished-long-ago' }]),
    ).toEqual([]);

    await before.rollouts.rolloutStarted(
      ref,
      watched.revision!,
      [],
      '2026-11-23T02:00:00.000Z',
    );
    const restarted = await recorderOver(after);
    restarted.store.put('dev', canary);
    await restarted.recorder.idle();
    const history = await after.rollouts.history([ref]);
    expect(history.find(r => r.revision === watched.revision)).toMatchObject({
      outcome: 'succeeded',
    });
    recorder.stop();
    restarted.recorder.stop();
  });

  it('keeps the furthest weight and failed checks of a run, which Flagger resets when it fails', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    const { store, recorder } = await recorderOver(db);
    const at = (phase: string, canaryWeight: number, failedChecks: number) => {
      const canary = gatedCanary(phase);
      canary.status.canaryWeight = canaryWeight;
      canary.status.failedChecks = failedChecks;
      return canary;
    };
    store.put('dev', at('Progressing', 20, 0));
    await recorder.idle();
    store.put('dev', at('Progressing', 40, 1));
    await recorder.idle();
    store.put('dev', at('Progressing', 40, 2));
    await recorder.idle();
    const failed = store.put('dev', at('Failed', 0, 0));
    await recorder.idle();

    const progress = await db.rollouts.progressOf([
      { ref, revision: failed.revision! },
    ]);
    expect(progress.get(`dev/tap-apps/hello-gated@${failed.revision}`)).toEqual(
      expect.objectContaining({ reachedWeight: 40, failedChecks: 2 }),
    );
    // The summary built over the same record tells how far it got without any event.
    const [summary] = await summarizeWithDecisions(
      new FakeSummarizer(),
      db.decisions,
      [failed],
      db.rollouts,
    );
    expect(summary.rollback).toMatchObject({
      reachedWeight: 40,
      reachedStep: 2,
      totalSteps: 3,
      failedChecks: 2,
    });
    recorder.stop();
  });

  it('names the newest other rollout of the canary as the one before (after a revert too)', async () => {
    const db = await openPluginDatabase(await databases.init('SQLITE_3'));
    await db.rollouts.rolloutStarted(ref, 'first', [], '2026-11-23T01:00:00Z');
    await db.rollouts.rolloutEnded(
      ref,
      'first',
      'succeeded',
      '2026-11-23T01:10:00Z',
    );
    await db.rollouts.rolloutStarted(ref, 'second', [], '2026-11-23T02:00:00Z');
    const progress = await db.rollouts.progressOf([
      { ref, revision: 'second' },
    ]);
    expect(
      progress.get('dev/tap-apps/hello-gated@second')?.previousRevision,
    ).toBe('first');
    const none = await db.rollouts.progressOf([{ ref, revision: 'first' }]);
    expect(none.get('dev/tap-apps/hello-gated@first')?.previousRevision).toBe(
      'second',
    );
  });
});

describe('HistoryRecorder with the decisions people take', () => {
  let test: TestServices;
  let calls: ReturnType<typeof steeringCalls>;
  beforeEach(async () => {
    test = await startTestServices({
      database: await databases.init('SQLITE_3'),
    });
    calls = steeringCalls(test);
  });
  afterEach(() => test.services.stop());

  const kubeEvent = (message: string, at: string) => ({
    type: 'Warning',
    reason: 'Synced',
    message,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  });
  const halt =
    'Halt hello-gated.tap-apps advancement success rate 70.07% < 99%';
  const rollingBack =
    'Rolling back hello-gated.tap-apps failed checks threshold reached 2';

  it('keeps a rollout from start to rollback with the failing check and who decided', async () => {
    const { services, store } = test;
    calls.setPhase('Progressing');
    await services.history.idle();
    await calls.act('pause', { comment: 'hold on' });
    for (const message of [halt, rollingBack]) {
      await services.gates.recordEvent('dev', {
        name: ref.name,
        namespace: ref.namespace,
        phase: 'Progressing',
        metadata: {
          eventMessage: message,
          eventType: 'Warning',
          timestamp: String(Date.parse('2026-11-23T02:00:00Z')),
        },
      });
    }
    // The reason and the end come from what the watch sees, not from the event webhook.
    store.put('dev', gatedCanary('Failed'), {
      events: [
        kubeEvent(halt, '2026-11-23T01:59:00Z'),
        kubeEvent(rollingBack, '2026-11-23T02:00:00Z'),
      ],
    });
    await services.history.idle();
    const { items } = await calls.history();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      ref,
      outcome: 'failed',
      decisions: [{ action: 'pause', comment: 'hold on' }],
    });
    expect(items[0].failureReason).toContain('70.07% < 99%');
    expect(
      (await services.rollouts.flaggerEvents(ref)).map(e => e.message)[0],
    ).toMatch(/^Rolling back/);
  });

  it('closes decisions with their rollout, so a revert to the same template starts undecided', async () => {
    const { services } = test;
    calls.setPhase('Progressing');
    await services.history.idle();
    await calls.act('promote');
    await expect(calls.gate('confirm-promotion')).resolves.toMatchObject({
      status: 200,
    });
    calls.setPhase('Succeeded');
    await services.history.idle();
    // The same pod template comes back later (a revert): Flagger's revision key repeats.
    calls.setPhase('Progressing');
    await services.history.idle();
    await expect(calls.gate('confirm-promotion')).resolves.toMatchObject({
      status: 403,
    });
    const { items } = await calls.history();
    expect(items[0]).toMatchObject({
      outcome: 'succeeded',
      decisions: [{ action: 'promote' }],
    });
  });

  it('marks a rollout superseded when a new revision restarts the analysis', async () => {
    const { services } = test;
    calls.setPhase('Progressing');
    await services.history.idle();
    calls.setPhase('Progressing', o => {
      o.status.lastAppliedSpec = 'revision-b';
    });
    await services.history.idle();
    const { items } = await calls.history();
    expect(items.map(i => i.outcome).sort()).toEqual([
      'in-progress',
      'superseded',
    ]);
  });
});
