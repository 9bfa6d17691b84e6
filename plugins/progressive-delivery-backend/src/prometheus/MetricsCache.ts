import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterStatus, MetricSeries } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../service/config';
import { WatchedCanary } from '../service/types';
import { analysisOf, BUILTIN_METRICS, MetricReading, thresholdRangeOf } from '../translation/summarizeCanary';
import { PrometheusClient, Sample } from './PrometheusClient';
import {
  BuiltinProvider,
  batchedContourQueries,
  batchedHttpQueries,
  builtinProviderOf,
  builtinQuery,
  contourKey,
  renderQuery,
  templateModel,
} from './queries';

type Obj = Record<string, any>;
type Builtin = 'request-success-rate' | 'request-duration';

interface ClusterMetrics {
  client: PrometheusClient;
  externalUrl?: string;
  status: ClusterStatus['prometheus'];
  readings: Map<string, Map<string, MetricReading>>;
  timer?: NodeJS.Timeout;
  running: boolean;
}

/**
 * Current metric values of every canary, refreshed in the background per cluster so a page
 * view never waits on Prometheus. Builtin metrics are batched: per cluster, provider and
 * interval, one query answers for all canaries, whatever their number.
 */
export class MetricsCache {
  readonly #clusters = new Map<string, ClusterMetrics>();
  readonly #logger: LoggerService;
  readonly #refreshIntervalMs: number;
  readonly #canariesOf: (cluster: string) => WatchedCanary[];
  readonly #templateOf: (cluster: string, namespace: string, name: string) => Obj | undefined;

