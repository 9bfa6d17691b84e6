/*
 * The per-cluster simulator process: the node (kubelet, and the scheduler's binding), the
 * cluster network (an HTTP proxy from service names to pods or host processes) and the
 * traffic generator with its Prometheus exporter. Started by the sandbox as
 *   node --require <nodeTransform.cjs> src/simulator/main.ts <cluster>
 */
import http from 'node:http';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Informer,
  KubeConfig,
  KubernetesObject,
  makeInformer,
  ObjectCache,
  V1Deployment,
  V1Pod,
  V1Service,
} from '@kubernetes/client-node';
import {
  clusterPaths,
  clusterPorts,
  isClusterName,
  sandboxPaths,
} from '../config';
import { KubeClient } from '../kube';
import {
  nextPodAction,
  reconcilePod,
  registerNode,
  renewLease,
  servingPods,
} from './kubelet';
import { createNetworkProxy } from './network';
import {
  computeTraffic,
  DeploymentView,
  ProxyView,
  ServiceView,
  TrafficCounters,
} from './traffic';

const cluster = process.argv[2];
if (!cluster || !isClusterName(cluster)) {
  console.error('usage: simulator/main.ts <dev|prod>');
  process.exit(2);
}
const paths = clusterPaths(sandboxPaths().stateDir, cluster);
const ports = clusterPorts(cluster);
const log = (msg: string) =>
  console.log(`${new Date().toISOString()} [simulator ${cluster}] ${msg}`);

const kc = new KubeConfig();
kc.loadFromFile(paths.kubeconfig);
const client = KubeClient.fromKubeconfigFile(paths.kubeconfig);
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

type Cached<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;
const connected = new Map<string, boolean>();

function watch<T extends KubernetesObject>(
  name: string,
  path: string,
  list: () => Promise<any>,
): Cached<T> {
  const informer = makeInformer<T>(kc, path, list);
  connected.set(name, false);
  informer.on('connect', () => {
    if (!connected.get(name)) log(`watching ${name}`);
    connected.set(name, true);
  });
  informer.on('error', (err: any) => {
    connected.set(name, false);
    log(`watch ${name} failed (${err?.message ?? err}); retrying in 2s`);
    setTimeout(() => informer.start().catch(() => undefined), 2000);
  });
  informer.start().catch(() => undefined);
  return informer;
}

// ---- the node: kubelet (and the scheduler's binding) ----------------------------------------

let nodeRegistered = false;
async function heartbeat() {
  try {
    if (!nodeRegistered) {
      await registerNode(client);
      nodeRegistered = true;
      log('node sandbox-node registered');
    }
    await renewLease(client);
  } catch (e: any) {
    log(`node heartbeat failed: ${e.message}`);
  }
}
void heartbeat();
setInterval(heartbeat, 10_000).unref();
// The kubelet reports its node status far less often than it renews the lease.
setInterval(() => {
  registerNode(client).catch(e =>
    log(`node status update failed: ${e.message}`),
  );
}, 60_000).unref();

const pods = watch<V1Pod>('pods', '/api/v1/pods', () =>
  core.listPodForAllNamespaces(),
);
const queue = new Map<string, { again: boolean }>();

function enqueue(pod: V1Pod) {
  const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
  const entry = queue.get(key);
  if (entry) {
    entry.again = true;
    return;
  }
  const state = { again: false };
  queue.set(key, state);
  void (async () => {
    let current: any = pod;
    do {
      state.again = false;
      try {
        const action = await reconcilePod(client, current);
        if (action !== 'none') log(`pod ${key}: ${action}`);
      } catch (e: any) {
        if (e.status !== 404 && e.status !== 409) {
          log(`pod ${key} failed: ${e.message}; retrying`);
          await new Promise(r => setTimeout(r, 1000));
          state.again = true;
        }
      }
      if (state.again) {
        current = pods
          .list()
          .find(p => `${p.metadata!.namespace}/${p.metadata!.name}` === key);
        if (!current) break;
      }
    } while (state.again);
    queue.delete(key);
  })();
}

