import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterStatus,
  MetricSeries,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../service/config';
import { WatchedCanary } from '../service/types';
import {
  analysisOf,
  isBuiltinMetric,
  MetricReading,
  thresholdRangeOf,
} from '../translation/summarizeCanary';
import { PrometheusClient, PrometheusError, Sample } from './PrometheusClient';
import {
  batchedContourQueries,
  batchedHttpQueries,
  BuiltinMetric,
  BuiltinProvider,
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  renderQuery,
  seriesKey,
  sideKeys,
  templateModel,
  TemplateModel,
} from './queries';

type Obj = Record<string, any>;

interface ClusterMetrics {
  client: PrometheusClient;
  externalUrl?: string;
  status: ClusterStatus['prometheus'];
  readings: Map<string, Map<string, MetricReading>>;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** How many queries the last refresh sent (exposed for tests and diagnostics). */
  lastQueryCount: number;
}

/** Custom (template and inline) queries run at most this many at a time per cluster. */
const CUSTOM_QUERY_CONCURRENCY = 8;

const BUILTINS: BuiltinMetric[] = ['request-success-rate', 'request-duration'];

/**
 * Current metric values of every canary, refreshed in the background per cluster so a page
 * view never waits on Prometheus. Builtin metrics are batched: per cluster, provider,
 * interval and metric, one query answers for all canaries, whatever their number.
 * Template and inline-query metrics are one query each (their PromQL is the user's).
 */
