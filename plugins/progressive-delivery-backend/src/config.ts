/*
 * The plugin's configuration, read and checked once (config.d.ts names every key). One file on
 * purpose, over 400 lines: every key's type, default and error message sit together, so a
 * message and the key it is about cannot drift apart, and the composition root reads it once.
 */
import { Config, readDurationFromConfig } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { durationToMilliseconds } from '@backstage/types';

/** One cluster, read from the Kubernetes plugin's `config` cluster locator. */
export interface ClusterConfig {
  name: string;
  title?: string;
  url: string;
  serviceAccountToken?: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  /** The Prometheus that Flagger of this cluster queries. */
  prometheusUrl?: string;
  /** Browser-reachable Prometheus for links; defaults to `prometheusUrl`. */
  prometheusExternalUrl?: string;
  /**
   * The addresses by which Flagger in the cluster names Prometheus servers (its
   * `-metrics-server`, a Canary's `spec.metricsServer`, a MetricTemplate's
   * `spec.provider.address`), each with the URL this backend reaches that server by.
   */
  prometheusServers?: Array<{ address: string; url: string }>;
  /** Flagger's `-mesh-provider` in this cluster; it picks the builtin queries of canaries without `spec.provider`. */
  meshProvider?: string;
  /** `progressiveDelivery.clusters.<name>.webhooks.secret`: this cluster's webhook secret. */
  webhookSecret?: string;
}

/**
 * An administrator's statement that canaries in one cluster namespace may be steered through
 * the listed entities, or through any entity the listed groups own.
 */
export interface SteeringGrant {
  cluster: string;
  namespace: string;
  /** Canonical entity refs, e.g. component:default/checkout. */
  entities: string[];
  /** Canonical group refs, e.g. group:default/team-payments. */
  owners: string[];
}

export interface SteeringConfig {
  /** `progressiveDelivery.steering.namespaces`. */
  grants: SteeringGrant[];
  /** Backstage's `permission.enabled`. */
  permissionFrameworkEnabled: boolean;
  /** `progressiveDelivery.steering.allowWithoutPermissionFramework`. */
  allowWithoutPermissionFramework: boolean;
}

/** The bounds no client may push the backend past; each a `progressiveDelivery.limits` key. */
export interface LimitsConfig {
  /** `limits.streamsPerPrincipal`: open `/stream`s of one user or service. */
  streamsPerPrincipal: number;
  /** `limits.streams`: open `/stream`s of this replica in all. */
  streams: number;
  /** `limits.streamBufferBytes`: unsent bytes a stream may queue before it is cut. */
  streamBufferBytes: number;
  /** `limits.streamLifetime`: a stream ends after this; the reconnect checks permission again. */
  streamLifetimeMs: number;
  /** `limits.actionsPerMinute`: action calls of one user. */
  actionsPerMinute: number;
  /** `limits.webhooksPerMinute`: webhook calls about one canary. */
  webhooksPerMinute: number;
  /** `retention.events`: how long Flagger's event-webhook rows are kept. */
  eventRetentionMs: number;
  /** `retention.attempts`: how long action attempts are kept. */
  attemptRetentionMs: number;
  /**
   * `retention.notifications`: how long a sent notification's row is kept; until then the same
   * canary, revision and state notify nobody again.
   */
  noticeRetentionMs: number;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  streamsPerPrincipal: 20,
  streams: 2_000,
  streamBufferBytes: 1024 * 1024,
  streamLifetimeMs: 60 * 60_000,
  actionsPerMinute: 30,
  // Flagger calls each gate once per analysis interval (at least 10 s): a few calls a minute.
  webhooksPerMinute: 120,
  eventRetentionMs: 30 * 24 * 60 * 60_000,
  attemptRetentionMs: 90 * 24 * 60 * 60_000,
  noticeRetentionMs: 90 * 24 * 60 * 60_000,
};

