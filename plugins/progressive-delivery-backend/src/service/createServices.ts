import { AuditorService, LoggerService, PermissionsService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Knex } from 'knex';
import { KubernetesCanaryStore } from '../clusters/KubernetesCanaryStore';
import { DecisionStore } from '../database/DecisionStore';
import { MetricsCache } from '../prometheus/MetricsCache';
import { readProgressiveDeliveryConfig } from './config';
import { HistoryRecorder } from './HistoryRecorder';
import { ProgressiveDeliveryService } from './ProgressiveDeliveryService';

/**
 * Builds every service of the plugin from Backstage's services. The new backend system
 * (plugin.ts) and the legacy createRouter both go through here.
 */
export async function createServices(options: {
  config: Config;
  logger: LoggerService;
  database: Knex;
  catalog: CatalogService;
  permissions: PermissionsService;
  auditor: AuditorService;
}) {
  const config = readProgressiveDeliveryConfig(options.config);
  let metrics: MetricsCache | undefined;
  const store = new KubernetesCanaryStore({
    clusters: config.clusters,
    logger: options.logger,
    maxBackoffMs: config.maxBackoffMs,
    prometheusStatus: cluster => metrics!.status(cluster),
  });
  metrics = new MetricsCache({
    clusters: config.clusters,
    timeoutMs: config.prometheusTimeoutMs,
    refreshIntervalMs: config.metricsRefreshIntervalMs,
    logger: options.logger,
    canariesOf: cluster => store.canariesOf(cluster),
    templateOf: (cluster, namespace, name) => store.watcher(cluster)?.getMetricTemplate(namespace, name),
  });
  const decisions = await DecisionStore.create(options.database);
  const service = new ProgressiveDeliveryService({
    config,
    store,
    metrics,
    decisions,
    catalog: options.catalog,
    permissions: options.permissions,
    auditor: options.auditor,
    logger: options.logger,
  });
  const history = new HistoryRecorder(store, decisions, service, options.logger);
  return {
    config,
    store,
    metrics,
    decisions,
    service,
    async start() {
      history.start();
      await store.start();
      metrics!.start();
    },
    async stop() {
      history.stop();
      metrics!.stop();
      await store.stop();
    },
  };
}
