/*
 * The configuration and catalog the benchmark hands the real backend. Both are written as JSON,
 * which is YAML too, so no YAML library is needed.
 */
import {
  BENCH_APP,
  proxiedClusterName,
  RENDER_APP,
  RENDER_NAMESPACE,
  renderCanaryName,
} from './canaries';

/** Opted-in entities of the guest's team, for the "Waiting for you" page at scale. */
export const OWNED_ENTITIES = 500;

export interface ProxiedCluster {
  name: string;
  title: string;
  /** `https://127.0.0.1:<proxy port>`: the proxy forwards TLS untouched to the real server. */
  url: string;
  serviceAccountToken: string;
  caData: string;
  prometheusUrl: string;
}

export interface BenchConfigOptions {
  port: number;
  clusters: ProxiedCluster[];
  /** Catalog files (absolute paths): the repository's own and the benchmark's entities. */
  catalogFiles: string[];
  /**
   * Cluster names app-config.yaml configures under `progressiveDelivery.clusters` that the
   * benchmark does not (they are removed with null, which config merging treats as unset;
   * the plugin refuses settings for clusters that are not configured).
   */
  replacedClusters: string[];
  /** The period of our plugin's background metrics refresh. */
  metricsRefreshSeconds: number;
}

/**
 * Overrides for app-config.yaml: the backend on its own port, the proxied clusters instead of
 * the two real ones (arrays replace, so `clusterLocatorMethods` and `catalog.locations` are
 * whole), and a Prometheus per cluster for our plugin.
 */
export function benchAppConfig(options: BenchConfigOptions) {
  const baseUrl = `http://127.0.0.1:${options.port}`;
  return {
    app: { baseUrl },
    backend: {
      baseUrl,
      listen: { host: '127.0.0.1', port: options.port },
      cors: { origin: baseUrl },
    },
    catalog: {
      locations: options.catalogFiles.map(target => ({ type: 'file', target })),
    },
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: options.clusters.map(cluster => ({
            name: cluster.name,
            title: cluster.title,
            url: cluster.url,
            authProvider: 'serviceAccount',
            serviceAccountToken: cluster.serviceAccountToken,
            caData: cluster.caData,
          })),
        },
      ],
    },
    progressiveDelivery: {
      webhooks: { baseUrl: `${baseUrl}/api/progressive-delivery/webhooks` },
      prometheus: { refreshInterval: `${options.metricsRefreshSeconds}s` },
      clusters: Object.fromEntries([
        ...options.replacedClusters.map(name => [name, null]),
        ...options.clusters.map(cluster => [
          cluster.name,
          { prometheus: { url: cluster.prometheusUrl } },
        ]),
      ]),
    },
  };
}

function component(
  name: string,
  description: string,
  annotations: Record<string, string> = {
    'progressive-delivery/workload-name': name,
    'backstage.io/kubernetes-label-selector': `app.kubernetes.io/part-of=${name}`,
  },
) {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, description, annotations },
    spec: {
      type: 'service',
      lifecycle: 'experimental',
      owner: 'group:default/team-delivery',
    },
  };
}

/** Name of the i-th (0-based) opted-in entity the guest's team owns. */
export function ownedEntityName(index: number): string {
  return `bench-owned-${String(index + 1).padStart(3, '0')}`;
}

/**
 * The benchmark's entities as a multi-document YAML catalog file: the measured apps, and
 * `owned` entities of the guest's team, each naming one of the rendered canaries (of the first
 * cluster) in `progressive-delivery/canaries`.
 */
export function benchCatalog(
  owned = OWNED_ENTITIES,
  renderCanaries = 200,
): string {
  return [
    component(BENCH_APP, 'Benchmark app: one canary in every cluster.'),
    component(RENDER_APP, 'Benchmark app: the canaries the browser renders.'),
    ...Array.from({ length: owned }, (_, i) =>
      component(ownedEntityName(i), "Benchmark entity of the guest's team.", {
        'progressive-delivery/canaries': `${proxiedClusterName(
          0,
        )}/${RENDER_NAMESPACE}/${renderCanaryName(i % renderCanaries)}`,
      }),
    ),
  ]
    .map(entity => JSON.stringify(entity, null, 2))
    .join('\n---\n');
}
