/*
 * Integration test on the running sandbox: real kube-apiserver + etcd, real Flagger, real
 * Prometheus. It only reads what the API server and Prometheus say.
 *
 * Needs `npm run sandbox -- up`. Skipped (with a message) when the sandbox is not up, unless
 * PD_SANDBOX_REQUIRED is set, in which case it fails.
 */
import { promQuery } from './http';
import { KubeClient } from './kube';
import {
  adminClient,
  adminKubeConfig,
  readSandboxInfo,
  release,
  sandboxStatus,
  startComponent,
  stopComponent,
} from './sandbox';
import { ClusterName } from './config';
import {
  canaryFor,
  deploymentFor,
  imageFor,
  SampleApp,
  workloadFor,
} from './manifests';

/*
 * The test works on its own copies of the sample apps in namespace `sandbox-it`, so releases
 * made by other suites (e2e, backend) on tap-apps/* run alongside without interfering. The
 * copies stay between runs, so later runs start from initialized canaries.
 */
const IT_NAMESPACE = 'sandbox-it';
const itApp = (name: string, provider: SampleApp['provider']): SampleApp => ({
  name,
  namespace: IT_NAMESPACE,
  canary: name,
  provider,
  strategy: provider === 'contour' ? 'canary' : 'blue-green',
  gated: false,
  description: 'integration-test copy',
});
const CONTOUR = itApp('it-hello-contour', 'contour');
const BLUEGREEN = itApp('it-hello-bluegreen', 'kubernetes');

const info = readSandboxInfo();
const required = !!process.env.PD_SANDBOX_REQUIRED;
if (!info && !required) {
  // eslint-disable-next-line no-console
  console.warn(
    'sandbox.integration.test.ts skipped: the sandbox is not up (run `npm run sandbox -- up`, or set PD_SANDBOX_REQUIRED=1 to make this a failure)',
  );
}
const describeSandbox = info || required ? describe : describe.skip;

const MINUTE = 60_000;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const FINAL = ['Initialized', 'Succeeded', 'Failed'];

interface CanaryState {
  phase: string;
  lastAppliedSpec?: string;
  canaryWeight?: number;
  iterations?: number;
}

async function canaryState(
  client: KubeClient,
  name: string,
): Promise<CanaryState> {
  const c = await client.get(
    `/apis/flagger.app/v1beta1/namespaces/${IT_NAMESPACE}/canaries/${name}`,
  );
  return { phase: c.status?.phase ?? '', ...c.status };
}

