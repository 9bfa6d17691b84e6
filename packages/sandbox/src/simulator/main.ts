/*
 * The per-cluster simulator process: kubelet/deployment-controller stand-in plus the traffic
 * generator and its Prometheus exporter. Started by the sandbox as
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
  V1Service,
} from '@kubernetes/client-node';
import {
  clusterPaths,
  clusterPorts,
  isClusterName,
  sandboxPaths,
} from '../config';
import { KubeClient } from '../kube';
import { reconcileDeployment, statusIsCurrent } from './kubelet';
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

// ---- kubelet / deployment controller -------------------------------------------------------

const podsByDeployment = new Map<string, string[]>();
const queue = new Map<string, { running: boolean; again: boolean }>();

function enqueue(namespace: string, name: string) {
  const key = `${namespace}/${name}`;
  const entry = queue.get(key);
  if (entry) {
    entry.again = true;
    return;
  }
  const state = { running: true, again: false };
  queue.set(key, state);
  void (async () => {
    do {
      state.again = false;
      try {
        const result = await reconcileDeployment(client, namespace, name);
        if (result) {
          podsByDeployment.set(key, result.pods);
          if (result.changed)
            log(`deployment ${key}: ${result.pods.length} pod(s) ready`);
        } else {
          podsByDeployment.delete(key);
        }
      } catch (e: any) {
        log(`reconcile ${key} failed: ${e.message}; retrying`);
        await new Promise(r => setTimeout(r, 1000));
        state.again = true;
      }
    } while (state.again);
    queue.delete(key);
  })();
}

/** What the garbage collector would do for a deleted Deployment: remove its ReplicaSets and Pods. */
async function collectGarbage(d: V1Deployment) {
  const ns = d.metadata!.namespace!;
  const name = d.metadata!.name!;
  podsByDeployment.delete(`${ns}/${name}`);
  const selector = Object.entries(d.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector) return;
  const q = `?labelSelector=${encodeURIComponent(selector)}`;
  try {
    const rs = await client.get(
      `/apis/apps/v1/namespaces/${ns}/replicasets${q}`,
    );
    for (const r of rs.items) {
      if (
        (r.metadata.ownerReferences ?? []).some(
          (o: any) => o.uid === d.metadata!.uid,
        )
      ) {
        await client.delete(
          `/apis/apps/v1/namespaces/${ns}/replicasets/${r.metadata.name}`,
          0,
        );
      }
    }
    const pods = await client.get(`/api/v1/namespaces/${ns}/pods${q}`);
    for (const p of pods.items) {
      if (p.metadata.name.startsWith(`${name}-`)) {
        await client.delete(
          `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`,
          0,
        );
      }
    }
  } catch (e: any) {
    log(`cleaning up after ${ns}/${name} failed: ${e.message}`);
  }
}

const deployments = watch<V1Deployment>(
  'deployments',
  '/apis/apps/v1/deployments',
  () => apps.listDeploymentForAllNamespaces(),
);
const onDeployment = (d: V1Deployment) => {
  const key = `${d.metadata!.namespace}/${d.metadata!.name}`;
  if (!statusIsCurrent(d) || !podsByDeployment.has(key)) {
    enqueue(d.metadata!.namespace!, d.metadata!.name!);
  }
};
deployments.on('add', onDeployment);
deployments.on('update', onDeployment);
deployments.on('delete', d => void collectGarbage(d));

// Periodic resync, as controllers do: repairs anything changed behind our back.
setInterval(() => {
  for (const d of deployments.list())
    enqueue(d.metadata!.namespace!, d.metadata!.name!);
}, 30_000).unref();

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
    pods:
      podsByDeployment.get(`${d.metadata!.namespace}/${d.metadata!.name}`) ??
      [],
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

const shutdown = () => {
  log('stopping');
  server.close();
  void Promise.allSettled([
    deployments.stop(),
    services.stop(),
    proxies.stop(),
  ]).then(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
