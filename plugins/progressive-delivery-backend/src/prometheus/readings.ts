import { CanaryObject } from '../types';
import {
  BUILTIN_METRICS,
  BuiltinMetric,
  isBuiltinMetric,
  metricsOf,
} from '../flagger/metrics';
import { Sample } from './PrometheusClient';
import {
  batchOf,
  BuiltinProvider,
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  unreadableReason,
} from './builtinQueries';
import { templateModel } from './queries';
import { ClusterServers } from './servers';

/*
 * The steps of one refresh of a cluster's readings: plan the batched queries of the builtin
 * metrics, send them, then read every canary's metrics from their answers and from the
 * per-canary queries that cannot be batched.
 */

type Obj = Record<string, any>;

/** A metric's current value as the metrics cache knows it. */
export interface MetricReading {
  value?: number;
  primaryValue?: number;
  query?: string;
  primaryQuery?: string;
  error?: string;
  /** The metric's server is one this backend has no URL for, so the query was not sent. */
  serverUnknown?: boolean;
  at: string;
}

/** What the reading steps need of a cluster. */
export interface ReadingCluster {
  meshProvider: string;
  servers: ClusterServers;
}

/** Per-canary queries (templates, inline queries, unbatched observers) run at most this many at a time per cluster. */
export const CUSTOM_QUERY_CONCURRENCY = 8;

/** Canaries handled between two turns of the event loop during a refresh. */
const YIELD_EVERY = 50;

const yieldToPageViews = () =>
  new Promise<void>(resolve => setImmediate(resolve));

/** A builtin metric's queries and series keys for one canary, worked out once per object. */
interface BuiltinPlan {
  query?: string;
  primaryQuery?: string;
  sideKeys?: { canary: string; primary: string };
}

/**
 * Plans by canary object. A watch update replaces the object, so a plan never outlives the
 * spec it was made from, and an unchanged canary costs no template rendering per refresh (at
 * 100,000 canaries rendering was most of a refresh's CPU).
 */
const builtinPlans = new WeakMap<Obj, Map<string, BuiltinPlan>>();

function builtinPlanOf(
  canary: Obj,
  provider: BuiltinProvider,
  name: BuiltinMetric,
  metric: Obj,
): BuiltinPlan {
  const interval = metric.interval || '1m';
  const key = `${provider}|${name}|${interval}`;
  let plans = builtinPlans.get(canary);
  const known = plans?.get(key);
  if (known) return known;
  const model = templateModel(canary, interval, metric.templateVariables);
  const plan: BuiltinPlan = {
    query: builtinQuery(provider, name, model, 'canary'),
    primaryQuery: builtinQuery(provider, name, model, 'primary'),
    sideKeys: batchOf(provider)?.sideKeys(model),
  };
  if (!plans) {
    plans = new Map();
    builtinPlans.set(canary, plans);
  }
  plans.set(key, plan);
  return plan;
}

/** One reading of a template or inline-query metric. */
async function customReading(
  servers: ClusterServers,
  query: Query,
  canary: Obj,
  metric: Obj,
  at: string,
): Promise<MetricReading> {
  let promql: string | undefined;
  try {
    const custom = servers.custom(
      canary,
      metric,
      templateModel(canary, metric.interval || '1m', metric.templateVariables),
    );
    promql = custom.promql;
    if ('error' in custom.server)
      return {
        query: promql,
        error: custom.server.error,
        serverUnknown: true,
        at,
      };
    const samples = await query(custom.server.url, promql);
    // Like Flagger: the last series wins; NaN or nothing is "no values".
    const value = samples[samples.length - 1]?.value;
    return {
      query: promql,
      value: value !== undefined && Number.isFinite(value) ? value : undefined,
      at,
    };
  } catch (error) {
    return { query: promql, error: (error as Error).message, at };
  }
}

export type Query = (url: string, promql: string) => Promise<Sample[]>;

/** One query per cluster, server, observer and interval that answers for many canaries. */
interface Batch {
  url: string;
  provider: BuiltinProvider;
  interval: string;
  namespaces: Set<string>;
}

/** Each batch's values by series key, per metric, keyed `<batch key>|<metric>`; or its error. */
export type BatchAnswers = Map<string, Map<string, number> | Error>;

/**
 * Which batches are needed: server, observer and interval of every batchable builtin metric,
 * with the namespaces involved.
 */