async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(1000);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${
      last ? ` (last error: ${last})` : ''
    }`,
  );
}

/** Creates the test's copy of an app in a cluster (once) and waits for Flagger to initialize it. */
async function ensureApp(cluster: ClusterName, app: SampleApp) {
  const client = adminClient(cluster);
  await client.createIfAbsent({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: IT_NAMESPACE },
  });
  await client.createIfAbsent(workloadFor(app, imageFor(app.name, 1)));
  await client.createIfAbsent(deploymentFor(app));
  await client.createIfAbsent(canaryFor(app, cluster));
  await waitUntil(
    `Flagger to initialize ${cluster} ${IT_NAMESPACE}/${app.name}`,
    async () =>
      FINAL.includes((await canaryState(client, app.name)).phase)
        ? true
        : undefined,
    3 * MINUTE,
  );
}

/** Releases a revision and follows the canary until Flagger settles it; returns the phases seen. */
async function releaseAndFollow(
  cluster: ClusterName,
  app: string,
  behaviour: { errorRate?: number; latencyMs?: number },
) {
  const client = adminClient(cluster);
  // Start from a settled canary, so the run we observe is ours.
  await waitUntil(
    `${app} to be settled before the release`,
    async () =>
      FINAL.includes((await canaryState(client, app)).phase) ? true : undefined,
    4 * MINUTE,
  );
  const before = await canaryState(client, app);
  const released = await release(app, {
    cluster,
    namespace: IT_NAMESPACE,
    ...behaviour,
  });
  const phases: string[] = [];
  const note = (s: CanaryState) => {
    const label = `${s.phase}${s.canaryWeight ? `@${s.canaryWeight}` : ''}${
      s.iterations ? `#${s.iterations}` : ''
    }`;
    if (phases[phases.length - 1] !== label) phases.push(label);
  };
  await waitUntil(
    `Flagger to pick up ${app} revision ${released.revision}`,
    async () => {
      const s = await canaryState(client, app);
      note(s);
      return s.lastAppliedSpec !== before.lastAppliedSpec ||
        !FINAL.includes(s.phase)
        ? true
        : undefined;
    },
    2 * MINUTE,
  );
  const final = await waitUntil(
    `${app} to finish its analysis`,
    async () => {
      const s = await canaryState(client, app);
      note(s);
      return FINAL.includes(s.phase) ? s : undefined;
    },
    5 * MINUTE,
  );
  return { released, final, phases, client };
}

async function primaryImage(client: KubeClient, app: string): Promise<string> {
  const d = await client.get(
    `/apis/apps/v1/namespaces/${IT_NAMESPACE}/deployments/${app}-primary`,
  );
  return d.spec.template.spec.containers[0].image;
}

async function canaryEvents(
  client: KubeClient,
  app: string,
): Promise<string[]> {
  const selector = encodeURIComponent(
    `involvedObject.kind=Canary,involvedObject.name=${app}`,
  );
  const list = await client.get(
    `/api/v1/namespaces/${IT_NAMESPACE}/events?fieldSelector=${selector}`,
  );
  return list.items.map((e: any) => `${e.type}: ${e.message}`);
}

describeSandbox('sandbox (integration)', () => {
  beforeAll(async () => {
    if (!info) {
      const status = await sandboxStatus();
      throw new Error(
        `PD_SANDBOX_REQUIRED is set but the sandbox is not up:\n${status.components
          .filter(c => !c.healthy)
          .map(c => `${c.cluster} ${c.component}: ${c.detail}`)
          .join('\n')}`,
      );
    }
    await Promise.all([
      ensureApp('dev', CONTOUR),
      ensureApp('prod', BLUEGREEN),
    ]);
  }, 4 * MINUTE);

  it('is healthy and describes itself', async () => {
    const status = await sandboxStatus();
    expect(status.components.filter(c => !c.healthy)).toEqual([]);
    expect(info!.stateDir).toBe('.sandbox');
    expect(info!.clusters.dev.apiServerUrl).toBe('https://127.0.0.1:16443');
    expect(info!.apps.map(a => a.name)).toEqual([
      'hello-contour',
      'hello-bluegreen',
      'hello-gated',
      'hello-loadtested',
    ]);
    // The admin KubeConfig helper points at the cluster.
    expect(adminKubeConfig('prod').getCurrentCluster()?.server).toBe(
      'https://127.0.0.1:26443',
    );
  });

  it(
    'lets the real Flagger promote a good contour canary revision in dev',
    async () => {
      const { released, final, phases, client } = await releaseAndFollow(
        'dev',
        CONTOUR.name,
        { errorRate: 0 },
      );
      expect({ phase: final.phase, phases }).toMatchObject({
        phase: 'Succeeded',
      });
      expect(phases).toEqual(
        expect.arrayContaining(['Progressing@20', 'Progressing@60']),
      );
      expect(await primaryImage(client, CONTOUR.name)).toBe(released.image);
      const events = await canaryEvents(client, CONTOUR.name);
      expect(events).toEqual(
        expect.arrayContaining([expect.stringMatching(/Promotion completed!/)]),
      );
      // Prometheus saw the canary's traffic and Flagger's own metrics.
      const prom = info!.clusters.dev.prometheusUrl;
      const canaryRq = await promQuery(
        prom,
        `sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"${IT_NAMESPACE}_${CONTOUR.name}-canary_[0-9a-zA-Z-]+"})`,
      );
      expect(canaryRq[0]?.value).toBeGreaterThan(0);
      const status = await promQuery(
        prom,
        `flagger_canary_status{name="${CONTOUR.name}"}`,
      );
      expect(status.length).toBeGreaterThan(0);
    },
    8 * MINUTE,
  );

  it(
    'lets the real Flagger roll back a bad revision (30% errors) on its success-rate check',
    async () => {
      const good = await primaryImage(adminClient('dev'), CONTOUR.name);
      const { final, client } = await releaseAndFollow('dev', CONTOUR.name, {
        errorRate: 0.3,
      });
      expect(final.phase).toBe('Failed');
      const events = await canaryEvents(client, CONTOUR.name);
      const target = `${CONTOUR.name}\\.${IT_NAMESPACE}`;
      expect(events).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `^Warning: Halt ${target} advancement success rate \\d+(\\.\\d+)?% < 99%$`,
            ),
          ),
          expect.stringMatching(
            new RegExp(
              `Rolling back ${target} failed checks threshold reached 3`,
            ),
          ),
          expect.stringMatching(
            new RegExp(`Canary failed! Scaling down ${target}`),
          ),
        ]),
      );
      expect(await primaryImage(client, CONTOUR.name)).toBe(good);
    },
    8 * MINUTE,
  );

  it(
    'lets the real Flagger promote a blue-green revision in prod',
    async () => {
      const { released, final, phases, client } = await releaseAndFollow(
        'prod',
        BLUEGREEN.name,
        {},
      );
      expect({ phase: final.phase, phases }).toMatchObject({
        phase: 'Succeeded',
      });
      expect(phases).toEqual(expect.arrayContaining(['Progressing#4']));
      expect(await primaryImage(client, BLUEGREEN.name)).toBe(released.image);
      const events = await canaryEvents(client, BLUEGREEN.name);
      expect(events).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `Advance ${BLUEGREEN.name}\\.${IT_NAMESPACE} canary iteration 4/4`,
            ),
          ),
        ]),
      );
      // The kubernetes provider's query ran over the canary pods' own series. Those pods are
      // scaled down after the promotion and their series go stale, so look back over the run.
      const served = await promQuery(
        info!.clusters.prod.prometheusUrl,
        `sum(max_over_time(http_request_duration_seconds_count{kubernetes_namespace="${IT_NAMESPACE}",kubernetes_pod_name=~"${BLUEGREEN.name}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[10m]))`,
      );
      expect(served[0]?.value).toBeGreaterThan(0);
    },
    8 * MINUTE,
  );

  /*
   * Stopping the prod kube-apiserver would disturb other suites that run at the same time
   * against the sandbox, so by default this restarts the prod simulator (same mechanism: PID
   * file, SIGTERM, start, health check). PD_SANDBOX_DISRUPTIVE_TESTS=1 restarts the apiserver.
   */
  const disruptive = !!process.env.PD_SANDBOX_DISRUPTIVE_TESTS;
  const component = disruptive ? 'kube-apiserver' : 'simulator';
  it(
    `stops and restarts the prod ${component} by PID, keeping its data`,
    async () => {
      const client = adminClient('prod');
      const before = await canaryState(client, BLUEGREEN.name);
      expect(await stopComponent('prod', component)).toMatch(
        /terminated|killed/,
      );
      const down = await sandboxStatus();
      expect(
        down.components.find(
          c => c.cluster === 'prod' && c.component === component,
        )?.healthy,
      ).toBe(false);
      // readSandboxInfo() reports "not up" only while an apiserver is down.
      expect(readSandboxInfo() === undefined).toBe(disruptive);
      expect(await startComponent('prod', component)).toBe('started');
      expect((await canaryState(client, BLUEGREEN.name)).lastAppliedSpec).toBe(
        before.lastAppliedSpec,
      );
      await waitUntil(
        'the whole sandbox to be healthy again',
        async () => ((await sandboxStatus()).healthy ? true : undefined),
        2 * MINUTE,
      );
    },
    4 * MINUTE,
  );
});
