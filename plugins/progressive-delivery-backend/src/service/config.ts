import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** One cluster, read from the Kubernetes plugin's `config` cluster locator. */
export interface ClusterConfig {
  name: string;
  title?: string;
  url: string;
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  prometheusUrl?: string;
  prometheusExternalUrl?: string;
}

export interface ProgressiveDeliveryConfig {
  clusters: ClusterConfig[];
  webhookBaseUrl?: string;
  sharedSecret?: string;
  prometheusTimeoutMs: number;
  metricsRefreshIntervalMs: number;
  maxBackoffMs: number;
}

const SUPPORTED_AUTH_PROVIDERS = ['serviceAccount'];

/**
 * Clusters come from the same `kubernetes.clusterLocatorMethods` (type `config`) that
 * Backstage's Kubernetes plugin and TDP read, so they are configured once.
 */
export function readProgressiveDeliveryConfig(config: Config): ProgressiveDeliveryConfig {
  const own = config.getOptionalConfig('progressiveDelivery');
  const clusters: ClusterConfig[] = [];
  for (const method of config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? []) {
    if (method.getString('type') !== 'config') continue;
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      const name = cluster.getString('name');
      const authProvider = cluster.getOptionalString('authProvider') ?? 'serviceAccount';
      if (!SUPPORTED_AUTH_PROVIDERS.includes(authProvider)) {
        throw new InputError(
          `Cluster "${name}" uses authProvider "${authProvider}"; the Progressive Delivery backend supports ${SUPPORTED_AUTH_PROVIDERS.join(', ')} (a server-side credential, since Flagger's webhooks carry no user).`,
        );
      }
      const prometheus = own?.getOptionalConfig(`clusters.${name}.prometheus`);
      clusters.push({
        name,
        title: cluster.getOptionalString('title'),
        url: cluster.getString('url'),
        serviceAccountToken: cluster.getOptionalString('serviceAccountToken'),
        caData: cluster.getOptionalString('caData'),
        caFile: cluster.getOptionalString('caFile'),
        skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
        prometheusUrl: prometheus?.getOptionalString('url'),
        prometheusExternalUrl:
          prometheus?.getOptionalString('externalUrl') ?? prometheus?.getOptionalString('url'),
      });
    }
  }
  return {
    clusters,
    webhookBaseUrl: own?.getOptionalString('webhooks.baseUrl')?.replace(/\/+$/, ''),
    sharedSecret: own?.getOptionalString('webhooks.sharedSecret'),
    prometheusTimeoutMs: own?.getOptionalNumber('prometheus.timeoutMs') ?? 3000,
    metricsRefreshIntervalMs: own?.getOptionalNumber('prometheus.refreshIntervalMs') ?? 10000,
    maxBackoffMs: own?.getOptionalNumber('watch.maxBackoffMs') ?? 30000,
  };
}