/** `progressiveDelivery.notifications`: used only where the notifications service is installed. */
export interface NotificationsConfig {
  /**
   * `notifications.enabled`: true sends through the notification service wherever the
   * notifications backend runs, false never; unset sends when it is installed in this backend.
   */
  enabled?: boolean;
  /** `notifications.entityTabPath`: the tab's path below the entity page, default "progressive-delivery". */
  entityTabPath: string;
}

export interface ProgressiveDeliveryConfig {
  clusters: ClusterConfig[];
  limits: LimitsConfig;
  /** Without trailing slash. */
  webhookBaseUrl?: string;
  sharedSecret?: string;
  steering: SteeringConfig;
  notifications: NotificationsConfig;
  prometheusTimeoutMs: number;
  metricsRefreshIntervalMs: number;
  maxBackoffMs: number;
}

/**
 * Auth providers of the Kubernetes plugin this backend can use. It needs a credential of its
 * own: Flagger's webhook calls carry no user, and the watches run with nobody signed in.
 */
export const SUPPORTED_AUTH_PROVIDERS = ['serviceAccount'];

/** Flagger's own default for `-mesh-provider`. */
export const DEFAULT_MESH_PROVIDER = 'istio';

const DEFAULTS = {
  prometheusTimeoutMs: 3_000,
  metricsRefreshIntervalMs: 10_000,
  maxBackoffMs: 30_000,
};

/**
 * Reads clusters from the same `kubernetes.clusterLocatorMethods` (type `config`) that
 * Backstage's Kubernetes plugin and TDP read, so they are configured once, plus the plugin's
 * own `progressiveDelivery` settings.
 *
 * @throws InputError naming the cluster and the key when something cannot work
 */
export function readProgressiveDeliveryConfig(
  config: Config,
): ProgressiveDeliveryConfig {
  const own = config.getOptionalConfig('progressiveDelivery');
  const clusters: ClusterConfig[] = [];
  const methods =
    config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
  for (const method of methods) {
    if (method.getString('type') !== 'config') continue;
    for (const cluster of method.getOptionalConfigArray('clusters') ?? []) {
      clusters.push(readCluster(cluster, own));
    }
  }

  const names = new Set<string>();
  for (const cluster of clusters) {
    if (names.has(cluster.name)) {
      throw new InputError(
        `Cluster "${cluster.name}" is configured twice in kubernetes.clusterLocatorMethods; cluster names must be unique.`,
      );
    }
    names.add(cluster.name);
  }
  for (const name of own?.getOptionalConfig('clusters')?.keys() ?? []) {
    if (!names.has(name)) {
      throw new InputError(
        `progressiveDelivery.clusters.${name} refers to cluster "${name}", which kubernetes.clusterLocatorMethods does not configure; configured clusters: ${
          [...names].join(', ') || 'none'
        }.`,
      );
    }
  }

  const webhookBaseUrl = readUrl(
    own,
    'webhooks.baseUrl',
    'progressiveDelivery.webhooks.baseUrl',
    { emptyIsUnset: false },
  );

  return {
    clusters,
    webhookBaseUrl,
    sharedSecret: own?.getOptionalString('webhooks.sharedSecret') || undefined,
    steering: readSteering(config),
    notifications: {
      enabled: own?.getOptionalBoolean('notifications.enabled'),
      entityTabPath:
        own
          ?.getOptionalString('notifications.entityTabPath')
          ?.replace(/^\/+|\/+$/g, '') || 'progressive-delivery',
    },
    limits: readLimits(own),
    prometheusTimeoutMs: readMilliseconds(
      own,
      'prometheus.timeout',
      DEFAULTS.prometheusTimeoutMs,
    ),
    metricsRefreshIntervalMs: readMilliseconds(
      own,
      'prometheus.refreshInterval',
      DEFAULTS.metricsRefreshIntervalMs,
    ),
    maxBackoffMs: readMilliseconds(
      own,
      'watch.maxBackoff',
      DEFAULTS.maxBackoffMs,
    ),
  };
}

