/*
 * Fault: the backend's watches come back with a resourceVersion the API server no longer has,
 * so the real kube-apiserver answers 410 Gone. While the backend is cut off, objects are
 * deleted, created and changed, etcd is compacted and the API server restarted (its watch cache
 * starts over at the current revision). When the path returns, the backend must list again and
 * end up with exactly the cluster's objects: none lost, none twice, no change missed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient,
  KubeClient,
  SAMPLE_APPS,
  SAMPLE_NAMESPACE,
  startComponent,
  stopComponent,
} from '@progressive-delivery/sandbox';
import { clusterOf, itemOf, PortalApi } from '../harness/api';
import { RunningBackend } from '../harness/portal';
import { CuttableTcpProxy } from '../harness/proxies';
import { eventually, requireSandbox, settled } from '../harness/sandbox';
import {
  artifactsFor,
  MINUTE,
  proxyApiServer,
  SECOND,
  startFaultBackend,
  within,
} from './support';

const NS = 'pd-faults-watch';
const ENTITY = 'faults-watch-gone';
const LABEL = 'pd-faults';
const CANARIES = '/apis/flagger.app/v1beta1';

let backend: RunningBackend;
let proxy: CuttableTcpProxy;
let api: PortalApi;
let admin: KubeClient;
let etcdUrl: string;
let apiServerStopped = false;

jest.setTimeout(8 * MINUTE);

const canaryPath = (name: string) =>
  `${CANARIES}/namespaces/${NS}/canaries/${name}`;

/** A canary Flagger initializes and then leaves alone (suspended, its target never exists). */
function testCanary(name: string) {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: NS, labels: { [LABEL]: 'watch-gone' } },
    spec: {
      provider: 'kubernetes',
      suspend: true,
      targetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: `${name}-target`,
      },
      service: { port: 80 },
      analysis: { interval: '1m', threshold: 1, iterations: 1, metrics: [] },
    },
  };
}

async function createInitialized(name: string) {
  await admin.post(`${CANARIES}/namespaces/${NS}/canaries`, testCanary(name));
  await eventually(
    `Flagger to initialize ${name}`,
    async () =>
      (await admin.get(canaryPath(name))).status?.phase === 'Initializing',
    { timeoutMs: 30 * SECOND, intervalMs: 500 },
  );
}

async function setPhase(name: string, phase: string) {
  await admin.mergePatch(`${canaryPath(name)}/status`, { status: { phase } });
}

