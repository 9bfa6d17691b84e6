/*
 * A new user's canaries on the sandbox, in the forms of Flagger's own documentation rather than
 * the sample apps: podinfo's Deployment from Flagger's kustomize base and the Canary of its
 * Kubernetes blue-green tutorial, in a namespace of their own, with the loadtester webhooks the
 * docs use. Everything below Flagger is the real kube-controller-manager (Deployments,
 * ReplicaSets, the namespace's ServiceAccount) and the simulated node.
 * - Flagger initializes the canary and promotes a new revision, and the backend's summary
 *   follows the phases;
 * - a revision whose pre-rollout acceptance test fails is held at no traffic, then rolled back;
 * - a release behind the loadtester's manual gate waits until the gate is opened through the
 *   loadtester's /gate/open.
 * Shortened from the tutorial only where its times would make a test take minutes: interval
 * 10s, 3 iterations, no HPA (no metrics server runs).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  adminClient,
  ANNOTATIONS,
  flaggerModuleFile,
  KubeObject,
  LOADTESTER_URL,
  objectsInMarkdown,
  objectsInYaml,
  request,
  SandboxInfo,
} from '@progressive-delivery/sandbox';
import { itemOf, PortalApi } from '../harness/api';
import { RunningBackend } from '../harness/portal';
import {
  eventually,
  firstImage,
  readCanary,
  readDeployment,
  requireSandbox,
} from '../harness/sandbox';
import {
  artifactsFor,
  MINUTE,
  SECOND,
  startFaultBackend,
} from '../faults/support';

const NS = `docs-${Date.now().toString(36)}`;
const ENTITY = 'flagger-docs-podinfo';
const client = adminClient('dev');

let info: SandboxInfo;
let backend: RunningBackend;
let api: PortalApi;

jest.setTimeout(10 * MINUTE);

/** Flagger's podinfo Deployment (kustomize/podinfo/deployment.yaml), renamed to `name`. */
function podinfoDeployment(name: string): KubeObject {
  const [deployment] = objectsInYaml(
    flaggerModuleFile('kustomize/podinfo/deployment.yaml'),
  );
  const text = JSON.stringify(deployment).replace(
    /"podinfo"/g,
    JSON.stringify(name),
  );
  const renamed = JSON.parse(text);
  renamed.metadata.namespace = NS;
  return renamed;
}

/** The Canary of Flagger's Kubernetes blue-green tutorial, for `name` in this test's namespace. */
function tutorialCanary(name: string, webhooks?: unknown[]): any {
  const canary: any = objectsInMarkdown(
    flaggerModuleFile('docs/gitbook/tutorials/kubernetes-blue-green.md'),
  ).find(o => o.kind === 'Canary');
  const docs = JSON.parse(
    JSON.stringify(canary)
      .replace(/podinfo-canary\.test/g, `${name}-canary.${NS}`)
      .replace(/"podinfo"/g, JSON.stringify(name)),
  );
  docs.metadata.namespace = NS;
  delete docs.spec.autoscalerRef;
  docs.spec.analysis.interval = '10s';
  docs.spec.analysis.iterations = 3;
  if (webhooks) docs.spec.analysis.webhooks = webhooks;
  return docs;
}

/** What `kubectl set image` does, plus the behaviour annotations the simulated pods obey. */
async function setImage(
  name: string,
  image: string,
  behaviour: { errorRate?: number } = {},
) {
  const path = `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
  const deployment = await client.get(path);
  const containers = deployment.spec.template.spec.containers.map(
    (c: any, i: number) => (i === 0 ? { ...c, image } : c),
  );
  await client.mergePatch(path, {
    spec: {
      template: {
        metadata: {
          annotations: {
            [ANNOTATIONS.errorRate]: String(behaviour.errorRate ?? 0),
          },
        },
        spec: { containers },
      },
    },
  });
}

const phaseOf = async (name: string) =>
  (await readCanary('dev', NS, name)).status?.phase as string | undefined;

async function phaseReached(name: string, wanted: string, timeoutMs: number) {
  await eventually(
    `dev/${NS}/${name} to reach ${wanted}`,
    async () => (await phaseOf(name)) === wanted,
    { timeoutMs, intervalMs: 1000 },
  );
}

/** The backend's summary of one of this test's canaries. */
async function summaryOf(name: string) {
  return itemOf(await api.canaries(ENTITY), 'dev', name);
}

/** Waits until the backend's summary shows `phase` (it follows the cluster within seconds). */
async function summaryShows(name: string, phase: string) {
  return eventually(
    `the backend's summary of ${name} to show ${phase}`,
    async () => {
      const summary = await summaryOf(name);
      return summary?.phase === phase ? summary : undefined;
    },
    { timeoutMs: 30 * SECOND, intervalMs: 500 },
  );
}

