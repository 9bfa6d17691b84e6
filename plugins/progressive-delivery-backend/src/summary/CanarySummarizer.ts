import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  CanaryRef,
  CanarySummary,
  MetricSeries,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { KubernetesCanaryStore } from '../clusters/KubernetesCanaryStore';
import { MetricsCache } from '../prometheus/MetricsCache';
import {
  DEFAULT_MESH_PROVIDER,
  readProgressiveDeliveryConfig,
} from '../service/config';
import {
  CanarySummarizer,
  DecisionState,
  WatchedCanary,
} from '../service/types';
import { summarizeCanary } from './summarizeCanary';

/**
 * Summaries from the watch caches and the background metrics cache: no request to a
 * cluster or to Prometheus happens while a page waits, except `metricSeries` (charts).
 */
export class DefaultCanarySummarizer implements CanarySummarizer {
  constructor(
    private readonly options: {
      store: Pick<KubernetesCanaryStore, 'isFresh'>;
      metrics: MetricsCache;
      webhookBaseUrl?: string;
      /** Flagger's `-mesh-provider` per cluster name. */
      meshProviders?: Record<string, string>;
      now?: () => Date;
    },
  ) {}

  get metricsCache(): MetricsCache {
    return this.options.metrics;
  }

  async summarize(
    canaries: WatchedCanary[],
    decisions: (ref: CanaryRef, revision?: string) => Promise<DecisionState>,
  ): Promise<CanarySummary[]> {
    const { store, metrics, webhookBaseUrl } = this.options;
    const now = this.options.now?.() ?? new Date();
    return Promise.all(
      canaries.map(async watched =>
        summarizeCanary(watched, {
          decisions: await decisions(watched.ref, watched.revision),
          webhookBaseUrl,
          now,
          clusterFresh: store.isFresh(watched.ref.cluster),
          metricReadings: metrics.readings(
            watched.ref.cluster,
            watched.ref.namespace,
            watched.ref.name,
          ),
          prometheusUrl: metrics.externalUrl(watched.ref.cluster),
          prometheusConfigured: metrics.isConfigured(watched.ref.cluster),
          meshProvider: this.options.meshProviders?.[watched.ref.cluster],
        }),
      ),
    );
  }

  metricSeries(
    canary: WatchedCanary,
    minutes: number,
  ): Promise<MetricSeries[]> {
    return this.options.metrics.series(canary, minutes);
  }

  /** Starts the per-cluster metrics refresh loops. */
  start() {
    this.options.metrics.start();
  }

  stop() {
    this.options.metrics.stop();
  }
}

/**
 * Builds the summarizer and its metrics cache from Backstage config, reading canaries and
 * MetricTemplates from `store`, and reports each cluster's Prometheus health through the
 * store's `getClusterStatuses()`. Call `start()` to begin the background refresh.
 */
export function createCanarySummarizer(options: {
  config: Config;
  logger: LoggerService;
  store: KubernetesCanaryStore;
}): DefaultCanarySummarizer {
  const config = readProgressiveDeliveryConfig(options.config);
  const { store } = options;
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
  return new DefaultCanarySummarizer({
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
}
