import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  startTestServices,
  steeringCalls,
  TestServices,
} from '../__testUtils__/harness';
import { openPluginDatabase } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';
import { GateKeeper } from './GateKeeper';
import {
  FakeCanaryStore,
  gatedCanary,
  WEBHOOK_BASE_URL,
} from './testing/fakes';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const ref = { cluster: 'dev', namespace: 'tap-apps', name: 'hello-gated' };

/** A gate keeper over a fake store and a fresh database. */
async function gateKeeper() {
  const { decisions, rollouts } = await openPluginDatabase(
    await databases.init('SQLITE_3'),
  );
  const store = new FakeCanaryStore();
  const gates = new GateKeeper({
    store,
    decisions,
    rollouts,
    feed: new ChangeFeed(store),
    logger: mockServices.logger.mock(),
    auditor: mockServices.auditor.mock(),
    webhookBaseUrl: WEBHOOK_BASE_URL,
    // With the secret given, answers may name who decided.
    secretFor: () => 's3cret',
  });
  return { store, decisions, gates };
}

describe('GateKeeper confirm-rollout', () => {
  async function setUp() {
    const { store, decisions, gates } = await gateKeeper();
    const waiting = (enteredAt: string) => {
      const canary = gatedCanary('Waiting');
      canary.status.lastTransitionTime = enteredAt;
      return store.put('dev', canary);
    };
    const ask = () =>
      gates.answerGate('dev', 'confirm-rollout', {
        name: ref.name,
        namespace: ref.namespace,
        phase: 'Waiting',
        metadata: { secret: 's3cret' },
      });
    const approve = (revision: string, actor = 'user:default/guest') =>
      decisions.decide({ ref, revision, action: 'approve-rollout', actor });
    return { decisions, waiting, ask, approve };
  }

  it('answers an approval again while the release that used it still waits (a retry)', async () => {
    const { waiting, ask, approve } = await setUp();
    const { revision } = waiting(new Date(Date.now() - 60_000).toISOString());
    await approve(revision!);
    await expect(ask()).resolves.toMatchObject({ status: 200 });
    await expect(ask()).resolves.toMatchObject({ status: 200 });
  });

  it('does not start a later release with an approval used before it began to wait, even with the same revision key', async () => {
    const { decisions, waiting, ask, approve } = await setUp();
    const { revision } = waiting(new Date(Date.now() - 60_000).toISOString());
    await approve(revision!);
    await expect(ask()).resolves.toMatchObject({ status: 200 });

    // Flagger kept status.lastAppliedSpec through the rollout; the next release waits again.
    waiting(new Date(Date.now() + 10_000).toISOString());
    await expect(ask()).resolves.toMatchObject({
      status: 403,
      message: 'Waiting for approval in Backstage (Approve rollout)',
    });
    // The used approval is closed, so the next one is a new decision, and it counts.
    expect(await decisions.decision(ref, revision!, 'start')).toBeUndefined();
    const again = await approve(revision!, 'user:default/ana');
    expect(again.outcome).toBe('accepted');
    await expect(ask()).resolves.toMatchObject({
      status: 200,
      message: 'Rollout approved in Backstage by user:default/ana',
    });
  });
});

describe('GateKeeper verdict gates', () => {
  async function setUp() {
    const { store, decisions, gates } = await gateKeeper();
    const watched = store.put('dev', gatedCanary('WaitingPromotion'));
    const ask = (gate: 'confirm-promotion' | 'rollback') =>
      gates.answerGate('dev', gate, {
        name: ref.name,
        namespace: ref.namespace,
        checksum: 'c1',
        metadata: { secret: 's3cret' },
      });
    const decide = (action: 'promote' | 'rollback') =>
      decisions.decide({
        ref,
        revision: watched.revision!,
        action,
        actor: 'user:default/ana',
      });
    return { store, watched, decisions, ask, decide };
  }

  it('says yes only to its own word, and marks the decision applied', async () => {
    const { watched, decisions, ask, decide } = await setUp();
    await expect(ask('confirm-promotion')).resolves.toEqual({
      status: 403,
      message: 'Waiting for promotion in Backstage',
    });
    await expect(ask('rollback')).resolves.toEqual({
      status: 403,
      message: 'No rollback requested in Backstage',
    });
    await decide('rollback');
    await expect(ask('confirm-promotion')).resolves.toMatchObject({
      status: 403,
    });
    await expect(ask('rollback')).resolves.toEqual({
      status: 200,
      message: 'Rollback requested in Backstage by user:default/ana',
    });
    const decision = await decisions.decision(
      ref,
      watched.revision!,
      'verdict',
    );
    expect(decision?.appliedAt).toBeDefined();
  });

  it('binds to the revision the API server has, not a stale cache', async () => {
    const { store, watched, ask, decide } = await setUp();
    await decide('promote');
    // The cluster moved on to a new revision; the cache has not heard yet.
    store.fetchCanary = async () => ({ ...watched, revision: 'revision-b' });
    await expect(ask('confirm-promotion')).resolves.toMatchObject({
      status: 403,
    });
  });

  it('falls back to the watch cache when the API server cannot answer', async () => {
    const { store, ask, decide } = await setUp();
    await decide('promote');
    store.fetchFails = true;
    await expect(ask('confirm-promotion')).resolves.toEqual({
      status: 200,
      message: 'Promotion approved in Backstage by user:default/ana',
    });
  });
});

