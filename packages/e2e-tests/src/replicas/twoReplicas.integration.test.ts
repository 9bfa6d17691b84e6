/*
 * Two backend replicas on one PostgreSQL database, as behind a load balancer in production,
 * with the real Flagger of the sandbox: a decision made through replica A is answered by
 * replica B when Flagger calls B's gates, each replica's push channel reports it, and a
 * replica that dies right after taking a decision loses nothing.
 */
import { spawnSync } from 'node:child_process';
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { RunningBackend, startBackend } from '../harness/portal';
import {
  eventually,
  readCanary,
  requireSandbox,
  sandboxCredentialsEnv,
  settledThroughPortal,
} from '../harness/sandbox';
import { EventStream } from '../harness/stream';
import { artifactsFor, MINUTE, SECOND, signInAsOwner } from '../faults/support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
/** Replica B listens where the sandbox's Flagger sends its gate calls. */
const PORT_B = 7007;
const PORT_A = 7027;

const postgres =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const prefix = `pd_replicas_${Date.now()}_`;

function psql(sql: string): string {
  const result = spawnSync('psql', [postgres!, '-At', '-c', sql], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`psql: ${result.stderr}`);
  return result.stdout;
}

async function phase(): Promise<string | undefined> {
  return (await readCanary('dev', NS, APP)).status?.phase;
}

async function phaseBecomes(wanted: string, timeoutMs: number) {
  return eventually(
    `${APP} to reach ${wanted}`,
    async () => ((await phase()) === wanted ? wanted : undefined),
    {
      timeoutMs,
      intervalMs: 1000,
    },
  );
}

/** A message about the gated canary on `stream` received after `since`. */
function heardAbout(stream: EventStream, since: number) {
  return stream.messages.find(
    message => message.receivedAt >= since && message.data?.ref?.name === APP,
  );
}

describe('two backend replicas on one PostgreSQL', () => {
  const artifactsDir = artifactsFor('replicas');
  const replicas: RunningBackend[] = [];
  const streams: EventStream[] = [];

  beforeAll(async () => {
    if (!postgres) {
      throw new Error(
        'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set; `npm test` starts PostgreSQL on loopback and sets it.',
      );
    }
    const info = requireSandbox();
    const database = [
      '  database:',
      '    client: pg',
      `    connection: ${postgres}`,
      `    prefix: ${prefix}`,
    ].join('\n');
    for (const [name, port] of [
      ['replica-a', PORT_A],
      ['replica-b', PORT_B],
    ] as const) {
      replicas.push(
        await startBackend({
          artifactsDir,
          name,
          port,
          env: sandboxCredentialsEnv(info),
          extraConfig: database,
        }),
      );
    }
  }, 5 * MINUTE);

  afterAll(async () => {
    streams.forEach(stream => stream.close());
    for (const replica of replicas) await replica.stop();
    if (postgres) {
      for (const name of psql(
        `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`,
      )
        .split('\n')
        .filter(Boolean)) {
        psql(`DROP DATABASE IF EXISTS "${name}"`);
      }
    }
  }, 2 * MINUTE);

  it(
    'answers through B what was decided through A, pushes it on both, and survives A dying',
    async () => {
      const [replicaA, replicaB] = replicas;
      const apiA = await signInAsOwner(replicaA.url);
      const apiB = await signInAsOwner(replicaB.url);
      // Both replicas are one portal: both migrated the same database and see the same canary.
      for (const api of [apiA, apiB]) {
        await eventually(
          `${api.baseUrl} to list ${APP}`,
          async () =>
            (
              await api.canaries(APP)
            ).items.some(
              (item: any) =>
                item.ref.cluster === 'dev' && item.ref.name === APP,
            ) || undefined,
          { timeoutMs: 2 * MINUTE },
        );
      }
      for (const api of [apiA, apiB]) {
        streams.push(await EventStream.open(api.streamUrl(APP), api.token));
      }
      const [streamA, streamB] = streams;

      // A release already waiting for approval (left by an interrupted run) serves as well.
      if ((await phase()) !== 'Waiting') {
        await settledThroughPortal('dev', NS, APP, action =>
          apiA.act('dev', NS, APP, action, { entity: APP }),
        );
        await release(APP, { cluster: 'dev' });
        await phaseBecomes('Waiting', 3 * MINUTE);
      }

      // Approved through A; Flagger asks B, which answers yes from the shared database.
      const approvedAt = Date.now();
      const approve = await apiA.act('dev', NS, APP, 'approve-rollout', {
        entity: APP,
        comment: 'approved through replica A',
      });
      expect(approve.status).toBe(200);
      const seenByB = await apiB.json(
        `/canaries/dev/${NS}/${APP}?entityRef=${encodeURIComponent(
          `component:default/${APP}`,
        )}`,
      );
      expect(seenByB.summary.pendingDecision).toMatchObject({
        action: 'approve-rollout',
        comment: 'approved through replica A',
      });
      await eventually(
        "a push about A's approval on both replicas",
        async () =>
          (heardAbout(streamA, approvedAt) &&
            heardAbout(streamB, approvedAt)) ||
          undefined,
        { timeoutMs: 10 * SECOND, intervalMs: 200 },
      );
      await eventually(
        'Flagger to start the rollout after asking replica B',
        async () =>
          ['Progressing', 'WaitingPromotion'].includes((await phase()) ?? '') ||
          undefined,
        { timeoutMs: 3 * MINUTE },
      );

      // Promoted through A, and A dies at once: B still answers Flagger's confirm-promotion.
      await phaseBecomes('WaitingPromotion', 4 * MINUTE);
      const promote = await apiA.act('dev', NS, APP, 'promote', {
        entity: APP,
        comment: 'promoted through replica A, which then died',
      });
      expect(promote.status).toBe(200);
      await replicaA.kill();
      await phaseBecomes('Succeeded', 4 * MINUTE);

      // Nothing A took is lost: B lists both decisions in the rollout's record, the approval
      // (kept on the previous revision's key while Flagger waited) and the promotion.
      const history = await eventually(
        'the rollout in the history served by B',
        async () => {
          const records = (await apiB.history(APP)).items ?? [];
          const text = JSON.stringify(records);
          return text.includes('promoted through replica A, which then died')
            ? records
            : undefined;
        },
        { timeoutMs: MINUTE },
      );
      expect(history[0]).toMatchObject({ outcome: 'succeeded' });
      expect(
        history[0].decisions.map((d: any) => [d.action, d.comment]),
      ).toEqual([
        ['approve-rollout', 'approved through replica A'],
        ['promote', 'promoted through replica A, which then died'],
      ]);
      expect(streamB.endedEarly).toBeUndefined();
    },
    15 * MINUTE,
  );
});
