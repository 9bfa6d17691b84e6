/*
 * Fault: a cluster's Prometheus answers slowly (a delaying proxy in front of the real one) or
 * not at all (stopped). Summaries must still come back at once, with that cluster's metrics
 * marked unavailable and why; no request to Prometheus may wait longer than its timeout.
 */
import {
  SAMPLE_NAMESPACE,
  startComponent,
  stopComponent,
} from '@progressive-delivery/sandbox';
import { clusterOf, entityRef, itemOf, PortalApi } from '../harness/api';
import { RunningBackend } from '../harness/portal';
import { DelayingHttpProxy } from '../harness/proxies';
import { requireSandbox } from '../harness/sandbox';
import {
  artifactsFor,
  MINUTE,
  SECOND,
  sleep,
  startFaultBackend,
  within,
} from './support';

const APP = 'hello-contour';
/** progressiveDelivery.prometheus.timeout in the generated config. */
const PROMETHEUS_TIMEOUT_MS = 1000;
/** Far below the timeout: a summary never waits on Prometheus. */
const SUMMARY_BUDGET_MS = 500;

let backend: RunningBackend;
let proxy: DelayingHttpProxy;
let api: PortalApi;
let prometheusStopped = false;

jest.setTimeout(6 * MINUTE);

beforeAll(async () => {
  const info = requireSandbox();
  proxy = await DelayingHttpProxy.start(info.clusters.prod.prometheusUrl);
  ({ backend, api } = await startFaultBackend(info, {
    artifactsDir: artifactsFor('prometheus'),
    entity: APP,
    config: {
      prometheusUrls: { prod: proxy.url },
      prometheusTimeout: `${PROMETHEUS_TIMEOUT_MS}ms`,
      prometheusRefreshInterval: '2s',
    },
  }));
}, 5 * MINUTE);

afterEach(() => {
  if (proxy) proxy.delayMs = 0;
});

afterAll(async () => {
  if (prometheusStopped) await startComponent('dev', 'prometheus');
  await backend?.stop();
  await proxy?.close();
});

const verdicts = (item: any): string[] =>
  item.metrics.map((m: any) => m.current?.verdict);

/** Polls the summary while `until` is pending and records how long each answer took. */
async function timedSummaries<T>(
  until: () => Promise<T>,
): Promise<{ result: T; durations: number[] }> {
  const durations: number[] = [];
  let done = false;
  const poller = (async () => {
    while (!done) {
      const startedAt = performance.now();
      const response = await api.fetch(
        `/canaries?entityRef=${encodeURIComponent(entityRef(APP))}`,
      );
      await response.arrayBuffer();
      durations.push(performance.now() - startedAt);
      expect(response.status).toBe(200);
      await sleep(100);
    }
  })();
  try {
    return { result: await until(), durations };
  } finally {
    done = true;
    await poller;
  }
}

const metricsReadable = (cluster: string) => async () => {
  const list = await api.canaries(APP);
  const item = itemOf(list, cluster, APP);
  return clusterOf(list, cluster).prometheus.status === 'ok' &&
    item.metrics.length > 0 &&
    verdicts(item).every(v => v !== undefined && v !== 'unavailable')
    ? list
    : undefined;
};

const metricsUnavailable = (cluster: string) => async () => {
  const list = await api.canaries(APP);
  const item = itemOf(list, cluster, APP);
  return clusterOf(list, cluster).prometheus.status === 'error' &&
    verdicts(item).every(v => v === 'unavailable')
    ? list
    : undefined;
};

/** Waits until the backend reads the metrics of both clusters' Prometheus servers. */
const bothClustersMetricsRead = () =>
  within(
    'metrics of both clusters to be read',
    MINUTE,
    async () =>
      (await metricsReadable('prod')()) && (await metricsReadable('dev')()),
  );

