/*
 * Faults around the gate decisions, with the real Flagger calling the real backend's gates on
 * 127.0.0.1:7007 (sample app hello-gated in dev):
 * - the backend dies between an approval and Flagger's next check: after a restart on the same
 *   database the approval applies, and only to that release;
 * - two people promote and roll back at the same moment: one wins, the other gets a conflict
 *   that says why, and the database keeps both attempts;
 * - anyone who reaches the webhooks (no secret is set here) forges gate and event calls with a
 *   made-up phase and a "Promotion completed!": no decision changes, the history keeps only the
 *   person's decisions, and Flagger still starts and promotes the release through the portal.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { itemOf, PortalApi } from '../harness/api';
import { faultConfig } from '../harness/config';
import { repoRoot, RunningBackend, startBackend } from '../harness/portal';
import {
  eventually,
  firstImage,
  readCanary,
  readDeployment,
  requireSandbox,
  sandboxCredentialsEnv,
  settled,
  settledThroughPortal,
} from '../harness/sandbox';
import {
  artifactsFor,
  entityReady,
  MINUTE,
  SECOND,
  signInAsOwner,
  sleep,
} from './support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
/** hello-gated's analysis interval: Flagger calls its gates this often. */
const TICK_MS = 10 * SECOND;

let backend: RunningBackend;
let api: PortalApi;
let artifactsDir: string;
let env: Record<string, string>;
let extraConfig: string;
let starts = 0;

jest.setTimeout(10 * MINUTE);

/** The backend on 7007, where the sandbox's gate webhooks point, always on the same database. */
async function startGateBackend() {
  starts += 1;
  backend = await startBackend({
    artifactsDir,
    port: 7007,
    dataDir: join(artifactsDir, 'db'),
    name: `backend-${starts}`,
    env,
    extraConfig,
  });
  api = await signInAsOwner(backend.url);
  await entityReady(api, APP, 2);
}

const phase = async () =>
  (await readCanary('dev', NS, APP)).status?.phase as string;

/** Waits until the real canary is in phase `wanted`. */
async function phaseReached(wanted: string, timeoutMs: number) {
  return eventually(
    `dev/${APP} to reach ${wanted}`,
    async () => (await phase()) === wanted,
    {
      timeoutMs,
      intervalMs: 500,
    },
  );
}

const act = (action: string, comment: string) =>
  api.act('dev', NS, APP, action, { entity: APP, comment });

/** Acts in set-up, where a refusal is a broken precondition rather than a test result. */
async function actOrThrow(action: string, comment: string) {
  const response = await act(action, comment);
  if (response.status !== 200) {
    throw new Error(
      `${action} answered ${response.status}: ${await response.text()}`,
    );
  }
}

/** The backend's summary of the dev canary. */
const summary = async () => itemOf(await api.canaries(APP), 'dev', APP);

/** Releases and approves until Flagger waits for promotion. */
async function driveToWaitingPromotion(comment: string) {
  const current = await phase();
  if (['Progressing', 'WaitingPromotion'].includes(current)) {
    await phaseReached('WaitingPromotion', 3 * MINUTE);
    return;
  }
  if (current !== 'Waiting') {
    await settled('dev', NS, APP);
    await release(APP, { cluster: 'dev' });
    await phaseReached('Waiting', 2 * MINUTE);
  }
  expect((await act('approve-rollout', comment)).status).toBe(200);
  await phaseReached('WaitingPromotion', 3 * MINUTE);
}

function openDatabase() {
  // The backend's own SQLite file, opened with the driver the backend package declares.
  const Database = createRequire(
    join(repoRoot, 'packages/backend/package.json'),
  )('better-sqlite3');
  return new Database(join(artifactsDir, 'db', 'progressive-delivery.sqlite'), {
    readonly: true,
  });
}

/** Leaves the sample app settled whatever happened: finishes or aborts a release in flight. */
const settleGated = () =>
  settledThroughPortal('dev', NS, APP, action =>
    act(action, 'fault tests: settling'),
  );

beforeAll(async () => {
  const info = requireSandbox();
  artifactsDir = artifactsFor('gates');
  env = sandboxCredentialsEnv(info);
  extraConfig = faultConfig(info, repoRoot);
  await startGateBackend();
  await settleGated();
  // Start from a failed release, the harder case: Flagger then moves the canary to the next
  // release's revision before asking to start it, so the approval carries the new key.
  if ((await phase()) !== 'Failed') {
    await release(APP, { cluster: 'dev' });
    await phaseReached('Waiting', 2 * MINUTE);
    await actOrThrow('approve-rollout', 'fault tests: to fail');
    await phaseReached('Progressing', 2 * MINUTE);
    await actOrThrow('rollback', 'fault tests: fail it');
    await phaseReached('Failed', 2 * MINUTE);
  }
}, 10 * MINUTE);

