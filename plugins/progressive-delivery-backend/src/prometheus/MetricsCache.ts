import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterStatus,
  MetricSeries,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig, normalizeAddress } from '../service/config';
import { WatchedCanary } from '../service/types';
import {
  analysisOf,
  isBuiltinMetric,
  MetricReading,
  thresholdRangeOf,
} from '../translation/summarizeCanary';
import { PrometheusClient, PrometheusError, Sample } from './PrometheusClient';
import {
  batchOf,
  BUILTIN_METRICS,
  BuiltinMetric,
  BuiltinProvider,
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  unreadableReason,
} from './builtinQueries';
import { renderQuery, templateModel, TemplateModel } from './queries';

type Obj = Record<string, any>;

interface ClusterMetrics {
  /** Clients by the URL this backend reaches each Prometheus at; the cluster's own first. */
  clients: Map<string, PrometheusClient>;
  defaultUrl: string;
  /** In-cluster addresses (as Flagger names servers) mapped to URLs of `clients`. */
  urlOfAddress: Map<string, string>;
  meshProvider: string;
  externalUrl?: string;
  status: ClusterStatus['prometheus'];
  readings: Map<string, Map<string, MetricReading>>;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** How many queries the last refresh sent (exposed for tests and diagnostics). */
  lastQueryCount: number;
}

/** Per-canary queries (templates, inline queries, unbatched observers) run at most this many at a time per cluster. */
const CUSTOM_QUERY_CONCURRENCY = 8;

/** Canaries handled between two turns of the event loop during a refresh. */
const YIELD_EVERY = 50;

const yieldToPageViews = () =>
  new Promise<void>(resolve => setImmediate(resolve));