const onPod = (p: V1Pod) => {
  if (nextPodAction(p) !== 'none') enqueue(p);
};
pods.on('add', onPod);
pods.on('update', onPod);

// Periodic resync, as the kubelet's pod workers do: repairs anything changed behind our back.
setInterval(() => {
  for (const p of pods.list()) onPod(p);
}, 30_000).unref();

const deployments = watch<V1Deployment>(
  'deployments',
  '/apis/apps/v1/deployments',
  () => apps.listDeploymentForAllNamespaces(),
);

// ---- traffic -------------------------------------------------------------------------------

const services = watch<V1Service>('services', '/api/v1/services', () =>
  core.listServiceForAllNamespaces(),
);
const proxies = watch<KubernetesObject & { spec?: any }>(
  'httpproxies',
  '/apis/projectcontour.io/v1/httpproxies',
  () =>
    custom.listClusterCustomObject({
      group: 'projectcontour.io',
      version: 'v1',
      plural: 'httpproxies',
    }),
);

const counters = new TrafficCounters();
let lastTick = Date.now();

function tick() {
  const now = Date.now();
  const seconds = Math.min(5, (now - lastTick) / 1000);
  lastTick = now;
  const deploymentViews: DeploymentView[] = deployments.list().map(d => ({
    namespace: d.metadata!.namespace!,
    name: d.metadata!.name!,
    templateLabels: d.spec?.template?.metadata?.labels ?? {},
    templateAnnotations: d.spec?.template?.metadata?.annotations ?? {},
    availableReplicas: d.status?.availableReplicas ?? 0,
    pods: servingPods(
      pods.list(),
      d.metadata!.namespace!,
      d.spec?.selector?.matchLabels,
    ).map(p => p.metadata.name),
  }));
  const serviceViews: ServiceView[] = services.list().map(s => ({
    namespace: s.metadata!.namespace!,
    name: s.metadata!.name!,
    selector: s.spec?.selector ?? {},
  }));
  const proxyViews: ProxyView[] = proxies.list().map(p => ({
    namespace: p.metadata!.namespace!,
    name: p.metadata!.name!,
    services: (p.spec?.routes?.[0]?.services ?? []).map((s: any) => ({
      name: s.name,
      port: s.port,
      weight: s.weight ?? 0,
    })),
  }));
  counters.add(
    computeTraffic(deploymentViews, serviceViews, proxyViews, seconds),
  );
  counters.retainPods(new Set(deploymentViews.flatMap(d => d.pods)));
}
setInterval(tick, 1000);

// ---- exporter ------------------------------------------------------------------------------

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(counters.render());
    return;
  }
  if (req.url === '/healthz') {
    const down = [...connected].filter(([, ok]) => !ok).map(([name]) => name);
    if (!nodeRegistered) down.push('node (not registered yet)');
    res.writeHead(down.length ? 503 : 200, { 'Content-Type': 'text/plain' });
    res.end(down.length ? `not watching: ${down.join(', ')}\n` : 'ok\n');
    return;
  }
  res.writeHead(404);
  res.end();
});
server.listen(ports.exporter, '127.0.0.1', () =>
  log(`exporter on http://127.0.0.1:${ports.exporter}/metrics`),
);

// ---- cluster network -----------------------------------------------------------------------

const network = createNetworkProxy({
  services: () => services.list() as any[],
  pods: () => pods.list(),
  log,
});
network.listen(ports.network, '127.0.0.1', () =>
  log(`cluster network proxy on http://127.0.0.1:${ports.network}`),
);

const shutdown = () => {
  log('stopping');
  server.close();
  network.close();
  void Promise.allSettled([
    pods.stop(),
    deployments.stop(),
    services.stop(),
    proxies.stop(),
  ]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
