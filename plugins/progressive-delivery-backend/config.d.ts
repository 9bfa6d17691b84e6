import { HumanDuration } from '@backstage/types';

export interface Config {
  /**
   * Settings of the Progressive Delivery (Flagger) backend plugin. Clusters themselves come
   * from `kubernetes.clusterLocatorMethods` (type `config`, authProvider `serviceAccount`),
   * the same list Backstage's Kubernetes plugin reads.
   */
  progressiveDelivery?: {
    webhooks?: {
      /**
       * The base URL Flagger uses to reach this backend's webhook endpoints, e.g.
       * https://backstage.example.com/api/progressive-delivery/webhooks. A Canary webhook whose
       * URL starts with it is "served by the portal": the portal decides that gate.
       * @visibility backend
       */
      baseUrl?: string;
      /**
       * When set, gate and event webhooks must carry `metadata.secret` with this value.
       * @visibility secret
       */
      sharedSecret?: string;
    };
    prometheus?: {
      /**
       * Timeout of one Prometheus query, e.g. "3s" or { seconds: 3 }. Default 3 seconds.
       * @visibility backend
       */
      timeout?: string | HumanDuration;
      /**
       * How often current metric values are refreshed in the background, e.g. "10s".
       * Default 10 seconds. Page views never wait on Prometheus.
       * @visibility backend
       */
      refreshInterval?: string | HumanDuration;
      /**
       * @deprecated use `timeout`
       * @visibility backend
       */
      timeoutMs?: number;
      /**
       * @deprecated use `refreshInterval`
       * @visibility backend
       */
      refreshIntervalMs?: number;
    };
    /**
     * Per-cluster settings, keyed by the cluster name from `kubernetes.clusterLocatorMethods`.
     * A name that is not configured there is an error at startup.
     */
    clusters?: {
      [clusterName: string]: {
        prometheus?: {
          /**
           * The Prometheus that Flagger in this cluster queries (its -metrics-server). One per
           * cluster: Flagger's builtin queries carry no cluster label.
           * @visibility backend
           */
          url?: string;
          /**
           * A browser-reachable Prometheus URL for the "open in Prometheus" links; defaults to url.
           * @visibility backend
           */
          externalUrl?: string;
        };
      };
    };
    watch?: {
      /**
       * Longest wait between reconnect attempts to an unreachable API server, e.g. "30s".
       * Default 30 seconds; attempts start at 0.5 s and double, with jitter.
       * @visibility backend
       */
      maxBackoff?: string | HumanDuration;
      /**
       * @deprecated use `maxBackoff`
       * @visibility backend
       */
      maxBackoffMs?: number;
    };
  };
}
