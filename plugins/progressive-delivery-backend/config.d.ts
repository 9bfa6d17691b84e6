export interface Config {
  /** Settings of the Progressive Delivery (Flagger) backend plugin. */
  progressiveDelivery?: {
    webhooks?: {
      /**
       * The base URL Flagger uses to reach this backend's webhook endpoints, e.g.
       * https://backstage.example.com/api/progressive-delivery/webhooks. A Canary webhook whose
       * URL starts with it is decided in the portal.
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
      /** Timeout of one Prometheus query in milliseconds. Default 3000. */
      timeoutMs?: number;
      /** How often current metric values are refreshed in the background, in ms. Default 10000. */
      refreshIntervalMs?: number;
    };
    /** Per-cluster settings, keyed by the cluster name from `kubernetes.clusterLocatorMethods`. */
    clusters?: {
      [clusterName: string]: {
        prometheus?: {
          /**
           * The Prometheus that Flagger in this cluster queries (its -metrics-server).
           * @visibility backend
           */
          url?: string;
          /**
           * A browser-reachable Prometheus URL for the "open in Prometheus" links; defaults to url.
           * @visibility frontend
           */
          externalUrl?: string;
        };
      };
    };
    watch?: {
      /** Longest wait between reconnect attempts to an unreachable API server, in ms. Default 30000. */
      maxBackoffMs?: number;
    };
  };
}
