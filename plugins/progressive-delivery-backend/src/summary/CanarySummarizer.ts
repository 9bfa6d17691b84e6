import {
  CanaryRef,
  CanarySummary,
  MetricSeries,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { MetricsCache } from '../prometheus/MetricsCache';
import { CanarySummarizer, DecisionState, WatchedCanary } from '../types';
import { summarizeCanary } from './summarizeCanary';

/**
 * Summaries from the watch caches and the background metrics cache: no request to a
 * cluster or to Prometheus happens while a page waits, except `metricSeries` (charts).
 */
export class DefaultCanarySummarizer implements CanarySummarizer {
  constructor(
    private readonly options: {
      /** Whether a cluster's watch cache is in step with its API server. */
      store: { isFresh(cluster: string): boolean };
      metrics: MetricsCache;
      webhookBaseUrl?: string;
      /** Flagger's `-mesh-provider` per cluster name. */
      meshProviders?: Record<string, string>;
      now?: () => Date;
    },
  ) {}

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
          metricReadings: metrics.readings(watched),
          prometheusUrl: metrics.externalUrl(watched.ref.cluster),
          prometheusConfigured: metrics.isConfigured(watched.ref.cluster),
          meshProvider: this.options.meshProviders?.[watched.ref.cluster],
          customQuery: metric => metrics.customQuery(watched, metric),
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
}