afterAll(async () => {
  try {
    await settleGated();
  } finally {
    await backend?.stop();
  }
}, 8 * MINUTE);

test('the backend restarted between an approval and Flagger’s next check: the approval applies, once', async () => {
  await release(APP, { cluster: 'dev' });
  await phaseReached('Waiting', 2 * MINUTE);
  await eventually(
    'the summary to wait for rollout approval',
    async () => (await summary())?.state.kind === 'waiting-rollout-approval',
    { timeoutMs: 30 * SECOND },
  );

  const approved = await act(
    'approve-rollout',
    'fault tests: approved, then the backend dies',
  );
  expect(approved.status).toBe(200);
  // Gone at once, as in a crash: Flagger's next gate call finds nobody.
  await backend.kill();
  await sleep(TICK_MS + 2 * SECOND);
  expect(await phase()).toBe('Waiting');

  const restartedAt = new Date().toISOString();
  await startGateBackend();
  await phaseReached('Progressing', 2 * MINUTE);
  // The decision kept in the database is the one Flagger acted on, after the restart.
  const db = openDatabase();
  const approval = db
    .prepare(
      "select applied_at as appliedAt from pd_decisions where cluster = 'dev' and name = ? and action = 'approve-rollout' and comment = ?",
    )
    .get(APP, 'fault tests: approved, then the backend dies');
  db.close();
  expect(approval.appliedAt >= restartedAt).toBe(true);

  // Once: the next release asks again.
  await phaseReached('WaitingPromotion', 3 * MINUTE);
  expect(
    (await act('promote', 'fault tests: finish the approved release')).status,
  ).toBe(200);
  await phaseReached('Succeeded', 2 * MINUTE);
  // The rollout's record names who approved its start (given on the previous revision's key,
  // while Flagger waited) and who promoted it, and starts after the approval.
  const record = await eventually(
    'the finished rollout in the history',
    async () =>
      ((await api.history(APP)).items ?? []).find(
        (r: any) =>
          r.ref.cluster === 'dev' &&
          r.outcome === 'succeeded' &&
          r.decisions.some(
            (d: any) =>
              d.comment === 'fault tests: finish the approved release',
          ),
      ),
    { timeoutMs: 30 * SECOND },
  );
  const approvalRecorded = record.decisions.find(
    (d: any) => d.action === 'approve-rollout',
  );
  expect(approvalRecorded).toMatchObject({
    comment: 'fault tests: approved, then the backend dies',
  });
  expect(Date.parse(record.startedAt)).toBeGreaterThanOrEqual(
    Date.parse(approvalRecorded.decidedAt),
  );
  const next = await release(APP, { cluster: 'dev' });
  await phaseReached('Waiting', 2 * MINUTE);
  await sleep(2 * TICK_MS);
  expect(await phase()).toBe('Waiting');
  const waiting = await summary();
  expect(waiting.state.kind).toBe('waiting-rollout-approval');
  expect(
    firstImage(await readDeployment('dev', NS, `${APP}-primary`)),
  ).not.toBe(next.image);
});

