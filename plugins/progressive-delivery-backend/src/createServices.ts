import {
  AuditorService,
  BackstageCredentials,
  CacheService,
  LoggerService,
  PermissionsService,
  SchedulerService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import { KubernetesCanaryStore } from './clusters/KubernetesCanaryStore';
import {
  DEFAULT_MESH_PROVIDER,
  LimitsConfig,
  ProgressiveDeliveryConfig,
  readProgressiveDeliveryConfig,
} from './config';
import { ActionAttempts } from './database/ActionAttempts';
import { DecisionStore, openPluginDatabase } from './database/DecisionStore';
import { RolloutHistory } from './database/RolloutHistory';
import { MetricsCache } from './prometheus/MetricsCache';
import { ActionService } from './service/ActionService';
import { CanaryOwners, EntityLister } from './service/CanaryOwners';
import { ChangeFeed } from './service/ChangeFeed';
import { EntityCanaries, EntityLookup } from './service/EntityCanaries';
import { EntityStream } from './service/EntityStream';
import { GateKeeper } from './service/GateKeeper';
import { HistoryRecorder } from './service/HistoryRecorder';
import { ReleaseNotifier } from './service/ReleaseNotifier';
import { ReleaseQueries } from './service/ReleaseQueries';
import { RecentSummaries } from './service/RecentSummaries';
import { ReplicaRelay } from './service/ReplicaRelay';
import { RequestBudget } from './service/RequestBudget';
import { SteeringPolicy } from './service/SteeringPolicy';
import { EntityQuery, WaitingReleases } from './service/WaitingReleases';
import { DefaultCanarySummarizer } from './summary/CanarySummarizer';
import { ClusterSide } from './types';

/**
 * The composition root: the one place that reads config, knows the concrete classes and wires
 * them together. The new backend system (plugin.ts) and the legacy `createRouter` both come
 * through {@link createServices}; every service gets what it needs at construction and never
 * reaches into another's state afterwards.
 */

/** Everything the router needs, built once by {@link createServices}. */
export interface ProgressiveDeliveryServices {
  queries: ReleaseQueries;
  actions: ActionService;
  gates: GateKeeper;
  entities: EntityCanaries;
  waiting: WaitingReleases;
  streams: EntityStream;
  feed: ChangeFeed;
  decisions: DecisionStore;
  attempts: ActionAttempts;
  rollouts: RolloutHistory;
  history: HistoryRecorder;
  /** Present when notifications are sent (see {@link CreateServicesOptions.notifications}). */
  notifier?: ReleaseNotifier;
  limits: LimitsConfig;
  /** Per-user action calls and per-canary webhook calls. */
  budgets: { actions: RequestBudget; webhooks: RequestBudget };
  /** Deletes event-webhook rows and attempts past their retention. */
  prune(): Promise<void>;
  /** Starts the watches, metric refresh and history recording; resolves without waiting for clusters. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateServicesOptions {
  config: Config;
  logger: LoggerService;
  /** The plugin's database; migrations run here. */
  database: Knex;
  /** Reads one entity (the tab) and queries the opted-in ones (the waiting page). */
  catalog: EntityLookup & EntityQuery;
  permissions: Pick<PermissionsService, 'authorize'>;
  auditor: AuditorService;
  /**
   * Resolves a user's groups, for "the entities I own"; without it (the legacy backend) only
   * entities owned by the user entity itself count.
   */
  userInfo?: Pick<UserInfoService, 'getUserInfo'>;
  /** Short-lived answers of the permission backend and the catalog (see EntityCanaries). */
  cache?: CacheService;
  /** The cluster side; built from config when absent (tests pass fakes). */
  clusterSide?: ClusterSide;
  /** How often `/stream` sends a heartbeat; for tests. */
  heartbeatMs?: number;
  /**
   * The catalog's entity query (`CatalogService` has it), for the opted-in entities: whom to
   * notify, and what waits for a caller. Without it neither is offered.
   */
  catalogLister?: EntityLister;
  /**
   * Backstage's notification service, with the catalog query and the plugin's own credentials
   * that find the entities a canary belongs to. Without it (not installed, the legacy
   * backend) nobody is notified and everything else works the same.
   */
  notifications?: {
    service: Pick<NotificationService, 'send'>;
    credentials: () => Promise<BackstageCredentials>;
    /** Whether the notifications backend runs in this backend (used when config leaves it open). */
    installedHere: boolean;
  };
  /**
   * Runs the retention prune as a scheduled task (once across replicas); without it a timer
   * of this process does (the legacy backend).
   */
  scheduler?: SchedulerService;
}

/** How often stored events and attempts past their retention are deleted. */
const PRUNE_INTERVAL_MS = 60 * 60_000;

/** The watch caches, the metrics cache and the summarizer of the configured clusters. */
export function createClusterSide(options: {
  config: ProgressiveDeliveryConfig;
  logger: LoggerService;
}): ClusterSide & { store: KubernetesCanaryStore; metrics: MetricsCache } {
  const { config, logger } = options;
  // The store reports each cluster's Prometheus health from the metrics cache, which reads
  // canaries and MetricTemplates from the store: each is handed the other as functions.
  const side = {} as { store: KubernetesCanaryStore; metrics: MetricsCache };
  side.metrics = new MetricsCache({
    clusters: config.clusters,
    timeoutMs: config.prometheusTimeoutMs,
    refreshIntervalMs: config.metricsRefreshIntervalMs,
    logger,
    canariesOf: cluster => side.store.canariesOf(cluster),
    templateOf: (cluster, namespace, name) =>
      side.store.getMetricTemplate(cluster, namespace, name),
  });
  side.store = new KubernetesCanaryStore({
    clusters: config.clusters,
    logger,
    maxBackoffMs: config.maxBackoffMs,
    prometheusStatus: cluster => side.metrics.status(cluster),
  });
  const { store, metrics } = side;
  const summarizer = new DefaultCanarySummarizer({
    store,
    metrics,
    webhookBaseUrl: config.webhookBaseUrl,
    meshProviders: Object.fromEntries(
      config.clusters.map(cluster => [
        cluster.name,
        cluster.meshProvider ?? DEFAULT_MESH_PROVIDER,
      ]),
    ),
  });
  return {
    store,
    metrics,
    summarizer,
    async start() {
      await store.start();
      metrics.start();
    },
    async stop() {
      metrics.stop();
      await store.stop();
    },
  };
}

/** Builds every service of the plugin from config, parsed here once. */
export async function createServices(
  options: CreateServicesOptions,
): Promise<ProgressiveDeliveryServices> {
  const { logger } = options;
  const config = readProgressiveDeliveryConfig(options.config);
  const clusterSide =
    options.clusterSide ?? createClusterSide({ config, logger });
  const { store, summarizer } = clusterSide;
  const { decisions, attempts, rollouts, notices } = await openPluginDatabase(
    options.database,
  );
  const feed = new ChangeFeed(store);
  const entities = new EntityCanaries({
    store,
    catalog: options.catalog,
    permissions: options.permissions,
    cache: options.cache,
  });
  const history = new HistoryRecorder({
    store,
    summarizer,
    decisions,
    rollouts,
    feed,
    logger,
  });
  const relay = new ReplicaRelay({ attempts, feed, logger });
  const notifier =
    options.notifications &&
    options.catalogLister &&
    (config.notifications.enabled ?? options.notifications.installedHere)
      ? new ReleaseNotifier({
          store,
          summarizer,
          decisions,
          rollouts,
          notices,
          owners: new CanaryOwners({
            store,
            catalog: options.catalogLister,
            credentials: options.notifications.credentials,
          }),
          notifications: options.notifications.service,
          logger,
          tabPath: config.notifications.entityTabPath,
        })
      : undefined;
  const steering = new SteeringPolicy(config.steering);
  const { limits } = config;
  const prune = async () => {
    const now = Date.now();
    const events = await rollouts.pruneFlaggerEventsBefore(
      new Date(now - limits.eventRetentionMs).toISOString(),
    );
    const pruned = await attempts.pruneBefore(
      new Date(now - limits.attemptRetentionMs).toISOString(),
    );
    const sent = await notices.pruneBefore(
      new Date(now - limits.noticeRetentionMs).toISOString(),
    );
    if (events + pruned + sent > 0)
      logger.info(
        `Deleted ${events} event-webhook rows, ${pruned} action attempts and ${sent} sent-notification rows past their retention`,
      );
  };
  let pruneTimer: NodeJS.Timeout | undefined;
  const recent = new RecentSummaries({
    feed,
    selectedKeys: selector => entities.canaryKeysOf(selector),
  });
  const queries = new ReleaseQueries({
    store,
    summarizer,
    decisions,
    rollouts,
    entities,
    steering,
    recent,
  });
  return {
    queries,
    actions: new ActionService({
      store,
      summarizer,
      decisions,
      attempts,
      entities,
      steering,
      feed,
      auditor: options.auditor,
      logger,
    }),
    gates: new GateKeeper({
      store,
      decisions,
      rollouts,
      feed,
      logger,
      auditor: options.auditor,
      webhookBaseUrl: config.webhookBaseUrl,
      secretFor: cluster =>
        config.clusters.find(c => c.name === cluster)?.webhookSecret ??
        config.sharedSecret,
    }),
    entities,
    waiting: new WaitingReleases({
      store,
      summarizer,
      decisions,
      catalog: options.catalog,
      permissions: options.permissions,
      steering,
      userInfo: options.userInfo,
    }),
    streams: new EntityStream({
      entities,
      feed,
      heartbeatMs: options.heartbeatMs,
      maxPerPrincipal: limits.streamsPerPrincipal,
      maxTotal: limits.streams,
    }),
    feed,
    decisions,
    attempts,
    rollouts,
    history,
    notifier,
    limits,
    budgets: {
      actions: new RequestBudget(
        limits.actionsPerMinute,
        'progressiveDelivery.limits.actionsPerMinute',
      ),
      webhooks: new RequestBudget(
        limits.webhooksPerMinute,
        'progressiveDelivery.limits.webhooksPerMinute',
      ),
    },
    prune,
    async start() {
      if (options.scheduler) {
        await options.scheduler.scheduleTask({
          id: 'progressive-delivery-retention',
          frequency: { milliseconds: PRUNE_INTERVAL_MS },
          timeout: { minutes: 5 },
          fn: prune,
        });
      } else {
        pruneTimer = setInterval(
          () =>
            prune().catch(error =>
              logger.warn(`Could not prune old rows: ${error}`),
            ),
          PRUNE_INTERVAL_MS,
        );
        pruneTimer.unref();
      }
      recent.start();
      history.start();
      notifier?.start();
      await relay.start();
      await clusterSide.start();
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      recent.stop();
      history.stop();
      notifier?.stop();
      await relay.stop();
      await clusterSide.stop();
      await history.idle();
      await notifier?.idle();
    },
  };
}