test('a slow Prometheus: summaries answer at once with its metrics unavailable; no query outlives the timeout', async () => {
  await bothClustersMetricsRead();

  proxy.delayMs = 5 * PROMETHEUS_TIMEOUT_MS;
  const slowSince = Date.now();
  const { result: list, durations } = await timedSummaries(async () => {
    const found = await within(
      'prod metrics to be marked unavailable',
      30 * SECOND,
      metricsUnavailable('prod'),
    );
    // Charts ask Prometheus on demand: bounded by the timeout, with the reason per series.
    const startedAt = performance.now();
    const series = await api.json(
      `/canaries/prod/${SAMPLE_NAMESPACE}/${APP}/metrics?entityRef=${encodeURIComponent(
        entityRef(APP),
      )}&minutes=5`,
    );
    const chartMs = performance.now() - startedAt;
    expect(chartMs).toBeLessThan(PROMETHEUS_TIMEOUT_MS + 1000);
    expect(series.series.length).toBeGreaterThan(0);
    for (const s of series.series)
      expect(s.error).toMatch(/did not answer within/);
    return found.value;
  });

  const prod = itemOf(list, 'prod', APP);
  for (const metric of prod.metrics) {
    expect(metric.current.message).toMatch(/did not answer within 1000 ms/);
  }
  expect(clusterOf(list, 'prod').prometheus.error).toMatch(
    /did not answer within/,
  );
  // The other cluster's Prometheus is unaffected.
  expect(clusterOf(list, 'dev').prometheus.status).toBe('ok');
  expect(verdicts(itemOf(list, 'dev', APP))).not.toContain('unavailable');

  expect(durations.length).toBeGreaterThan(5);
  expect(Math.max(...durations)).toBeLessThan(SUMMARY_BUDGET_MS);

  // Every query sent to the slow Prometheus was given up at its timeout: none is still
  // waiting past it, none got an answer.
  const checkedAt = Date.now();
  const slowQueries = proxy.requests.filter(
    r =>
      r.startedAt >= slowSince &&
      r.startedAt < checkedAt - PROMETHEUS_TIMEOUT_MS - 300,
  );
  expect(slowQueries.length).toBeGreaterThan(0);
  const waits = slowQueries.map(r => (r.endedAt ?? checkedAt) - r.startedAt);
  expect(slowQueries.filter(r => !r.abandoned)).toEqual([]);
  expect(Math.max(...waits)).toBeLessThan(PROMETHEUS_TIMEOUT_MS + 300);

  proxy.delayMs = 0;
  await within(
    'prod metrics to come back',
    30 * SECOND,
    metricsReadable('prod'),
  );
  process.stderr.write(
    `[faults] slow Prometheus: ${
      durations.length
    } summaries, slowest ${Math.round(Math.max(...durations))} ms; ${
      slowQueries.length
    } queries abandoned after at most ${Math.max(...waits)} ms\n`,
  );
});

test('a stopped Prometheus: summaries answer at once with its metrics unavailable, and recover when it returns', async () => {
  await bothClustersMetricsRead();
  await stopComponent('dev', 'prometheus');
  prometheusStopped = true;
  const { result: list, durations } = await timedSummaries(
    async () =>
      (
        await within(
          'dev metrics to be marked unavailable',
          30 * SECOND,
          metricsUnavailable('dev'),
        )
      ).value,
  );
  const dev = itemOf(list, 'dev', APP);
  for (const metric of dev.metrics)
    expect(metric.current.message).toMatch(/unreachable|ECONNREFUSED/);
  expect(clusterOf(list, 'dev').prometheus.error).toMatch(
    /unreachable|ECONNREFUSED/,
  );
  expect(clusterOf(list, 'prod').prometheus.status).toBe('ok');
  expect(durations.length).toBeGreaterThan(0);
  expect(Math.max(...durations)).toBeLessThan(SUMMARY_BUDGET_MS);

  await startComponent('dev', 'prometheus');
  prometheusStopped = false;
  await within('dev metrics to come back', MINUTE, metricsReadable('dev'));
  process.stderr.write(
    `[faults] stopped Prometheus: ${
      durations.length
    } summaries, slowest ${Math.round(Math.max(...durations))} ms\n`,
  );
});
