/*
 * Fault: a cluster's API server is killed and restarted in the middle of a rollout, and the
 * backend stays blind to it (a cut network path) while Flagger finishes the rollout. The
 * backend must say within seconds that the cluster is unavailable, keep serving the canary it
 * last saw marked stale, find its way back without a restart, and catch up on what it missed.
 */
import {
  release,
  SAMPLE_NAMESPACE,
  startComponent,
  stopComponent,
} from '@progressive-delivery/sandbox';
import { clusterOf, itemOf, PortalApi } from '../harness/api';
import { RunningBackend } from '../harness/portal';
import { CuttableTcpProxy } from '../harness/proxies';
import {
  eventually,
  readCanary,
  requireSandbox,
  settled,
} from '../harness/sandbox';
import { EventStream } from '../harness/stream';
import {
  artifactsFor,
  componentHealthy,
  MINUTE,
  proxyApiServer,
  SECOND,
  startFaultBackend,
  within,
} from './support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-contour';
/** The backend probes each API server every 5 s with a 3 s timeout; a failed watch is seen at once. */
const UNAVAILABLE_WITHIN_MS = 12 * SECOND;
/** Probe interval plus one relist. */
const RECOVERED_WITHIN_MS = 15 * SECOND;

let backend: RunningBackend;
let proxy: CuttableTcpProxy;
let api: PortalApi;
let apiServerStopped = false;

jest.setTimeout(10 * MINUTE);

beforeAll(async () => {
  const info = requireSandbox();
  await settled('dev', NS, APP);
  proxy = await proxyApiServer(info);
  ({ backend, api } = await startFaultBackend(info, {
    artifactsDir: artifactsFor('api-server-outage'),
    entity: APP,
    config: { apiServerUrls: { dev: proxy.url } },
  }));
}, 5 * MINUTE);

afterAll(async () => {
  if (apiServerStopped) await startComponent('dev', 'kube-apiserver');
  await backend?.stop();
  await proxy?.close();
  await settled('dev', NS, APP);
});

test('an API server killed during a rollout: unavailable within seconds, stale state served, no missed phase after it returns', async () => {
  const stream = await EventStream.open(api.streamUrl(APP), api.token);
  const released = await release(APP, { cluster: 'dev' });
  const progressing = await eventually(
    'the backend to see the rollout progressing',
    async () => {
      const item = itemOf(await api.canaries(APP), 'dev', APP);
      return item?.phase === 'Progressing' ? item : undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 500 },
  );
  expect(progressing.fresh).toBe(true);

  // 1. The API server dies: the cluster is reported unavailable within seconds.
  await stopComponent('dev', 'kube-apiserver');
  apiServerStopped = true;
  const down = await within(
    'dev to be reported unavailable',
    UNAVAILABLE_WITHIN_MS,
    async () => {
      const list = await api.canaries(APP);
      return clusterOf(list, 'dev').status === 'error' ? list : undefined;
    },
  );
  expect(clusterOf(down.value, 'dev').error).toMatch(/\S/);
  // The last known canary is still served, marked stale; the other cluster is unaffected.
  const stale = itemOf(down.value, 'dev', APP);
  expect(stale).toMatchObject({ phase: 'Progressing', fresh: false });
  expect(clusterOf(down.value, 'prod').status).toBe('ok');
  expect(itemOf(down.value, 'prod', APP).fresh).toBe(true);

  // 2. The API server comes back, but the backend's path to it stays cut while Flagger finishes.
  proxy.cut();
  await startComponent('dev', 'kube-apiserver');
  apiServerStopped = false;
  expect(await componentHealthy('dev', 'kube-apiserver')).toBe(true);
  const finished = await eventually(
    'Flagger to finish the rollout while the backend is blind',
    async () => {
      const phase = (await readCanary('dev', NS, APP)).status?.phase;
      return ['Succeeded', 'Failed'].includes(phase) ? phase : undefined;
    },
    { timeoutMs: 4 * MINUTE, intervalMs: 1000 },
  );
  expect(finished).toBe('Succeeded');
  const blind = await api.canaries(APP);
  expect(clusterOf(blind, 'dev').status).toBe('error');
  expect(itemOf(blind, 'dev', APP)).toMatchObject({
    phase: 'Progressing',
    fresh: false,
  });

  // 3. The path returns: the same backend process resumes and catches up on the missed phases.
  const pid = backend.pid;
  const restoredAt = Date.now();
  proxy.restore();
  const back = await within(
    'dev to be fresh again',
    RECOVERED_WITHIN_MS,
    async () => {
      const list = await api.canaries(APP);
      const item = itemOf(list, 'dev', APP);
      return clusterOf(list, 'dev').status === 'ok' && item?.fresh
        ? item
        : undefined;
    },
  );
  expect(back.value.phase).toBe('Succeeded');
  expect(back.value.primary.images.map((i: any) => i.image)).toContain(
    released.image,
  );
  expect(backend.pid).toBe(pid);

  // The rollout that ended while the backend was blind is in the history, ended, not left open.
  const history = await eventually(
    'the history to record the rollout as succeeded',
    async () => {
      const records = (await api.history(APP)).items.filter(
        (r: any) =>
          r.ref.cluster === 'dev' && r.images.includes(released.image),
      );
      return records.length > 0 &&
        records.every((r: any) => r.outcome !== 'in-progress')
        ? records
        : undefined;
    },
    { timeoutMs: 30 * SECOND },
  );
  expect(history).toHaveLength(1);
  expect(history[0].outcome).toBe('succeeded');

  // Subscribers were told the cluster went away and came back, and that the canary changed.
  const afterRestore = stream.messages.filter(m => m.receivedAt >= restoredAt);
  expect(
    stream.messages.some(
      m => m.data.type === 'cluster-changed' && m.data.cluster === 'dev',
    ),
  ).toBe(true);
  expect(
    afterRestore.some(
      m =>
        m.data.type === 'canary-changed' &&
        m.data.ref?.cluster === 'dev' &&
        m.data.ref?.name === APP,
    ),
  ).toBe(true);
  expect(stream.endedEarly).toBeUndefined();
  stream.close();
  process.stderr.write(
    `[faults] dev reported unavailable after ${down.ms} ms; fresh again ${back.ms} ms after its path returned\n`,
  );
});