export class MetricsCache {
  readonly #clusters = new Map<string, ClusterMetrics>();
  readonly #logger: LoggerService;
  readonly #refreshIntervalMs: number;
  readonly #canariesOf: (cluster: string) => WatchedCanary[];
  readonly #templateOf: (
    cluster: string,
    namespace: string,
    name: string,
  ) => Obj | undefined;
  readonly #now: () => Date;

  constructor(options: {
    clusters: ClusterConfig[];
    timeoutMs: number;
    refreshIntervalMs: number;
    logger: LoggerService;
    canariesOf: (cluster: string) => WatchedCanary[];
    templateOf: (
      cluster: string,
      namespace: string,
      name: string,
    ) => Obj | undefined;
    fetchImpl?: typeof fetch;
    now?: () => Date;
  }) {
    this.#logger = options.logger;
    this.#refreshIntervalMs = options.refreshIntervalMs;
    this.#canariesOf = options.canariesOf;
    this.#templateOf = options.templateOf;
    this.#now = options.now ?? (() => new Date());
    for (const cluster of options.clusters) {
      if (!cluster.prometheusUrl) continue;
      this.#clusters.set(cluster.name, {
        client: new PrometheusClient(
          cluster.prometheusUrl,
          options.timeoutMs,
          options.fetchImpl,
        ),
        externalUrl: cluster.prometheusExternalUrl ?? cluster.prometheusUrl,
        status: { status: 'ok' },
        readings: new Map(),
        running: false,
        lastQueryCount: 0,
      });
    }
  }

  /** One refresh loop per cluster; a slow Prometheus delays only its own cluster. */
  start() {
    for (const [name, cluster] of this.#clusters) {
      if (cluster.running) continue;
      cluster.running = true;
      const tick = async () => {
        try {
          await this.refresh(name);
        } catch (error) {
          this.#logger.warn(
            `Refreshing metrics of cluster ${name} failed: ${error}`,
          );
        }
        if (cluster.running) {
          cluster.timer = setTimeout(tick, this.#refreshIntervalMs);
          cluster.timer.unref?.();
        }
      };
      cluster.timer = setTimeout(tick, Math.min(1000, this.#refreshIntervalMs));
      cluster.timer.unref?.();
    }
  }

  stop() {
    for (const cluster of this.#clusters.values()) {
      cluster.running = false;
      if (cluster.timer) clearTimeout(cluster.timer);
      cluster.timer = undefined;
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

  lastQueryCount(cluster: string): number {
    return this.#clusters.get(cluster)?.lastQueryCount ?? 0;
  }

  readings(
    cluster: string,
    namespace: string,
    name: string,
  ): Map<string, MetricReading> | undefined {
    return this.#clusters.get(cluster)?.readings.get(`${namespace}/${name}`);
  }

  /** Queries Prometheus once for every canary of a cluster and replaces the cluster's readings. */
  async refresh(clusterName: string): Promise<void> {
    const cluster = this.#clusters.get(clusterName);
    if (!cluster) return;
    const at = this.#now().toISOString();
    const canaries = this.#canariesOf(clusterName);
    let queries = 0;
    let prometheusFailure: string | undefined;
    const query = async (promql: string) => {
      queries += 1;
      try {
        return await cluster.client.query(promql);
      } catch (error) {
        if (error instanceof PrometheusError && error.unreachable)
          prometheusFailure ??= error.message;
        throw error;
      }
    };

    // Which batches are needed: provider and interval of every builtin metric, with the namespaces involved.
    const batches = new Map<
      string,
      { provider: BuiltinProvider; interval: string; namespaces: Set<string> }
    >();
    for (const watched of canaries) {
      const provider = builtinProviderOf(watched.object);
      if (!provider) continue;
      for (const metric of metricsOf(watched.object)) {
        if (!isBuiltinMetric(metric)) continue;
        const interval = metric.interval || '1m';
        const key = `${provider}|${interval}`;
        const batch = batches.get(key) ?? {
          provider,
          interval,
          namespaces: new Set<string>(),
        };
        batch.namespaces.add(watched.ref.namespace);
        batches.set(key, batch);
      }
    }
    const answers = new Map<string, Map<string, number> | Error>();
    await Promise.all(
      [...batches.entries()].flatMap(([key, batch]) => {
        const promql =
          batch.provider === 'contour'
            ? batchedContourQueries(batch.interval, [...batch.namespaces])
            : batchedHttpQueries(batch.interval, [...batch.namespaces]);
        return BUILTINS.map(async metric => {
          try {
            answers.set(
              `${key}|${metric}`,
              indexSamples(batch.provider, await query(promql[metric])),
            );
          } catch (error) {
            answers.set(`${key}|${metric}`, error as Error);
          }
        });
      }),
    );

    const readings = new Map<string, Map<string, MetricReading>>();
    const custom: Array<() => Promise<void>> = [];
    for (const watched of canaries) {
      const canary = watched.object;
      const provider = builtinProviderOf(canary);
      const perMetric = new Map<string, MetricReading>();
      for (const metric of metricsOf(canary)) {
        const interval = metric.interval || '1m';
        if (isBuiltinMetric(metric)) {
          if (!provider) {
            perMetric.set(metric.name, {
              error: `Builtin metrics of provider "${
                canary.spec?.provider ?? 'default'
              }" are not read by this plugin; Flagger still checks them.`,
              at,
            });
            continue;
          }
          const model = templateModel(
            canary,
            interval,
            metric.templateVariables,
          );
          const name = metric.name as BuiltinMetric;
          const answer = answers.get(`${provider}|${interval}|${name}`);
          const reading: MetricReading = {
            query: builtinQuery(provider, name, model, 'canary'),
            primaryQuery: builtinQuery(provider, name, model, 'primary'),
            at,
          };
          if (!answer || answer instanceof Error) {
            reading.error = answer?.message ?? 'not queried';
          } else {
            const keys = sideKeys(provider, model);
            const convert = (value: number | undefined) => {
              if (value === undefined || !Number.isFinite(value))
                return undefined;
              return name === 'request-duration'
                ? durationMilliseconds(provider, value)
                : value;
            };
            reading.value = convert(answer.get(keys.canary));
            reading.primaryValue = convert(answer.get(keys.primary));
          }
          perMetric.set(metric.name, reading);
        } else {
          custom.push(async () => {
            perMetric.set(
              metric.name,
              await this.#customReading(clusterName, query, canary, metric, at),
            );
          });
        }
      }
      readings.set(`${watched.ref.namespace}/${watched.ref.name}`, perMetric);
    }
    await runLimited(custom, CUSTOM_QUERY_CONCURRENCY);

    cluster.readings = readings;
    cluster.lastQueryCount = queries;
    const previous = cluster.status;
    cluster.status = prometheusFailure
      ? { status: 'error', error: prometheusFailure }
      : { status: 'ok' };
    if (prometheusFailure && previous.status !== 'error') {
      this.#logger.warn(
        `Prometheus of cluster ${clusterName} failed: ${prometheusFailure}`,
      );
    }
  }

  /** Range series of a canary's metrics, on demand for charts. */
  async series(
    watched: WatchedCanary,
    minutes: number,
  ): Promise<MetricSeries[]> {
    const cluster = this.#clusters.get(watched.ref.cluster);
    const end = this.#now();
    const start = new Date(end.getTime() - minutes * 60_000);
    const step = Math.max(10, Math.round((minutes * 60) / 120));
    const provider = builtinProviderOf(watched.object);
    return Promise.all(
      metricsOf(watched.object).map(async (metric): Promise<MetricSeries> => {
        const builtin = isBuiltinMetric(metric);
        let unit: MetricSeries['unit'] = 'none';
        if (builtin)
          unit =
            metric.name === 'request-success-rate' ? 'percent' : 'milliseconds';
        const base: MetricSeries = {
          metric: metric.name,
          unit,
          thresholdRange: thresholdRangeOf(metric),
          canary: [],
        };
        if (!cluster) {
          return {
            ...base,
            error: `No Prometheus is configured for cluster ${watched.ref.cluster} (progressiveDelivery.clusters.${watched.ref.cluster}.prometheus.url).`,
          };
        }
        try {
          const model = templateModel(
            watched.object,
            metric.interval || '1m',
            metric.templateVariables,
          );
          if (builtin) {
            if (!provider)
              throw new Error(
                `Builtin metrics of provider "${
                  watched.object.spec?.provider ?? 'default'
                }" are not read by this plugin.`,
              );
            const name = metric.name as BuiltinMetric;
            const convert = (values: Array<{ at: string; value: number }>) =>
              values
                .filter(sample => Number.isFinite(sample.value))
                .map(sample => ({
                  at: sample.at,
                  value:
                    name === 'request-duration'
                      ? durationMilliseconds(provider, sample.value)
                      : sample.value,
                }));
            const [canarySeries, primarySeries] = await Promise.all([
              cluster.client.queryRange(
                builtinQuery(provider, name, model, 'canary'),
                start,
                end,
                step,
              ),
              cluster.client.queryRange(
                builtinQuery(provider, name, model, 'primary'),
                start,
                end,
                step,
              ),
            ]);
            return {
              ...base,
              canary: convert(canarySeries[0]?.values ?? []),
              primary: convert(primarySeries[0]?.values ?? []),
            };
          }
          const query = this.#customQuery(
            watched.ref.cluster,
            watched.object,
            metric,
            model,
          );
          const series = await cluster.client.queryRange(
            query,
            start,
            end,
            step,
          );
          return {
            ...base,
            canary: (series[series.length - 1]?.values ?? []).filter(s =>
              Number.isFinite(s.value),
            ),
          };
        } catch (error) {
          return { ...base, error: (error as Error).message };
        }
      }),
    );
  }

  #customQuery(
    cluster: string,
    canary: Obj,
    metric: Obj,
    model: TemplateModel,
  ): string {
    if (metric.templateRef) {
      const namespace =
        metric.templateRef.namespace ?? canary.metadata.namespace;
      const template = this.#templateOf(
        cluster,
        namespace,
        metric.templateRef.name,
      );
      if (!template)
        throw new Error(
          `MetricTemplate ${namespace}/${metric.templateRef.name} does not exist in cluster ${cluster}`,
        );
      const type = template.spec?.provider?.type ?? 'prometheus';
      if (type !== 'prometheus') {
        throw new Error(
          `MetricTemplate ${namespace}/${metric.templateRef.name} queries ${type}; this plugin reads only Prometheus`,
        );
      }
      return renderQuery(template.spec?.query ?? '', model);
    }
    if (metric.query) return renderQuery(metric.query, model);
    throw new Error(
      'no usable metric template or query is configured (Flagger fails this check too)',
    );
  }

  async #customReading(
    cluster: string,
    query: (promql: string) => Promise<Sample[]>,
    canary: Obj,
    metric: Obj,
    at: string,
  ): Promise<MetricReading> {
    let promql: string | undefined;
    try {
      promql = this.#customQuery(
        cluster,
        canary,
        metric,
        templateModel(
          canary,
          metric.interval || '1m',
          metric.templateVariables,
        ),
      );
      const samples = await query(promql);
      // Like Flagger: the last series wins; NaN or nothing is "no values".
      const value = samples[samples.length - 1]?.value;
      return {
        query: promql,
        value:
          value !== undefined && Number.isFinite(value) ? value : undefined,
        at,
      };
    } catch (error) {
      return { query: promql, error: (error as Error).message, at };
    }
  }
}

function metricsOf(canary: Obj): Obj[] {
  const metrics = analysisOf(canary)?.metrics;
  return Array.isArray(metrics)
    ? metrics.filter(metric => metric && typeof metric.name === 'string')
    : [];
}

function indexSamples(
  provider: BuiltinProvider,
  samples: Sample[],
): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samples) {
    const key = seriesKey(provider, sample.labels);
    if (key) values.set(key, sample.value);
  }
  return values;
}

async function runLimited(
  tasks: Array<() => Promise<void>>,
  concurrency: number,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++];
        await task();
      }
    }),
  );
}