describe('GateKeeper answering the decisions people take', () => {
  let test: TestServices;
  let calls: ReturnType<typeof steeringCalls>;
  beforeEach(async () => {
    test = await startTestServices({
      database: await databases.init('SQLITE_3'),
    });
    calls = steeringCalls(test);
  });
  afterEach(() => test.services.stop());

  it('answers "yes" once a person decided, for that revision only', async () => {
    const { act, gate, details, setPhase } = calls;
    const promoted = await act('promote', { actor: 'user:default/ana' });
    expect(promoted.decision.appliedAt).toBeUndefined();
    await expect(gate('confirm-promotion')).resolves.toEqual({
      status: 200,
      message: 'Promotion approved in Backstage',
    });
    await expect(gate('rollback')).resolves.toMatchObject({ status: 403 });
    const { pendingDecision } = (await details()).summary;
    expect(pendingDecision).toMatchObject({
      action: 'promote',
      decidedBy: 'user:default/ana',
      appliedAt: expect.any(String),
    });

    // A new revision of the same canary starts undecided.
    setPhase('Progressing', o => {
      o.status.lastAppliedSpec = 'a-later-revision';
    });
    await expect(gate('confirm-promotion')).resolves.toMatchObject({
      status: 403,
    });
    expect((await details()).summary.pendingDecision).toBeUndefined();
  });

  it('holds traffic while paused, with the hold applied on the "no", and lets it go on resume', async () => {
    const { act, gate, details, setPhase } = calls;
    setPhase('Progressing');
    await act('pause');
    expect((await details()).summary.state.kind).toBe(
      'waiting-traffic-approval',
    );
    await expect(gate('confirm-traffic-increase')).resolves.toEqual({
      status: 403,
      message: 'Traffic increases paused in Backstage',
    });
    expect((await details()).summary.pendingDecision).toMatchObject({
      action: 'pause',
      appliedAt: expect.any(String),
    });
    // Pausing again is harmless.
    await expect(act('pause')).resolves.toMatchObject({
      decision: { action: 'pause' },
    });

    const resumed = await act('resume');
    expect(resumed.decision.appliedAt).toBeUndefined();
    await expect(gate('confirm-traffic-increase')).resolves.toMatchObject({
      status: 200,
    });
    expect((await details()).summary.pendingDecision).toMatchObject({
      action: 'resume',
      appliedAt: expect.any(String),
    });
    await expect(act('resume', { comment: undefined })).resolves.toMatchObject({
      decision: { action: 'resume' },
    });
  });

  it('approves a waiting rollout and shows only that decision while Waiting', async () => {
    const { act, gate, details, setPhase } = calls;
    // A promotion of the previous release is recorded on the revision Waiting still shows.
    await act('promote');
    setPhase('Waiting');
    expect((await details()).summary.pendingDecision).toBeUndefined();
    await act('approve-rollout');
    await expect(gate('confirm-rollout')).resolves.toEqual({
      status: 200,
      message: 'Rollout approved in Backstage',
    });
    expect((await details()).summary.pendingDecision).toMatchObject({
      action: 'approve-rollout',
      appliedAt: expect.any(String),
    });
  });

  it('does not let a used rollout approval start the next release', async () => {
    const { act, gate, setPhase } = calls;
    setPhase('Waiting');
    await act('approve-rollout');
    await expect(
      gate('confirm-rollout', { phase: 'Waiting' }),
    ).resolves.toMatchObject({ status: 200 });
    // Flagger asks again, while Waiting, until it has moved on: still yes.
    await expect(
      gate('confirm-rollout', { phase: 'Waiting' }),
    ).resolves.toMatchObject({ status: 200 });
    // After that rollout, Flagger asks from Succeeded before the next revision shows up,
    // with the same revision key; the used approval must not answer it.
    setPhase('Succeeded');
    await expect(
      gate('confirm-rollout', { phase: 'Succeeded' }),
    ).resolves.toEqual({
      status: 403,
      message: 'Waiting for approval in Backstage (Approve rollout)',
    });
  });
});
