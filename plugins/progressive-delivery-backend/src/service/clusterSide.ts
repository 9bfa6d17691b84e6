import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { createCanaryStore } from '../clusters/KubernetesCanaryStore';
import { MetricsCache } from '../prometheus/MetricsCache';
import { summarizeCanary } from '../translation/summarizeCanary';
import { readProgressiveDeliveryConfig } from './config';
import { CanaryStore, CanarySummarizer } from './types';

/** The cluster side as the decision side sees it: the two contract interfaces plus their lifecycle. */
export interface ClusterSide {
  store: CanaryStore;
  summarizer: CanarySummarizer;
  /** Starts the watches and the metric refresh (the store's start is part of it). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the watch caches and the summarizer from config. This is the only place that knows the
 * cluster side's concrete classes; everything else codes against `CanaryStore` and `CanarySummarizer`.
 */
export function createClusterSide(options: {
  config: Config;
  logger: LoggerService;
}): ClusterSide {
  const config = readProgressiveDeliveryConfig(options.config);
  const store = createCanaryStore(options);
  const metrics = new MetricsCache({
    clusters: config.clusters,
    timeoutMs: config.prometheusTimeoutMs,
    refreshIntervalMs: config.metricsRefreshIntervalMs,
    logger: options.logger,
    canariesOf: cluster => store.canariesOf(cluster),
    templateOf: (cluster, namespace, name) =>
      store.getMetricTemplate(cluster, namespace, name),
  });
  store.setPrometheusStatus(cluster => metrics.status(cluster));
  const summarizer: CanarySummarizer = {
    async summarize(canaries, decisions) {
      return Promise.all(
        canaries.map(async watched =>
          summarizeCanary(watched, {
            decisions: await decisions(watched.ref, watched.revision),
            webhookBaseUrl: config.webhookBaseUrl,
            now: new Date(),
            clusterFresh: store.isFresh(watched.ref.cluster),
            metricReadings: metrics.readings(
              watched.ref.cluster,
              watched.ref.namespace,
              watched.ref.name,
            ),
            prometheusUrl: metrics.externalUrl(watched.ref.cluster),
            prometheusConfigured: metrics.isConfigured(watched.ref.cluster),
          }),
        ),
      );
    },
    metricSeries: (watched, minutes) => metrics.series(watched, minutes),
  };
  return {
    store,
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