async function etcdRevision(): Promise<number> {
  const response = await fetch(`${etcdUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
  });
  return Number((await response.json()).header.revision);
}

async function deleteTestObjects() {
  const canaries = await admin.get(`${CANARIES}/namespaces/${NS}/canaries`);
  for (const canary of canaries.items)
    await admin.delete(canaryPath(canary.metadata.name), 0);
  const events = await admin.get(`/api/v1/namespaces/${NS}/events`);
  for (const event of events.items) {
    await admin.delete(
      `/api/v1/namespaces/${NS}/events/${event.metadata.name}`,
    );
  }
}

beforeAll(async () => {
  const info = requireSandbox();
  admin = adminClient('dev');
  etcdUrl = info.clusters.dev.etcdUrl;
  for (const app of SAMPLE_APPS)
    await settled('dev', SAMPLE_NAMESPACE, app.name);
  // The namespace is kept (empty) between runs.
  await admin.createIfAbsent({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
  await deleteTestObjects();
  for (const name of ['c1', 'c2', 'c3', 'c4', 'c5'])
    await createInitialized(name);

  const artifactsDir = artifactsFor('watch-gone');
  const catalogFile = join(artifactsDir, 'catalog.yaml');
  writeFileSync(
    catalogFile,
    [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      `  name: ${ENTITY}`,
      '  annotations:',
      '    progressive-delivery/workload-name: pd-faults-none',
      `    backstage.io/kubernetes-label-selector: ${LABEL}=watch-gone`,
      'spec:',
      '  type: service',
      '  lifecycle: experimental',
      '  owner: group:default/team-delivery',
    ].join('\n'),
  );
  proxy = await proxyApiServer(info);
  ({ backend, api } = await startFaultBackend(info, {
    artifactsDir,
    entity: ENTITY,
    config: { apiServerUrls: { dev: proxy.url }, catalogFiles: [catalogFile] },
  }));
}, 5 * MINUTE);

afterAll(async () => {
  if (apiServerStopped) await startComponent('dev', 'kube-apiserver');
  await backend?.stop();
  await proxy?.close();
  if (admin) await deleteTestObjects();
});

const names = (list: any) =>
  list.items.map((item: any) => item.ref.name).sort();

test('a watch that ends in 410 Gone on the real API server: the backend lists again, nothing lost, nothing twice', async () => {
  const before = await eventually(
    'the backend to list the five initialized test canaries',
    async () => {
      const list = await api.canaries(ENTITY);
      return list.items.length === 5 &&
        list.items.every((i: any) => i.rawPhase === 'Initializing')
        ? list
        : undefined;
    },
    { timeoutMs: 30 * SECOND, intervalMs: 500 },
  );
  expect(names(before)).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);

  // Cut the backend off; everything it holds is at or before this revision.
  proxy.cut();
  const revisionAtCut = await etcdRevision();
  await within('dev to be reported unavailable', 12 * SECOND, async () =>
    clusterOf(await api.canaries(ENTITY), 'dev').status === 'error'
      ? true
      : undefined,
  );

  // What happens while it cannot see: a deletion, a creation, a status change, an event.
  await admin.delete(canaryPath('c1'), 0);
  await createInitialized('c6');
  await setPhase('c2', 'Waiting');
  const eventMessage = `written while the backend was cut off (${Date.now()})`;
  await admin.post(`/api/v1/namespaces/${NS}/events`, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `c3.fault-${Date.now()}`, namespace: NS },
    involvedObject: {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      name: 'c3',
      namespace: NS,
    },
    reason: 'Synced',
    message: eventMessage,
    type: 'Normal',
    count: 1,
    firstTimestamp: new Date().toISOString(),
    lastTimestamp: new Date().toISOString(),
    source: { component: 'pd-faults-test' },
  });

  // Make every resourceVersion the backend holds too old: compact etcd up to now and restart
  // the API server, whose watch cache then starts at the current revision.
  const compactTo = await etcdRevision();
  const compaction = await fetch(`${etcdUrl}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: String(compactTo), physical: true }),
  });
  expect(compaction.ok).toBe(true);
  await stopComponent('dev', 'kube-apiserver');
  apiServerStopped = true;
  await startComponent('dev', 'kube-apiserver');
  apiServerStopped = false;

  // The real server now answers a watch from the backend's newest possible revision with 410
  // (right after a restart it first answers 429 "storage is (re)initializing" for a moment).
  const goneAnswer = await eventually(
    'the restarted API server to answer an old watch with 410 Gone',
    async () => {
      const watch = await admin.request(
        'GET',
        `${CANARIES}/canaries?watch=true&allowWatchBookmarks=true&timeoutSeconds=5&resourceVersion=${revisionAtCut}`,
        undefined,
        undefined,
        20_000,
      );
      if (watch.status === 429 || watch.status >= 500) return undefined;
      const gone =
        watch.status === 410 ||
        watch.body
          .split('\n')
          .filter(Boolean)
          .some(line => {
            const event = JSON.parse(line);
            return event.type === 'ERROR' && event.object?.code === 410;
          });
      return { status: watch.status, gone, body: watch.body.slice(0, 300) };
    },
    { timeoutMs: 30 * SECOND, intervalMs: 500 },
  );
  expect(goneAnswer).toMatchObject({ gone: true });

  // The path returns: the backend relists and holds exactly the cluster's objects.
  proxy.restore();
  const after = await within(
    'the backend to catch up after 410 Gone',
    20 * SECOND,
    async () => {
      const list = await api.canaries(ENTITY);
      return clusterOf(list, 'dev').status === 'ok' &&
        names(list).join() === 'c2,c3,c4,c5,c6'
        ? list
        : undefined;
    },
  );
  const list = after.value;
  // It got there through the 410, not through a watch that happened to resume.
  expect(readFileSync(backend.logFile, 'utf8')).toContain(
    'The canaries watch of cluster dev expired (410 Gone); listing them again',
  );
  expect(list.items).toHaveLength(5);
  expect(list.items.every((i: any) => i.fresh)).toBe(true);
  expect(itemOf(list, 'dev', 'c2').rawPhase).toBe('Waiting');
  expect(itemOf(list, 'dev', 'c6').rawPhase).toBe('Initializing');
  const c3Events = itemOf(list, 'dev', 'c3').events.map((e: any) => e.message);
  expect(c3Events.filter((m: string) => m === eventMessage)).toHaveLength(1);
  for (const item of list.items) {
    const keys = item.events.map((e: any) => `${e.message}|${e.firstSeen}`);
    expect(new Set(keys).size).toBe(keys.length);
  }

  // The watch runs again from the new list: a change after recovery arrives promptly.
  await setPhase('c4', 'Waiting');
  const live = await within(
    'a change after recovery to arrive',
    5 * SECOND,
    async () =>
      itemOf(await api.canaries(ENTITY), 'dev', 'c4').rawPhase === 'Waiting'
        ? true
        : undefined,
  );
  process.stderr.write(
    `[faults] after 410 Gone the backend held the cluster's objects ${after.ms} ms after its path returned; a later change took ${live.ms} ms\n`,
  );
});