async function eventsOf(name: string): Promise<string[]> {
  const selector = encodeURIComponent(
    `involvedObject.kind=Canary,involvedObject.name=${name}`,
  );
  const list = await client.get(
    `/api/v1/namespaces/${NS}/events?fieldSelector=${selector}`,
  );
  return list.items.map((e: any) => `${e.type}: ${e.message}`);
}

const CHECKED = 'podinfo-checked';
const GATED = 'podinfo-gated';
const acceptanceTest = (name: string) => ({
  name: 'acceptance-test',
  type: 'pre-rollout',
  url: `${LOADTESTER_URL}/`,
  timeout: '15s',
  metadata: { type: 'bash', cmd: `curl -sf http://${name}-canary.${NS}:9898/` },
});

beforeAll(async () => {
  info = requireSandbox();
  await client.post('/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS },
  });
  // Straight after the namespace, as a user would apply them: nobody creates the
  // ServiceAccount `default` by hand.
  for (const name of ['podinfo', CHECKED, GATED]) {
    await client.post(
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      podinfoDeployment(name),
    );
  }
  await client.post(
    `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`,
    tutorialCanary('podinfo'),
  );
  await client.post(
    `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`,
    tutorialCanary(CHECKED, [acceptanceTest(CHECKED)]),
  );
  await client.post(
    `/apis/flagger.app/v1beta1/namespaces/${NS}/canaries`,
    // Flagger's docs, "Manual Gating": confirm-rollout against the loadtester's gate.
    tutorialCanary(GATED, [
      {
        name: 'gate',
        type: 'confirm-rollout',
        url: `${LOADTESTER_URL}/gate/check`,
      },
    ]),
  );

  const artifactsDir = artifactsFor('flagger-docs');
  const catalogFile = join(artifactsDir, 'catalog.yaml');
  writeFileSync(
    catalogFile,
    [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      `  name: ${ENTITY}`,
      '  annotations:',
      `    progressive-delivery/canaries: ${['podinfo', CHECKED, GATED]
        .map(n => `dev/${NS}/${n}`)
        .join(',')}`,
      'spec:',
      '  type: service',
      '  lifecycle: experimental',
      '  owner: group:default/team-delivery',
      '',
    ].join('\n'),
  );
  ({ backend, api } = await startFaultBackend(info, {
    artifactsDir,
    entity: ENTITY,
    config: { catalogFiles: [catalogFile] },
  }));
}, 5 * MINUTE);

afterAll(async () => {
  await backend?.stop();
  // The controller manager's namespace controller and garbage collector clean up the rest.
  await client.delete(`/api/v1/namespaces/${NS}`);
});

