import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterStatus,
  MetricSeries,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../config';
import {
  BuiltinMetric,
  isBuiltinMetric,
  metricsOf,
  metricUnit,
  thresholdRangeOf,
} from '../flagger/metrics';
import { CanaryObject } from '../types';
import { PrometheusClient, PrometheusError } from './PrometheusClient';
import {
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  unreadableReason,
} from './builtinQueries';
import { templateModel } from './queries';
import {
  batchedReading,
  BatchedReadings,
  CUSTOM_QUERY_CONCURRENCY,
  MetricReading,
  planBatches,
  Query,
  queryBatches,
  readOwnQueries,
  runLimited,
} from './readings';
import { ClusterServers, customQuery } from './servers';

type Obj = Record<string, any>;

export type { MetricReading } from './readings';

interface ClusterMetrics {
  /** Clients by the URL this backend reaches each Prometheus at; the cluster's own first. */
  clients: Map<string, PrometheusClient>;
  /** The servers as Flagger names them, mapped to URLs of `clients`. */
  servers: ClusterServers;
  meshProvider: string;
  externalUrl?: string;
  status: ClusterStatus['prometheus'];
  /** The canaries (`namespace/name`) the last refresh read: the others have no readings yet. */
  read: Set<string>;
  /** The last refresh's batch answers, from which viewed canaries' builtin metrics are read. */
  batched: BatchedReadings;
  /** Readings of the metrics queried per canary, by `namespace/name`. */
  own: Map<string, Map<string, MetricReading>>;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** How many queries the last refresh sent (exposed for tests and diagnostics). */
  lastQueryCount: number;
}

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
  readonly #canariesOf: (cluster: string) => CanaryObject[];
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
    canariesOf: (cluster: string) => CanaryObject[];
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
      const servers = new ClusterServers(
        cluster.name,
        cluster.prometheusUrl,
        cluster.prometheusServers ?? [],
        (namespace, name) => this.#templateOf(cluster.name, namespace, name),
      );
      const clients = new Map(
        servers
          .urls()
          .map(url => [
            url,
            new PrometheusClient(url, options.timeoutMs, options.fetchImpl),
          ]),
      );
      this.#clusters.set(cluster.name, {
        clients,
        servers,
        meshProvider: cluster.meshProvider ?? 'istio',
        externalUrl: cluster.prometheusExternalUrl ?? cluster.prometheusUrl,
        status: { status: 'ok' },
        read: new Set(),
        batched: { answers: new Map(), at: new Date(0).toISOString() },
        own: new Map(),
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

  /**
   * The query of a template or inline-query metric as Flagger sends it, rendered from the
   * watched MetricTemplate; it needs no Prometheus, so it is known also for a cluster without
   * one or a server this backend cannot reach. Undefined for builtin metrics and when no query
   * can be rendered (the reading says why).
   */
  customQuery(watched: CanaryObject, metric: Obj): string | undefined {
    if (isBuiltinMetric(metric)) return undefined;
    try {
      return customQuery(
        watched.ref.cluster,
        watched.object,
        metric,
        templateModel(
          watched.object,
          metric.interval || '1m',
          metric.templateVariables,
        ),
        (namespace, name) =>
          this.#templateOf(watched.ref.cluster, namespace, name),
      ).promql;
    } catch {
      return undefined;
    }
  }

  /**
   * A canary's metric readings as of the last refresh of its cluster; undefined before a
   * refresh has read it. Builtin metrics are read from the refresh's batch answers now, so a
   * refresh costs nothing per canary that is not viewed.
   */
  readings(watched: CanaryObject): Map<string, MetricReading> | undefined {
    const cluster = this.#clusters.get(watched.ref.cluster);
    const key = `${watched.ref.namespace}/${watched.ref.name}`;
    if (!cluster?.read.has(key)) return undefined;
    const own = cluster.own.get(key);
    const readings = new Map<string, MetricReading>();
    for (const metric of metricsOf(watched.object)) {
      const reading =
        own?.get(metric.name) ??
        batchedReading(cluster, watched.object, metric, cluster.batched);
      if (reading) readings.set(metric.name, reading);
    }
    return readings;
  }

  /**
   * Queries Prometheus once for every canary of a cluster and replaces the cluster's readings:
   * plan the batched queries, send them, then read every canary's metrics from their answers
   * (and from the per-canary queries that cannot be batched).
   */
  async refresh(clusterName: string): Promise<void> {
    const cluster = this.#clusters.get(clusterName);
    if (!cluster) return;
    const at = this.#now().toISOString();
    const canaries = this.#canariesOf(clusterName);
    let queries = 0;
    let prometheusFailure: string | undefined;
    const query: Query = async (url, promql) => {
      queries += 1;
      try {
        return await cluster.clients.get(url)!.query(promql);
      } catch (error) {
        if (error instanceof PrometheusError && error.unreachable)
          prometheusFailure ??= error.message;
        throw error;
      }
    };

    const batches = planBatches(cluster, canaries);
    const answers = await queryBatches(batches, query);
    const perCanary: Array<() => Promise<void>> = [];
    const own = await readOwnQueries(cluster, canaries, query, at, perCanary);
    await runLimited(perCanary, CUSTOM_QUERY_CONCURRENCY);

    cluster.read = new Set(
      canaries.map(c => `${c.ref.namespace}/${c.ref.name}`),
    );
    cluster.batched = { answers, at };
    cluster.own = own;
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
    watched: CanaryObject,
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
        const base: MetricSeries = {
          metric: metric.name,
          unit: metricUnit(metric),
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
            const server = cluster.servers.builtin(watched.object);
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
          const custom = cluster.servers.custom(watched.object, metric, model);
          if ('error' in custom.server) throw new Error(custom.server.error);
          const series = await cluster.clients
            .get(custom.server.url)!
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
}