function readCluster(cluster: Config, own: Config | undefined): ClusterConfig {
  const name = cluster.getString('name');
  const where = `Cluster "${name}" in kubernetes.clusterLocatorMethods`;
  const authProvider =
    cluster.getOptionalString('authProvider') ?? 'serviceAccount';
  if (!SUPPORTED_AUTH_PROVIDERS.includes(authProvider)) {
    throw new InputError(
      `${where} uses authProvider "${authProvider}", which the Progressive Delivery backend does not support; supported: ${SUPPORTED_AUTH_PROVIDERS.join(
        ', ',
      )} (with serviceAccountToken). The backend watches clusters and answers Flagger's webhooks with no user signed in, so it needs a credential of its own.`,
    );
  }
  const url = cluster.getString('url');
  checkUrl(url, `${where}: url`);
  const prometheusKey = `progressiveDelivery.clusters.${name}.prometheus`;
  const prometheus = own?.getOptionalConfig(`clusters.${name}.prometheus`);
  const prometheusUrl = readUrl(prometheus, 'url', `${prometheusKey}.url`);
  const externalUrl = readUrl(
    prometheus,
    'externalUrl',
    `${prometheusKey}.externalUrl`,
  );
  const prometheusServers: Array<{ address: string; url: string }> = [];
  const address = prometheus?.getOptionalString('address');
  if (address && prometheusUrl) {
    prometheusServers.push({
      address: normalizeAddress(address),
      url: prometheusUrl,
    });
  }
  (prometheus?.getOptionalConfigArray('servers') ?? []).forEach(
    (server, index) => {
      prometheusServers.push({
        address: normalizeAddress(server.getString('address')),
        url: readUrl(server, 'url', `${prometheusKey}.servers[${index}].url`, {
          required: true,
        })!,
      });
    },
  );
  return {
    name,
    title: cluster.getOptionalString('title'),
    url,
    serviceAccountToken:
      cluster.getOptionalString('serviceAccountToken') || undefined,
    caData: cluster.getOptionalString('caData') || undefined,
    caFile: cluster.getOptionalString('caFile') || undefined,
    skipTLSVerify: cluster.getOptionalBoolean('skipTLSVerify') ?? false,
    prometheusUrl,
    prometheusExternalUrl: externalUrl ?? prometheusUrl,
    prometheusServers,
    meshProvider:
      own?.getOptionalString(`clusters.${name}.flagger.meshProvider`) ||
      DEFAULT_MESH_PROVIDER,
    webhookSecret:
      own?.getOptionalString(`clusters.${name}.webhooks.secret`) || undefined,
  };
}

function readRefs(
  list: Config,
  key: string,
  where: string,
  defaultKind?: string,
): string[] {
  return (list.getOptionalStringArray(key) ?? []).map(value => {
    try {
      return stringifyEntityRef(
        parseEntityRef(value, { defaultKind, defaultNamespace: 'default' }),
      );
    } catch {
      throw new InputError(
        `${where}.${key} has "${value}", which is not an entity reference; expected <kind>:<namespace>/<name>, e.g. ${
          defaultKind
            ? 'group:default/team-payments'
            : 'component:default/checkout'
        }.`,
      );
    }
  });
}

function readPositive(
  own: Config | undefined,
  key: string,
  fallback: number,
): number {
  const value = own?.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 1) {
    throw new InputError(
      `progressiveDelivery.${key} is ${value}; it must be a number of at least 1 (default ${fallback}).`,
    );
  }
  return Math.floor(value);
}