describe("canaries in the forms of Flagger's docs, in a new namespace", () => {
  it('are initialized by Flagger on the controller manager’s Deployments and promoted', async () => {
    // The controller manager made the namespace's ServiceAccount, so the pods were admitted.
    expect(
      await client.find(`/api/v1/namespaces/${NS}/serviceaccounts/default`),
    ).toBeDefined();
    await phaseReached('podinfo', 'Initialized', 3 * MINUTE);
    const initialized = await summaryShows('podinfo', 'Initialized');
    expect(initialized.state.kind).toBe('idle');
    const primary = await readDeployment('dev', NS, 'podinfo-primary');
    expect(primary.status).toMatchObject({
      observedGeneration: primary.metadata.generation,
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    expect(
      primary.status.conditions.find((c: any) => c.type === 'Progressing'),
    ).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    // Flagger scaled the target to zero; the ReplicaSet controller removed its pods.
    const target = await readDeployment('dev', NS, 'podinfo');
    expect(target.spec.replicas).toBe(0);
    const pods = await client.get(
      `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dpodinfo`,
    );
    expect(pods.items).toEqual([]);

    await setImage('podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await phaseReached('podinfo', 'Progressing', 2 * MINUTE);
    const progressing = await summaryShows('podinfo', 'Progressing');
    expect(progressing.state.kind).toBe('progressing');
    await phaseReached('podinfo', 'Succeeded', 4 * MINUTE);
    const succeeded = await summaryShows('podinfo', 'Succeeded');
    expect(succeeded.state.kind).toBe('succeeded');
    expect(firstImage(await readDeployment('dev', NS, 'podinfo-primary'))).toBe(
      'ghcr.io/stefanprodan/podinfo:6.0.1',
    );
    const events = await eventsOf('podinfo');
    expect(events).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Pre-rollout check smoke-test passed/),
        expect.stringMatching(
          /Advance podinfo\.docs-\w+ canary iteration 3\/3/,
        ),
        expect.stringMatching(/Promotion completed!/),
      ]),
    );
  });

  it('holds a release whose pre-rollout acceptance test fails, then rolls it back', async () => {
    await phaseReached(CHECKED, 'Initialized', 3 * MINUTE);
    await setImage(CHECKED, 'ghcr.io/stefanprodan/podinfo:6.0.2', {
      errorRate: 1,
    });
    const halted = await eventually(
      `${CHECKED} to be held by its acceptance test`,
      async () => {
        const canary = await readCanary('dev', NS, CHECKED);
        return canary.status?.phase === 'Progressing' &&
          canary.status.failedChecks > 0
          ? canary
          : undefined;
      },
      { timeoutMs: 2 * MINUTE, intervalMs: 500 },
    );
    // Held: no traffic moved to the canary.
    expect(halted.status.canaryWeight ?? 0).toBe(0);
    const held = await summaryShows(CHECKED, 'Progressing');
    expect(held.checks.failedChecks).toBeGreaterThan(0);
    // The state names what holds the release, in Flagger's words (before the next tick rolls it back).
    const blocked = await eventually(
      `the summary of ${CHECKED} to name its failing acceptance test`,
      async () => {
        const summary = await summaryOf(CHECKED);
        return summary?.state.blockedBy?.kind === 'webhook-failed'
          ? summary
          : undefined;
      },
      { timeoutMs: 15 * SECOND, intervalMs: 250 },
    );
    expect(blocked.state.headline).toBe(
      'Held: pre-rollout check acceptance-test failing',
    );
    expect(blocked.state.blockedBy?.webhook).toMatchObject({
      name: 'acceptance-test',
      type: 'pre-rollout',
    });
    expect(blocked.state.detail).toContain(
      `pre-rollout check acceptance-test failed POST ${LOADTESTER_URL}/ giving up after 1 attempt(s)`,
    );
    const target = `${CHECKED}\\.${NS}`;
    // Flagger's words: for a non-2xx answer its HTTP client reports only that it gave up, not
    // the loadtester's body, so the command's failure is in the loadtester's log.
    expect(await eventsOf(CHECKED)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^Warning: Halt ${target} advancement pre-rollout check acceptance-test failed POST ${LOADTESTER_URL.replace(
              /\./g,
              '\\.',
            )}/ giving up after 1 attempt\\(s\\)$`,
          ),
        ),
      ]),
    );
    const loadtesterLog = readFileSync(
      join(info.clusters.dev.logDir, 'loadtester.log'),
      'utf8',
    );
    expect(loadtesterLog).toContain(
      `command failed curl -sf http://${CHECKED}-canary.${NS}:9898/ exit status 22`,
    );
    await phaseReached(CHECKED, 'Failed', 2 * MINUTE);
    expect((await summaryShows(CHECKED, 'Failed')).state.kind).toBe('failed');
    expect(await eventsOf(CHECKED)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `Rolling back ${target} failed checks threshold reached 2`,
          ),
        ),
      ]),
    );
    expect(
      firstImage(await readDeployment('dev', NS, `${CHECKED}-primary`)),
    ).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
  });

  it("waits on the loadtester's manual gate until it is opened through /gate/open", async () => {
    await phaseReached(GATED, 'Initialized', 3 * MINUTE);
    await setImage(GATED, 'ghcr.io/stefanprodan/podinfo:6.0.1');
    await phaseReached(GATED, 'Waiting', 2 * MINUTE);
    const waiting = await summaryShows(GATED, 'Waiting');
    expect(waiting.state).toMatchObject({
      kind: 'waiting-rollout-approval',
      waitingFor: 'confirm-rollout',
    });
    // Closed gate: Flagger keeps asking and keeps waiting, tick after tick.
    await new Promise(r => setTimeout(r, 25 * SECOND));
    expect(await phaseOf(GATED)).toBe('Waiting');
    expect(await eventsOf(GATED)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `Halt ${GATED}\\.${NS} advancement waiting for approval gate`,
          ),
        ),
      ]),
    );

    // What an operator does from inside the cluster: POST to the loadtester's service name.
    const opened = await request(`${LOADTESTER_URL}/gate/open`, {
      method: 'POST',
      proxy: info.clusters.dev.networkProxyUrl,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: GATED, namespace: NS }),
    });
    expect(opened.status).toBe(202);
    await phaseReached(GATED, 'Progressing', MINUTE);
    await phaseReached(GATED, 'Succeeded', 4 * MINUTE);
    expect((await summaryShows(GATED, 'Succeeded')).state.kind).toBe(
      'succeeded',
    );
    expect(
      firstImage(await readDeployment('dev', NS, `${GATED}-primary`)),
    ).toBe('ghcr.io/stefanprodan/podinfo:6.0.1');
  });
});