/**
 * Current metric values of every canary, refreshed in the background per cluster so a page
 * view never waits on Prometheus. Builtin metrics are batched where the observer's series
 * can be told apart per canary: per cluster, server, observer, interval and metric, one
 * query answers for all canaries, whatever their number. Template and inline-query metrics,
 * and the observers whose series cannot be grouped, are one query per canary.
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
      const clients = new Map<string, PrometheusClient>();
      const urlOfAddress = new Map<string, string>();
      for (const url of [
        cluster.prometheusUrl,
        ...(cluster.prometheusServers ?? []).map(server => server.url),
      ]) {
        if (!clients.has(url)) {
          clients.set(
            url,
            new PrometheusClient(url, options.timeoutMs, options.fetchImpl),
          );
        }
      }
      urlOfAddress.set(
        normalizeAddress(cluster.prometheusUrl),
        cluster.prometheusUrl,
      );
      for (const server of cluster.prometheusServers ?? []) {
        urlOfAddress.set(normalizeAddress(server.address), server.url);
      }
      this.#clusters.set(cluster.name, {
        clients,
        defaultUrl: cluster.prometheusUrl,
        urlOfAddress,
        meshProvider: cluster.meshProvider ?? 'istio',
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
    const query = async (url: string, promql: string) => {
      queries += 1;
      try {
        return await cluster.clients.get(url)!.query(promql);
      } catch (error) {
        if (error instanceof PrometheusError && error.unreachable)
          prometheusFailure ??= error.message;
        throw error;
      }
    };

    // Which batches are needed: server, observer and interval of every batchable builtin
    // metric, with the namespaces involved.
    const batches = new Map<
      string,
      {
        url: string;
        provider: BuiltinProvider;
        interval: string;
        namespaces: Set<string>;
      }
    >();
    for (const watched of canaries) {
      const provider = builtinProviderOf(watched.object, cluster.meshProvider);
      const server = this.#builtinServer(clusterName, cluster, watched.object);
      if (!batchOf(provider) || 'error' in server) continue;
      for (const metric of metricsOf(watched.object)) {
        if (!isBuiltinMetric(metric)) continue;
        const interval = metric.interval || '1m';
        const key = `${server.url}|${provider}|${interval}`;
        const batch = batches.get(key) ?? {
          url: server.url,
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
        const observerBatch = batchOf(batch.provider)!;
        const promql = observerBatch.queries(batch.interval, [
          ...batch.namespaces,
        ]);
        return BUILTIN_METRICS.map(async metric => {
          try {
            const samples = await query(batch.url, promql[metric]);
            const values = new Map<string, number>();
            for (const sample of samples) {
              const seriesKey = observerBatch.seriesKey(sample.labels);
              if (seriesKey) values.set(seriesKey, sample.value);
            }
            answers.set(`${key}|${metric}`, values);
          } catch (error) {
            answers.set(`${key}|${metric}`, error as Error);
          }
        });
      }),
    );

    const readings = new Map<string, Map<string, MetricReading>>();
    const perCanary: Array<() => Promise<void>> = [];
    for (const [index, watched] of canaries.entries()) {
      // Thousands of canaries take a while to walk; let page views in between.
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToPageViews();
      const canary = watched.object;
      const provider = builtinProviderOf(canary, cluster.meshProvider);
      const perMetric = new Map<string, MetricReading>();
      for (const metric of metricsOf(canary)) {
        const interval = metric.interval || '1m';
        if (!isBuiltinMetric(metric)) {
          perCanary.push(async () => {
            perMetric.set(
              metric.name,
              await this.#customReading(
                clusterName,
                cluster,
                query,
                canary,
                metric,
                at,
              ),
            );
          });
          continue;
        }
        const unreadable = unreadableReason(provider);
        if (unreadable) {
          perMetric.set(metric.name, {
            error: `${unreadable}; Flagger still checks ${metric.name}.`,
            at,
          });
          continue;
        }
        const name = metric.name as BuiltinMetric;
        let reading: MetricReading = { at };
        try {
          const model = templateModel(
            canary,
            interval,
            metric.templateVariables,
          );
          reading = {
            query: builtinQuery(provider, name, model, 'canary'),
            primaryQuery: builtinQuery(provider, name, model, 'primary'),
            at,
          };
          const server = this.#builtinServer(clusterName, cluster, canary);
          const convert = (value: number | undefined) => {
            if (value === undefined || !Number.isFinite(value))
              return undefined;
            return name === 'request-duration'
              ? durationMilliseconds(provider, value)
              : value;
          };
          const batch = batchOf(provider);
          if ('error' in server) {
            reading.error = server.error;
          } else if (batch) {
            const answer = answers.get(
              `${server.url}|${provider}|${interval}|${name}`,
            );
            if (!answer || answer instanceof Error) {
              reading.error = answer?.message ?? 'not queried';
            } else {
              const keys = batch.sideKeys(model);
              reading.value = convert(answer.get(keys.canary));
              reading.primaryValue = convert(answer.get(keys.primary));
            }
          } else {
            const current = reading;
            perCanary.push(async () => {
              try {
                const [canarySide, primarySide] = await Promise.all([
                  query(server.url, current.query!),
                  current.primaryQuery
                    ? query(server.url, current.primaryQuery)
                    : Promise.resolve([]),
                ]);
                // Like Flagger: the last series wins; NaN or nothing is "no values".
                current.value = convert(
                  canarySide[canarySide.length - 1]?.value,
                );
                current.primaryValue = convert(
                  primarySide[primarySide.length - 1]?.value,
                );
              } catch (error) {
                current.error = (error as Error).message;
              }
            });
          }
        } catch (error) {
          reading.error = (error as Error).message;
        }
        perMetric.set(metric.name, reading);
      }
      readings.set(`${watched.ref.namespace}/${watched.ref.name}`, perMetric);
    }
    await runLimited(perCanary, CUSTOM_QUERY_CONCURRENCY);

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
    const clusterName = watched.ref.cluster;
    const cluster = this.#clusters.get(clusterName);
    const end = this.#now();
    const start = new Date(end.getTime() - minutes * 60_000);
    const step = Math.max(10, Math.round((minutes * 60) / 120));
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
            error: `No Prometheus is configured for cluster ${clusterName} (progressiveDelivery.clusters.${clusterName}.prometheus.url).`,
          };
        }
        try {
          const model = templateModel(
            watched.object,
            metric.interval || '1m',
            metric.templateVariables,
          );
          if (builtin) {
            const provider = builtinProviderOf(
              watched.object,
              cluster.meshProvider,
            );
            const unreadable = unreadableReason(provider);
            if (unreadable) throw new Error(`${unreadable}.`);
            const server = this.#builtinServer(
              clusterName,
              cluster,
              watched.object,
            );
            if ('error' in server) throw new Error(server.error);
            const client = cluster.clients.get(server.url)!;
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
            const primaryQuery = builtinQuery(provider, name, model, 'primary');
            const [canarySeries, primarySeries] = await Promise.all([
              client.queryRange(
                builtinQuery(provider, name, model, 'canary')!,
                start,
                end,
                step,
              ),
              primaryQuery
                ? client.queryRange(primaryQuery, start, end, step)
                : Promise.resolve(undefined),
            ]);
            return {
              ...base,
              canary: convert(
                canarySeries[canarySeries.length - 1]?.values ?? [],
              ),
              ...(primarySeries
                ? {
                    primary: convert(
                      primarySeries[primarySeries.length - 1]?.values ?? [],
                    ),
                  }
                : {}),
            };
          }
          const custom = this.#customQuery(
            clusterName,
            cluster,
            watched.object,
            metric,
            model,
          );
          const series = await cluster.clients
            .get(custom.url)!
            .queryRange(custom.promql, start, end, step);
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

  /** The server Flagger asks for a canary's builtin and inline-query metrics. */
  #builtinServer(
    clusterName: string,
    cluster: ClusterMetrics,
    canary: Obj,
  ): { url: string } | { error: string } {
    const address = canary.spec?.metricsServer;
    if (typeof address !== 'string' || address === '') {
      return { url: cluster.defaultUrl };
    }
    return this.#serverAt(
      clusterName,
      cluster,
      address,
      `The canary reads its metrics from ${address} (spec.metricsServer)`,
    );
  }

  #serverAt(
    clusterName: string,
    cluster: ClusterMetrics,
    address: string,
    whose: string,
  ): { url: string } | { error: string } {
    const url = cluster.urlOfAddress.get(normalizeAddress(address));
    if (url) return { url };
    return {
      error: `${whose}, a server this backend has no URL for; add { address: ${address}, url: <how this backend reaches it> } to progressiveDelivery.clusters.${clusterName}.prometheus.servers (or set prometheus.address when it is the cluster's own Prometheus).`,
    };
  }

  #customQuery(
    clusterName: string,
    cluster: ClusterMetrics,
    canary: Obj,
    metric: Obj,
    model: TemplateModel,
  ): { url: string; promql: string } {
    if (metric.templateRef) {
      const namespace =
        metric.templateRef.namespace || canary.metadata?.namespace;
      const ref = `MetricTemplate ${namespace}/${metric.templateRef.name}`;
      const template = this.#templateOf(
        clusterName,
        namespace,
        metric.templateRef.name,
      );
      if (!template)
        throw new Error(`${ref} does not exist in cluster ${clusterName}`);
      const type = template.spec?.provider?.type ?? 'prometheus';
      if (type !== 'prometheus') {
        throw new Error(
          `${ref} queries ${type}; this plugin reads only Prometheus`,
        );
      }
      const address = template.spec?.provider?.address;
      if (typeof address !== 'string' || address === '') {
        throw new Error(
          `${ref} has no spec.provider.address (Flagger fails this check too)`,
        );
      }
      const server = this.#serverAt(
        clusterName,
        cluster,
        address,
        `${ref} queries ${address}`,
      );
      if ('error' in server) throw new Error(server.error);
      return {
        url: server.url,
        promql: renderQuery(template.spec?.query ?? '', model),
      };
    }
    if (metric.query) {
      const server = this.#builtinServer(clusterName, cluster, canary);
      if ('error' in server) throw new Error(server.error);
      return { url: server.url, promql: renderQuery(metric.query, model) };
    }
    throw new Error(
      'no usable metric template or query is configured (Flagger fails this check too)',
    );
  }

  async #customReading(
    clusterName: string,
    cluster: ClusterMetrics,
    query: (url: string, promql: string) => Promise<Sample[]>,
    canary: Obj,
    metric: Obj,
    at: string,
  ): Promise<MetricReading> {
    let promql: string | undefined;
    try {
      const custom = this.#customQuery(
        clusterName,
        cluster,
        canary,
        metric,
        templateModel(
          canary,
          metric.interval || '1m',
          metric.templateVariables,
        ),
      );
      promql = custom.promql;
      const samples = await query(custom.url, promql);
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