test('promote and roll back at the same moment: one wins, the other gets a clear conflict, both are recorded', async () => {
  await driveToWaitingPromotion('fault tests: on to the race');
  const revision = (await summary()).revision;
  const db = openDatabase();
  const lastAttempt = db
    .prepare('select coalesce(max(id), 0) as id from pd_action_attempts')
    .get().id;
  db.close();

  const [promote, rollback] = await Promise.all([
    act('promote', 'fault tests: Alice promotes'),
    act('rollback', 'fault tests: Bob rolls back'),
  ]);
  const answers = { promote: promote.status, rollback: rollback.status };
  expect(Object.values(answers).sort()).toEqual([200, 409]);
  const winner = promote.status === 200 ? 'promote' : 'rollback';
  const loser = await (promote.status === 409 ? promote : rollback).json();
  expect(loser.error.message).toMatch(/already decided/);
  expect(loser.error.message).toMatch(
    winner === 'promote' ? /promot/i : /roll ?back/i,
  );

  const attemptsDb = openDatabase();
  const attempts = attemptsDb
    .prepare(
      'select action, actor, outcome, revision, message, comment from pd_action_attempts where id > ? and cluster = ? and name = ? order by id',
    )
    .all(lastAttempt, 'dev', APP);
  const verdict = attemptsDb
    .prepare(
      "select action from pd_decisions where cluster = ? and name = ? and revision = ? and slot = 'verdict'",
    )
    .get('dev', APP, revision);
  attemptsDb.close();
  expect(attempts).toHaveLength(2);
  expect(attempts.map((a: any) => a.action).sort()).toEqual([
    'promote',
    'rollback',
  ]);
  const won = attempts.find((a: any) => a.action === winner);
  const lost = attempts.find((a: any) => a.action !== winner);
  expect(won).toMatchObject({
    outcome: 'accepted',
    actor: 'user:default/guest',
    revision,
  });
  expect(['conflict', 'invalid']).toContain(lost.outcome);
  expect(lost.message).toBe(loser.error.message);
  expect(verdict.action).toBe(winner);

  // Flagger carries out the winner's decision only.
  await phaseReached(winner === 'promote' ? 'Succeeded' : 'Failed', 2 * MINUTE);
  process.stderr.write(
    `[faults] race: ${JSON.stringify(answers)}; ${winner} won\n`,
  );
});

/** A webhook call as anyone can make it (no secret is configured), about hello-gated in dev. */
const forge = (path: string, body: Record<string, unknown>) =>
  fetch(`${backend.url}/api/progressive-delivery/webhooks/dev/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: APP, namespace: NS, ...body }),
  });

test('forged gate and event calls change no decision; Flagger still starts and promotes through the portal', async () => {
  await settleGated();
  await release(APP, { cluster: 'dev' });
  await phaseReached('Waiting', 2 * MINUTE);
  await actOrThrow(
    'approve-rollout',
    'fault tests: a person approves the start',
  );
  // Before Flagger's next check: a made-up phase (which once used up the approval) and a
  // made-up end of the rollout (which once closed the open decisions).
  const forgedStart = await forge('gates/confirm-rollout', {
    phase: 'Progressing',
  });
  const forgedEnd = await forge('event', {
    phase: 'Succeeded',
    eventType: 'Normal',
    eventMessage: 'Promotion completed! Scaling down hello-gated.tap-apps',
    timestamp: String(Date.parse('2020-01-01T00:00:00Z')),
  });
  // Answered from the watched canary (a yes, since a person approved), never a 5xx.
  expect(forgedStart.status).toBeLessThan(500);
  expect(forgedEnd.status).toBe(202);
  // The person's approval still stands for Flagger's own call.
  await phaseReached('Progressing', 2 * MINUTE);

  await phaseReached('WaitingPromotion', 3 * MINUTE);
  // A forged rollback and promotion ask: no person decided either, so both are a no.
  const forgedRollback = await forge('gates/rollback', {
    phase: 'Progressing',
  });
  const forgedPromotion = await forge('gates/confirm-promotion', {
    phase: 'WaitingPromotion',
  });
  expect([forgedRollback.status, forgedPromotion.status]).toEqual([403, 403]);
  // No name in an answer to a caller who proved nothing.
  expect(await forgedPromotion.text()).not.toMatch(/user:default/);
  await sleep(2 * TICK_MS);
  expect(await phase()).toBe('WaitingPromotion');

  await actOrThrow('promote', 'fault tests: a person promotes');
  await phaseReached('Succeeded', 2 * MINUTE);
  const record = await eventually(
    'the promoted rollout in the history',
    async () =>
      ((await api.history(APP)).items ?? []).find(
        (r: any) =>
          r.ref.cluster === 'dev' &&
          r.outcome === 'succeeded' &&
          r.decisions.some(
            (d: any) => d.comment === 'fault tests: a person promotes',
          ),
      ),
    { timeoutMs: 30 * SECOND },
  );
  // The rollout's decisions are the person's, each applied by Flagger's own call.
  expect(
    record.decisions
      .map((d: any) => [d.action, d.decidedBy, d.comment, Boolean(d.appliedAt)])
      .sort(),
  ).toEqual([
    [
      'approve-rollout',
      'user:default/guest',
      'fault tests: a person approves the start',
      true,
    ],
    ['promote', 'user:default/guest', 'fault tests: a person promotes', true],
  ]);
  // The forged end is kept as what Flagger's webhook said on arrival, never as when the rollout ended.
  expect(Date.parse(record.startedAt)).toBeGreaterThan(
    Date.parse('2021-01-01T00:00:00Z'),
  );
});
