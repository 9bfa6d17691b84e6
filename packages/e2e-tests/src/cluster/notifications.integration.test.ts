/*
 * Backstage notifications of a gated release, end to end below the browser: the repository's
 * backend (with the real notifications and signals backends) on the port the sandbox's Flagger
 * calls, and the real Flagger driving hello-gated, whose gates this portal answers.
 * - a release waiting for approval to start notifies the owners of hello-gated (the guest is a
 *   member of team-delivery) once, with a link to the entity's tab;
 * - once approved, it waits for promotion approval: a second notification;
 * - rolled back through the portal, it fails: a third, saying what rolled it back and how far
 *   it got.
 * The notifications are read back from the notifications backend's REST API as the guest.
 */
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { PortalApi } from '../harness/api';
import { RunningBackend, startBackend } from '../harness/portal';
import {
  eventually,
  readCanary,
  requireSandbox,
  sandboxCredentialsEnv,
  settledThroughPortal,
} from '../harness/sandbox';
import { artifactsFor, MINUTE, SECOND, signInAsOwner } from '../faults/support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
const TAB = `/catalog/default/component/${APP}/progressive-delivery`;

jest.setTimeout(12 * MINUTE);

let backend: RunningBackend;
let api: PortalApi;

async function phase(): Promise<string | undefined> {
  return (await readCanary('dev', NS, APP)).status?.phase;
}

async function phaseBecomes(wanted: string, timeoutMs: number) {
  return eventually(
    `${APP} to reach ${wanted}`,
    async () => ((await phase()) === wanted ? wanted : undefined),
    { timeoutMs, intervalMs: 1000 },
  );
}

/**
 * The guest's notifications of this plugin's topic sent since `since` about the release of
 * `image`, newest first. A backend that starts also tells of a rollback it finds from the hour
 * before (another test's release): those name another image.
 */
async function notificationsOf(image: string, since: number): Promise<any[]> {
  const response = await fetch(
    `${backend.url}/api/notifications/notifications?topic=progressive-delivery&limit=50`,
    { headers: { authorization: `Bearer ${api.token}` } },
  );
  if (!response.ok) {
    throw new Error(
      `GET /api/notifications/notifications answered ${
        response.status
      }: ${await response.text()}`,
    );
  }
  const body = await response.json();
  return body.notifications.filter(
    (n: any) =>
      Date.parse(n.created) >= since - SECOND &&
      // the whole reference: hello-gated:v1 is not hello-gated:v12
      new RegExp(
        `${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-])`,
      ).test(String(n.payload.description)),
  );
}

async function notified(title: string, image: string, since: number) {
  return eventually(
    `a notification "${title}" about ${image}`,
    async () =>
      (await notificationsOf(image, since)).find(
        (n: any) => n.payload.title === title,
      ),
    { timeoutMs: MINUTE, intervalMs: 1000 },
  );
}

beforeAll(async () => {
  const info = requireSandbox();
  backend = await startBackend({
    artifactsDir: artifactsFor('notifications'),
    env: sandboxCredentialsEnv(info),
  });
  api = await signInAsOwner(backend.url);
}, 5 * MINUTE);

afterAll(async () => {
  await backend?.stop();
});

describe('notifications of a release whose gates the portal answers', () => {
  it('tells the owners once when it waits to start, waits for promotion, and is rolled back', async () => {
    await eventually(
      `the backend to list ${APP}`,
      async () =>
        (
          await api.canaries(APP)
        ).items.some(
          (item: any) => item.ref.cluster === 'dev' && item.ref.name === APP,
        ) || undefined,
      { timeoutMs: 2 * MINUTE },
    );
    // A release left running by an interrupted run is ended through the portal first.
    await settledThroughPortal('dev', NS, APP, action =>
      api.act('dev', NS, APP, action, { entity: APP }),
    );
    const since = Date.now();
    const { image } = await release(APP, { cluster: 'dev' });
    await phaseBecomes('Waiting', 3 * MINUTE);

    const waiting = await notified(
      'Release of hello-gated waits for approval to start its rollout',
      image,
      since,
    );
    expect(waiting.payload).toMatchObject({
      severity: 'high',
      topic: 'progressive-delivery',
    });
    expect(waiting.payload.link).toBe(`${TAB}#pd-row-dev-${NS}-${APP}`);
    expect(waiting.payload.description).toContain(
      'Waiting for approval to start the rollout',
    );

    const approve = await api.act('dev', NS, APP, 'approve-rollout', {
      entity: APP,
      comment: 'notifications test',
    });
    expect(approve.status).toBe(200);
    await phaseBecomes('WaitingPromotion', 5 * MINUTE);
    await notified(
      'Release of hello-gated waits for promotion approval',
      image,
      since,
    );

    const rollback = await api.act('dev', NS, APP, 'rollback', {
      entity: APP,
      comment: 'notifications test',
    });
    expect(rollback.status).toBe(200);
    await phaseBecomes('Failed', 3 * MINUTE);
    const failed = await notified(
      'Release of hello-gated was rolled back',
      image,
      since,
    );
    expect(failed.payload.severity).toBe('critical');
    expect(failed.payload.description).toMatch(/Rolled back/);

    // Each state once, although Flagger asked the gates and the watch reported many times.
    const titles = (await notificationsOf(image, since)).map(
      (n: any) => n.payload.title,
    );
    for (const title of new Set(titles)) {
      expect(titles.filter(t => t === title)).toHaveLength(1);
    }
    // The tab's row tells how far the rolled-back release got, though Flagger reset its status.
    const summary = (await api.canaries(APP)).items.find(
      (item: any) => item.ref.cluster === 'dev' && item.ref.name === APP,
    );
    expect(summary.checks.failedChecks).toBe(0);
    expect(summary.rollback).toMatchObject({
      reachedStep: summary.traffic.totalSteps,
    });
    expect(summary.trigger).toMatchObject({ kind: 'image' });
  });

  it('offers the same release to an agent through the MCP actions endpoint', async () => {
    const rpc = async (method: string, params: object) => {
      const response = await fetch(`${backend.url}/api/mcp-actions/v1`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      const data = text.includes('data:')
        ? text
            .split('\n')
            .filter(line => line.startsWith('data:'))
            .map(line => line.slice(5))
            .join('')
        : text;
      return JSON.parse(data).result;
    };
    const tools = await rpc('tools/list', {});
    expect(tools.tools.map((t: any) => t.name)).toContain(
      'progressive-delivery.describe-release',
    );
    const answer = await rpc('tools/call', {
      name: 'progressive-delivery.describe-release',
      arguments: {
        entityRef: `component:default/${APP}`,
        cluster: 'dev',
        namespace: NS,
        name: APP,
      },
    });
    expect(answer.isError).toBeFalsy();
    const described = JSON.parse(answer.content[0].text).release;
    expect(described).toMatchObject({ name: APP, cluster: 'dev' });
    expect(described.metrics.length).toBeGreaterThan(0);
  });
});