  constructor(options: {
    clusters: ClusterConfig[];
    timeoutMs: number;
    refreshIntervalMs: number;
    logger: LoggerService;
    canariesOf: (cluster: string) => WatchedCanary[];
    templateOf: (cluster: string, namespace: string, name: string) => Obj | undefined;
    fetchImpl?: typeof fetch;
  }) {
    this.#logger = options.logger;
    this.#refreshIntervalMs = options.refreshIntervalMs;
    this.#canariesOf = options.canariesOf;
    this.#templateOf = options.templateOf;
    for (const cluster of options.clusters) {
      if (!cluster.prometheusUrl) continue;
      this.#clusters.set(cluster.name, {
        client: new PrometheusClient(cluster.prometheusUrl, options.timeoutMs, options.fetchImpl),
        externalUrl: cluster.prometheusExternalUrl,
        status: { status: 'ok' },
        readings: new Map(),
        running: false,
      });
    }
  }

  start() {
    for (const [name, cluster] of this.#clusters) {
      const tick = async () => {
        await this.refresh(name);
        if (cluster.running) cluster.timer = setTimeout(tick, this.#refreshIntervalMs);
      };
      cluster.running = true;
      cluster.timer = setTimeout(tick, 1000);
    }
  }

  stop() {
    for (const cluster of this.#clusters.values()) {
      cluster.running = false;
      if (cluster.timer) clearTimeout(cluster.timer);
    }
  }

  status(cluster: string): ClusterStatus['prometheus'] {
    return this.#clusters.get(cluster)?.status ?? { status: 'not-configured' };
  }

  isConfigured(cluster: string): boolean {
    return this.#clusters.has(cluster);
  }

  externalUrl(cluster: string): string | undefined {
    return this.#clusters.get(cluster)?.externalUrl;
  }

  readings(cluster: string, namespace: string, name: string): Map<string, MetricReading> | undefined {
    return this.#clusters.get(cluster)?.readings.get(`${namespace}/${name}`);
  }

  /** Queries Prometheus once for every canary of a cluster. */
  async refresh(clusterName: string): Promise<void> {
    const cluster = this.#clusters.get(clusterName);
    if (!cluster) return;
    const at = new Date().toISOString();
    const canaries = this.#canariesOf(clusterName);
    const batches = new Map<string, Map<Builtin, Map<string, number>> | Error>();
    const batchKey = (provider: BuiltinProvider, interval: string) => `${provider}|${interval}`;
    for (const watched of canaries) {
      const provider = builtinProviderOf(watched.object);
      for (const metric of analysisOf(watched.object)?.metrics ?? []) {
        if (provider && isBuiltin(metric)) batches.set(batchKey(provider, metric.interval ?? '1m'), new Map());
      }
    }
    let failure: string | undefined;
    await Promise.all(
      [...batches.keys()].map(async key => {
        const [provider, interval] = key.split('|') as [BuiltinProvider, string];
        const queries = provider === 'contour' ? batchedContourQueries(interval) : batchedHttpQueries(interval);
        try {
          const results = new Map<Builtin, Map<string, number>>();
          for (const metric of BUILTIN_METRICS as Builtin[]) {
            const samples = await cluster.client.query(queries[metric]);
            results.set(metric, indexSamples(provider, samples));
          }
          batches.set(key, results);
        } catch (error: any) {
          failure = error.message;
          batches.set(key, error);
        }
      }),
    );

    const readings = new Map<string, Map<string, MetricReading>>();
    for (const watched of canaries) {
      const canary = watched.object;
      const provider = builtinProviderOf(canary);
      const perMetric = new Map<string, MetricReading>();
      for (const metric of analysisOf(canary)?.metrics ?? []) {
        const interval = metric.interval ?? '1m';
        const model = templateModel(canary, interval, metric.templateVariables ?? {});
        if (isBuiltin(metric)) {
          if (!provider) {
            perMetric.set(metric.name, {
              error: `Builtin metrics of provider "${canary.spec?.provider ?? 'default'}" are not supported by this plugin yet.`,
              at,
            });
            continue;
          }
          const batch = batches.get(batchKey(provider, interval));
          const query = builtinQuery(provider, metric.name, model, 'canary');
          const primaryQuery = builtinQuery(provider, metric.name, model, 'primary');
          if (batch instanceof Error || !batch) {
            perMetric.set(metric.name, { query, primaryQuery, error: batch?.message ?? 'not queried', at });
            continue;
          }
          const values = batch.get(metric.name as Builtin)!;
          const [canaryKey, primaryKey] = sideKeys(provider, model);
          perMetric.set(metric.name, {
            query,
            primaryQuery,
            value: finite(values.get(canaryKey)),
            primaryValue: finite(values.get(primaryKey)),
            at,
          });
        } else {
          const reading = await this.#customReading(clusterName, cluster.client, canary, metric, model, at);
          if (reading.error) failure = failure ?? reading.error;
          perMetric.set(metric.name, reading);
        }
      }
      readings.set(`${watched.ref.namespace}/${watched.ref.name}`, perMetric);
    }
    cluster.readings = readings;
    cluster.status = failure ? { status: 'error', error: failure } : { status: 'ok' };
    if (failure) this.#logger.debug(`Prometheus of cluster ${clusterName}: ${failure}`);
  }

  /** Range series of a canary's metrics, on demand for charts. */
  async series(watched: WatchedCanary, minutes: number): Promise<MetricSeries[]> {
    const cluster = this.#clusters.get(watched.ref.cluster);
    const end = new Date();
    const start = new Date(end.getTime() - minutes * 60_000);
    const step = Math.max(10, Math.round((minutes * 60) / 120));
    const provider = builtinProviderOf(watched.object);
    const result: MetricSeries[] = [];
    for (const metric of analysisOf(watched.object)?.metrics ?? []) {
      const unit = isBuiltin(metric) ? (metric.name === 'request-success-rate' ? 'percent' : 'milliseconds') : 'none';
      const base = { metric: metric.name, unit, thresholdRange: thresholdRangeOf(metric), canary: [] } as MetricSeries;
      if (!cluster) {
        result.push({ ...base, error: `No Prometheus is configured for cluster ${watched.ref.cluster}.` });
        continue;
      }
      try {
        const model = templateModel(watched.object, metric.interval ?? '1m', metric.templateVariables ?? {});
        const query = isBuiltin(metric) && provider
          ? builtinQuery(provider, metric.name, model, 'canary')
          : this.#customQuery(watched.ref.cluster, watched.object, metric, model);
        const canarySeries = await cluster.client.queryRange(query, start, end, step);
        const series: MetricSeries = { ...base, canary: canarySeries[0]?.values ?? [] };
        if (isBuiltin(metric) && provider) {
          const primary = await cluster.client.queryRange(builtinQuery(provider, metric.name, model, 'primary'), start, end, step);
          series.primary = primary[0]?.values ?? [];
        }
        result.push(series);
      } catch (error: any) {
        result.push({ ...base, error: error.message });
      }
    }
    return result;
  }

  #customQuery(cluster: string, canary: Obj, metric: Obj, model: ReturnType<typeof templateModel>): string {
    if (metric.query) return renderQuery(metric.query, model);
    if (!metric.templateRef) throw new Error('no usable metric template or query is configured');
    const namespace = metric.templateRef.namespace ?? canary.metadata.namespace;
    const template = this.#templateOf(cluster, namespace, metric.templateRef.name);
    if (!template) throw new Error(`MetricTemplate ${namespace}/${metric.templateRef.name} does not exist`);
    if (template.spec?.provider?.type && template.spec.provider.type !== 'prometheus') {
      throw new Error(`MetricTemplate provider "${template.spec.provider.type}" is not queried by this plugin`);
    }
    return renderQuery(template.spec?.query ?? '', model);
  }

  async #customReading(
    cluster: string,
    client: PrometheusClient,
    canary: Obj,
    metric: Obj,
    model: ReturnType<typeof templateModel>,
    at: string,
  ): Promise<MetricReading> {
    let query: string | undefined;
    try {
      query = this.#customQuery(cluster, canary, metric, model);
      const samples = await client.query(query);
      return { query, value: finite(samples[samples.length - 1]?.value), at };
    } catch (error: any) {
      return { query, error: error.message, at };
    }
  }
}

function isBuiltin(metric: Obj): metric is Obj & { name: Builtin } {
  return BUILTIN_METRICS.includes(metric.name) && !metric.templateRef && !metric.query;
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function indexSamples(provider: BuiltinProvider, samples: Sample[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples) {
    const key =
      provider === 'contour'
        ? contourKey(sample.labels.envoy_cluster_name ?? '')
        : `${sample.labels.kubernetes_namespace}/${sample.labels.workload}`;
    if (key) values.set(key, sample.value);
  }
  return values;
}

function sideKeys(provider: BuiltinProvider, model: ReturnType<typeof templateModel>): [string, string] {
  return provider === 'contour'
    ? [`${model.namespace}_${model.service}-canary`, `${model.namespace}_${model.service}-primary`]
    : [`${model.namespace}/${model.target}`, `${model.namespace}/${model.target}-primary`];
}