export function planBatches(
  cluster: ReadingCluster,
  canaries: CanaryObject[],
): Map<string, Batch> {
  const batches = new Map<string, Batch>();
  for (const watched of canaries) {
    const provider = builtinProviderOf(watched.object, cluster.meshProvider);
    const server = cluster.servers.builtin(watched.object);
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
  return batches;
}

/** Sends every batch's query for each builtin metric at once. */
export async function queryBatches(
  batches: Map<string, Batch>,
  query: Query,
): Promise<BatchAnswers> {
  const answers: BatchAnswers = new Map();
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

  return answers;
}

/** What a refresh leaves for reading a canary's builtin metrics later, when it is viewed. */
export interface BatchedReadings {
  answers: BatchAnswers;
  at: string;
}

/**
 * The reading of a builtin metric from the batch answers of the last refresh (or why there is
 * none); undefined when the metric needs a query of its own (templates, inline queries and the
 * observers whose series cannot be grouped).
 */
export function batchedReading(
  cluster: ReadingCluster,
  canary: Obj,
  metric: Obj,
  { answers, at }: BatchedReadings,
): MetricReading | undefined {
  if (!isBuiltinMetric(metric)) return undefined;
  const provider = builtinProviderOf(canary, cluster.meshProvider);
  const unreadable = unreadableReason(provider);
  if (unreadable) {
    return {
      error: `${unreadable}; Flagger still checks ${metric.name}.`,
      at,
    };
  }
  const name = metric.name as BuiltinMetric;
  try {
    const plan = builtinPlanOf(canary, provider, name, metric);
    const reading: MetricReading = {
      query: plan.query,
      primaryQuery: plan.primaryQuery,
      at,
    };
    const server = cluster.servers.builtin(canary);
    if ('error' in server) {
      reading.error = server.error;
      reading.serverUnknown = true;
      return reading;
    }
    // Only batched observers have series keys; the others are queried per canary.
    if (!plan.sideKeys) return undefined;
    const interval = metric.interval || '1m';
    const answer = answers.get(`${server.url}|${provider}|${interval}|${name}`);
    if (!answer || answer instanceof Error) {
      reading.error = answer?.message ?? 'not queried';
    } else {
      reading.value = convertValue(
        provider,
        name,
        answer.get(plan.sideKeys.canary),
      );
      reading.primaryValue = convertValue(
        provider,
        name,
        answer.get(plan.sideKeys.primary),
      );
    }
    return reading;
  } catch (error) {
    return { error: (error as Error).message, at };
  }
}

function convertValue(
  provider: BuiltinProvider,
  name: BuiltinMetric,
  value: number | undefined,
): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return name === 'request-duration'
    ? durationMilliseconds(provider, value)
    : value;
}

/**
 * The readings a refresh must make per canary: template and inline-query metrics and builtin
 * metrics of unbatched observers, as tasks pushed to `perCanary` (they fill their reading in
 * when run). Batched builtin metrics are read from the answers when a canary is viewed
 * (`batchedReading`), so a refresh walks every canary only to find these.
 */
export async function readOwnQueries(
  cluster: ReadingCluster,
  canaries: CanaryObject[],
  query: Query,
  at: string,
  perCanary: Array<() => Promise<void>>,
): Promise<Map<string, Map<string, MetricReading>>> {
  const readings = new Map<string, Map<string, MetricReading>>();
  for (const [index, watched] of canaries.entries()) {
    // Thousands of canaries take a while to walk; let page views in between.
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToPageViews();
    const canary = watched.object;
    const provider = builtinProviderOf(canary, cluster.meshProvider);
    const server = cluster.servers.builtin(canary);
    // Builtin metrics of unbatched observers on a server this backend can ask; the others
    // are read from the batch answers (or say why not) in `batchedReading`.
    const unbatched =
      !unreadableReason(provider) && !batchOf(provider) && !('error' in server)
        ? server
        : undefined;
    const own = new Map<string, MetricReading>();
    let queriedOnItsOwn = false;
    for (const metric of metricsOf(canary)) {
      if (!isBuiltinMetric(metric)) {
        queriedOnItsOwn = true;
        perCanary.push(async () => {
          own.set(
            metric.name,
            await customReading(cluster.servers, query, canary, metric, at),
          );
        });
        continue;
      }
      if (!unbatched) continue;
      queriedOnItsOwn = true;
      const name = metric.name as BuiltinMetric;
      let reading: MetricReading;
      try {
        const plan = builtinPlanOf(canary, provider, name, metric);
        reading = { query: plan.query, primaryQuery: plan.primaryQuery, at };
      } catch (error) {
        own.set(metric.name, { error: (error as Error).message, at });
        continue;
      }
      own.set(metric.name, reading);
      perCanary.push(async () => {
        try {
          const [canarySide, primarySide] = await Promise.all([
            query(unbatched.url, reading.query!),
            reading.primaryQuery
              ? query(unbatched.url, reading.primaryQuery)
              : Promise.resolve([]),
          ]);
          // Like Flagger: the last series wins; NaN or nothing is "no values".
          reading.value = convertValue(
            provider,
            name,
            canarySide[canarySide.length - 1]?.value,
          );
          reading.primaryValue = convertValue(
            provider,
            name,
            primarySide[primarySide.length - 1]?.value,
          );
        } catch (error) {
          reading.error = (error as Error).message;
        }
      });
    }
    // Most canaries have none: no empty map is kept for them.
    if (queriedOnItsOwn) {
      readings.set(`${watched.ref.namespace}/${watched.ref.name}`, own);
    }
  }
  return readings;
}

/** Runs the tasks, at most `concurrency` at a time. */
export async function runLimited(
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
