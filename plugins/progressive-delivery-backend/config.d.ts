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
          /**
           * The address Flagger in this cluster uses for the Prometheus at `url` (its
           * -metrics-server flag, e.g. http://prometheus.monitoring:9090). A Canary's
           * `spec.metricsServer` or a MetricTemplate's `spec.provider.address` naming it is
           * read from `url`.
           * @visibility backend
           */
          address?: string;
          /**
           * Further Prometheus servers that Canaries (`spec.metricsServer`) or MetricTemplates
           * (`spec.provider.address`) name: the address as Flagger in the cluster uses it, and
           * the URL this backend reaches the same server by. A metric whose server is neither
           * `url`, `address` nor listed here is shown as unreadable, with this key to set.
           */
          servers?: Array<{
            /** @visibility backend */
            address: string;
            /** @visibility backend */
            url: string;
          }>;
        };
        webhooks?: {
          /**
           * The secret Flagger's webhooks of this cluster carry as `metadata.secret`; it takes
           * the place of `progressiveDelivery.webhooks.sharedSecret` for this cluster, so a
           * secret read from one cluster's Canaries opens no other cluster's gates.
           * @visibility secret
           */
          secret?: string;
        };
        flagger?: {
          /**
           * Flagger's -mesh-provider in this cluster (the Flagger package's meshProvider value).
           * It decides which builtin queries apply to canaries without `spec.provider`.
           * Default "istio", Flagger's own default.
           * @visibility backend
           */
          meshProvider?: string;
        };
      };
    };
    /**
     * Who may steer (promote, roll back, pause, resume, approve a rollout) which canary.
     * Reading follows the entity's annotations; steering through an entity also needs the
     * canary side to name it: `backstage.io/kubernetes-id: <entity name>` as a label or
     * annotation on the Canary or its target Deployment, or a grant listed here.
     */
    steering?: {
      /**
       * Grants by an administrator: canaries in this cluster namespace may be steered through
       * the listed entities, or through any entity the listed groups own.
       */
      namespaces?: Array<{
        /** A cluster name from `kubernetes.clusterLocatorMethods`. */
        cluster: string;
        namespace: string;
        /** Entity refs, e.g. component:default/checkout. */
        entities?: string[];
        /** Group refs of entity owners, e.g. group:default/team-payments. */
        owners?: string[];
      }>;
      /**
       * Steering is refused while Backstage's `permission.enabled` is not true (without the
       * permission framework every signed-in user would steer every release). Set this to
       * true to mean exactly that. Default false.
       * @visibility backend
       */
      allowWithoutPermissionFramework?: boolean;
    };
    /** Bounds no client can push the backend past. */
    limits?: {
      /**
       * Open `/stream` connections of one user or service. Default 20.
       * @visibility backend
       */
      streamsPerPrincipal?: number;
      /**
       * Open `/stream` connections of this backend replica in all. Default 2000.
       * @visibility backend
       */
      streams?: number;
      /**
       * Bytes a stream may have queued unsent (a client that stopped reading) before it is
       * cut. Default 1048576 (1 MiB).
       * @visibility backend
       */
      streamBufferBytes?: number;
      /**
       * How long one stream lasts; then it ends, and the client's reconnect checks the read
       * permission again. Default 1 hour.
       * @visibility backend
       */
      streamLifetime?: string | HumanDuration;
      /**
       * Action calls (promote, roll back, ...) of one user per minute. Default 30.
       * @visibility backend
       */
      actionsPerMinute?: number;
      /**
       * Gate and event webhook calls about one canary from one address per minute. Flagger
       * calls each gate once per analysis interval. Default 120.
       * @visibility backend
       */
      webhooksPerMinute?: number;
    };
    /** How long stored rows are kept; an hourly task deletes older ones. */
    retention?: {
      /**
       * Flagger's event-webhook rows. Default 30 days.
       * @visibility backend
       */
      events?: string | HumanDuration;
      /**
       * Action attempts (accepted and refused). Default 90 days.
       * @visibility backend
       */
      attempts?: string | HumanDuration;
      /**
       * Rows of sent notifications; while one is kept, the same canary, revision and state
       * notify nobody again. Default 90 days.
       * @visibility backend
       */
      notifications?: string | HumanDuration;
    };
    /**
     * Backstage notifications to the owners of the entities a canary belongs to, when its
     * release waits at a gate this portal answers and when it is rolled back (new backend
     * system only; the legacy createRouter sends none).
     */
    notifications?: {
      /**
       * Unset: notify when the notifications backend is installed in this backend. true: also
       * when it runs in another backend of a split deployment. false: never.
       * @visibility backend
       */
      enabled?: boolean;
      /**
       * The path of the plugin's tab below the entity page, for the notification's link.
       * Default "progressive-delivery".
       * @visibility backend
       */
      entityTabPath?: string;
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
