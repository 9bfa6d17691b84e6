/*
 * What the benchmark does on the real API servers and Prometheus servers: put the planned
 * canaries in place, remove them again, and read request counters.
 */
import {
  adminClient,
  ClusterName,
  KubeApiError,
  KubeClient,
} from '@progressive-delivery/sandbox';
import {
  BENCH_APP,
  BENCH_LABEL,
  BENCH_LABEL_SELECTOR,
  benchCanary,
  canaryPath,
  NamespacePlan,
  RENDER_NAMESPACE,
  settledStatus,
} from './canaries';
import { isPortalOnlyRequest, isPrometheusQuery, sumCounter } from './promText';

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
}

async function expectOk(client: KubeClient, method: string, path: string) {
  const response = await client.request(
    method,
    path,
    undefined,
    undefined,
    120_000,
  );
  if (response.status === 404) return;
  if (response.status < 200 || response.status >= 300) {
    throw new KubeApiError(response.status, response.body, `${method} ${path}`);
  }
}

/** The benchmark's canaries on a server, by namespace. */
async function benchCanaries(
  client: KubeClient,
): Promise<Map<string, Set<string>>> {
  const list = await client.get<{ items: any[] }>(
    `/apis/flagger.app/v1beta1/canaries?labelSelector=${encodeURIComponent(
      BENCH_LABEL_SELECTOR,
    )}`,
  );
  const byNamespace = new Map<string, Set<string>>();
  for (const item of list.items) {
    const namespace: string = item.metadata.namespace;
    if (!byNamespace.has(namespace)) byNamespace.set(namespace, new Set());
    byNamespace.get(namespace)!.add(item.metadata.name);
  }
  return byNamespace;
}

/** Deletes the benchmark's canaries in a namespace (one delete-collection request). */
async function deleteBenchCanaries(client: KubeClient, namespace: string) {
  await expectOk(
    client,
    'DELETE',
    `${canaryPath(namespace)}?labelSelector=${encodeURIComponent(
      BENCH_LABEL_SELECTOR,
    )}`,
  );
}

/**
 * Makes the server hold exactly the planned canaries of the benchmark: creates what is missing
 * (bench-app and rendered canaries get a settled status, as after a successful release) and
 * deletes the rest. Namespaces are created but never deleted (the sandbox runs no namespace
 * controller, so a deleted namespace would stay Terminating).
 */
export async function reconcileServer(
  server: ClusterName,
  plans: NamespacePlan[],
  log: (line: string) => void,
): Promise<{ created: number; deleted: number }> {
  const client = adminClient(server);
  for (const { namespace } of plans) {
    await client.createIfAbsent({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { [BENCH_LABEL]: 'bench' } },
    });
  }
  const existing = await benchCanaries(client);
  let deleted = 0;
  const wanted = new Map(
    plans.map(plan => [plan.namespace, new Set(plan.canaries)]),
  );
  for (const [namespace, names] of existing) {
    const keep = wanted.get(namespace);
    if (!keep) {
      await deleteBenchCanaries(client, namespace);
      deleted += names.size;
      continue;
    }
    const extra = [...names].filter(name => !keep.has(name));
    await forEachLimit(extra, 8, name =>
      expectOk(client, 'DELETE', canaryPath(namespace, name)),
    );
    deleted += extra.length;
  }
  const missing = plans.flatMap(plan =>
    plan.canaries
      .filter(name => !existing.get(plan.namespace)?.has(name))
      .map(name => ({ namespace: plan.namespace, name })),
  );
  const started = performance.now();
  await forEachLimit(missing, 8, async ({ namespace, name }) => {
    await client.createIfAbsent(benchCanary(namespace, name));
    if (name === BENCH_APP || namespace === RENDER_NAMESPACE) {
      await client.mergePatch(`${canaryPath(namespace, name)}/status`, {
        status: settledStatus(new Date()),
      });
    }
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (missing.length > 0) {
    log(`  ${server}: created ${missing.length} canaries in ${seconds} s`);
  }
  if (deleted > 0) log(`  ${server}: deleted ${deleted} canaries`);
  const after = await benchCanaries(client);
  const count = [...after.values()].reduce((sum, names) => sum + names.size, 0);
  const expected = plans.reduce((sum, plan) => sum + plan.canaries.length, 0);
  if (count !== expected) {
    throw new Error(
      `${server} holds ${count} bench canaries, expected ${expected}`,
    );
  }
  return { created: missing.length, deleted };
}

/** Deletes every canary the benchmark created on a server. */
export async function removeBenchCanaries(
  server: ClusterName,
): Promise<number> {
  const client = adminClient(server);
  const existing = await benchCanaries(client);
  for (const namespace of existing.keys()) {
    await deleteBenchCanaries(client, namespace);
  }
  return [...existing.values()].reduce((sum, names) => sum + names.size, 0);
}

export interface ApiServerCounts {
  /** Requests to resources only the portal backend reads (see isPortalOnlyRequest). */
  portalOnly: number;
  all: number;
}

/** `apiserver_request_total` of a real API server, read with the admin client certificate. */
export async function apiServerCounts(
  server: ClusterName,
): Promise<ApiServerCounts> {
  const response = await adminClient(server).request('GET', '/metrics');
  if (response.status !== 200) {
    throw new Error(`${server} /metrics answered ${response.status}`);
  }
  return {
    portalOnly: sumCounter(
      response.body,
      'apiserver_request_total',
      isPortalOnlyRequest,
    ),
    all: sumCounter(response.body, 'apiserver_request_total'),
  };
}

export async function allApiServerCounts(
  servers: ClusterName[],
): Promise<ApiServerCounts> {
  const counts = await Promise.all(servers.map(apiServerCounts));
  return {
    portalOnly: counts.reduce((sum, c) => sum + c.portalOnly, 0),
    all: counts.reduce((sum, c) => sum + c.all, 0),
  };
}

/** Query requests (instant and range) a Prometheus server has answered so far. */
export async function prometheusQueryCount(
  prometheusUrl: string,
): Promise<number> {
  const response = await fetch(`${prometheusUrl}/metrics`);
  if (!response.ok) {
    throw new Error(`${prometheusUrl}/metrics answered ${response.status}`);
  }
  return sumCounter(
    await response.text(),
    'prometheus_http_requests_total',
    isPrometheusQuery,
  );
}

/** PATCHes a canary's status (the `/status` subresource), as Flagger does. */
export async function patchCanaryStatus(
  client: KubeClient,
  namespace: string,
  name: string,
  status: Record<string, unknown>,
): Promise<void> {
  await client.mergePatch(`${canaryPath(namespace, name)}/status`, { status });
}