function readLimits(own: Config | undefined): LimitsConfig {
  const d = DEFAULT_LIMITS;
  return {
    streamsPerPrincipal: readPositive(
      own,
      'limits.streamsPerPrincipal',
      d.streamsPerPrincipal,
    ),
    streams: readPositive(own, 'limits.streams', d.streams),
    streamBufferBytes: readPositive(
      own,
      'limits.streamBufferBytes',
      d.streamBufferBytes,
    ),
    streamLifetimeMs: readMilliseconds(
      own,
      'limits.streamLifetime',
      d.streamLifetimeMs,
    ),
    actionsPerMinute: readPositive(
      own,
      'limits.actionsPerMinute',
      d.actionsPerMinute,
    ),
    webhooksPerMinute: readPositive(
      own,
      'limits.webhooksPerMinute',
      d.webhooksPerMinute,
    ),
    eventRetentionMs: readMilliseconds(
      own,
      'retention.events',
      d.eventRetentionMs,
    ),
    attemptRetentionMs: readMilliseconds(
      own,
      'retention.attempts',
      d.attemptRetentionMs,
    ),
    noticeRetentionMs: readMilliseconds(
      own,
      'retention.notifications',
      d.noticeRetentionMs,
    ),
  };
}

function readSteering(config: Config): SteeringConfig {
  const steering = config.getOptionalConfig('progressiveDelivery.steering');
  const grants = (steering?.getOptionalConfigArray('namespaces') ?? []).map(
    (grant, index) => {
      const where = `progressiveDelivery.steering.namespaces[${index}]`;
      const cluster = grant.getString('cluster');
      const namespace = grant.getString('namespace');
      const entities = readRefs(grant, 'entities', where);
      const owners = readRefs(grant, 'owners', where, 'group');
      if (entities.length === 0 && owners.length === 0) {
        throw new InputError(
          `${where} grants steering to nobody; list entity refs under entities or group refs under owners.`,
        );
      }
      return { cluster, namespace, entities, owners };
    },
  );
  return {
    grants,
    permissionFrameworkEnabled:
      config.getOptionalBoolean('permission.enabled') ?? false,
    allowWithoutPermissionFramework:
      steering?.getOptionalBoolean('allowWithoutPermissionFramework') ?? false,
  };
}

/** Addresses are compared without trailing slashes. */
export function normalizeAddress(address: string): string {
  return address.trim().replace(/\/+$/, '');
}

/**
 * An http(s) URL under `key` of `config`, without trailing slashes; undefined when absent (and
 * when empty, unless `emptyIsUnset` is false).
 *
 * @param path - the full key, for the error message
 */
function readUrl(
  config: Config | undefined,
  key: string,
  path: string,
  options: { required?: boolean; emptyIsUnset?: boolean } = {},
): string | undefined {
  const value = options.required
    ? config!.getString(key)
    : config?.getOptionalString(key);
  if (value === undefined) return undefined;
  if (value === '' && (options.emptyIsUnset ?? true) && !options.required)
    return undefined;
  checkUrl(value, path);
  return value.replace(/\/+$/, '');
}

function checkUrl(value: string, key: string) {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `${key} is "${value}", which is not a URL; expected e.g. https://host:port`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `${key} is "${value}"; expected an http:// or https:// URL`,
    );
  }
}

/**
 * A duration key (`'3s'`, `'PT3S'` or `{ seconds: 3 }`); the older `<key>Ms` number is still read.
 */
function readMilliseconds(
  own: Config | undefined,
  key: string,
  fallback: number,
): number {
  if (!own) return fallback;
  let value: number | undefined;
  if (own.has(key)) {
    try {
      value = durationToMilliseconds(readDurationFromConfig(own, { key }));
    } catch (error) {
      throw new InputError(
        `progressiveDelivery.${key} is not a duration (${
          (error as Error).message
        }); expected e.g. "3s", "PT3S" or { seconds: 3 }`,
      );
    }
  } else {
    value = own.getOptionalNumber(`${key}Ms`);
  }
  if (value === undefined) return fallback;
  if (!(value > 0)) {
    throw new InputError(`progressiveDelivery.${key} must be longer than zero`);
  }
  return value;
}
