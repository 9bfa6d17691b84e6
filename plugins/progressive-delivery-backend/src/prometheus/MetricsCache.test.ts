import { mockServices } from '@backstage/backend-test-utils';
import { ClusterConfig } from '../config';
import { WatchedCanary } from '../types';
import { MetricsCache } from './MetricsCache';

type Obj = Record<string, any>;

function watched(
  name: string,
  provider: string,
  metrics: Obj[],
  namespace = 'tap-apps',
): WatchedCanary {
  return {
    ref: { cluster: 'dev', namespace, name },
    object: {
      metadata: { name, namespace },
      spec: {
        provider,
        targetRef: { kind: 'Deployment', name },
        analysis: { interval: '10s', metrics },
      },
    },
    events: [],
  };
}

const builtins = [
  {
    name: 'request-success-rate',
    interval: '30s',
    thresholdRange: { min: 99 },
  },
  { name: 'request-duration', interval: '30s', thresholdRange: { max: 500 } },
];

/** A Prometheus stand-in that answers the batched queries with one series per canary side. */
function fakePrometheus(
  answer: (query: string) => Array<{ metric: Obj; value: string }> | Error,
) {
  const queries: string[] = [];
  const fetchImpl = (async (input: string) => {
    const url = new URL(input);
    const query = url.searchParams.get('query')!;
    queries.push(query);
    const result = answer(query);
    if (result instanceof Error)
      throw Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'ECONNREFUSED' },
      });
    return new Response(
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: result.map(r => ({ metric: r.metric, value: [0, r.value] })),
        },
      }),
    );
  }) as unknown as typeof fetch;
  return { fetchImpl, queries };
}

function cache(
  canaries: WatchedCanary[],
  fetchImpl: typeof fetch,
  templates: Record<string, Obj> = {},
  cluster: Partial<ClusterConfig> = {},
) {
  const metrics = new MetricsCache({
    clusters: [
      {
        name: 'dev',
        url: 'https://dev',
        skipTLSVerify: false,
        prometheusUrl: 'http://prom:9090',
        ...cluster,
      },
    ],
    timeoutMs: 1000,
    refreshIntervalMs: 10_000,
    logger: mockServices.logger.mock(),
    canariesOf: () => canaries,
    templateOf: (_cluster, namespace, name) =>
      templates[`${namespace}/${name}`],
    fetchImpl,
    now: () => new Date('2026-11-23T03:00:00Z'),
  });
  /** The readings of a canary of `canaries` as it is now (a test may replace it). */
  const readingsOf = (namespace: string, name: string) =>
    metrics.readings(
      canaries.find(c => c.ref.namespace === namespace && c.ref.name === name)!,
    );
  return Object.assign(metrics, { readingsOf });
}

describe('MetricsCache', () => {
  it('reads builtin metrics of any number of canaries with a fixed number of queries', async () => {
    const counts: number[] = [];
    for (const size of [3, 300]) {
      const canaries = Array.from({ length: size }, (_, i) =>
        watched(`app-${i}`, i % 2 ? 'contour' : 'kubernetes', builtins),
      );
      const prometheus = fakePrometheus(query =>
        query.includes('envoy_cluster')
          ? canaries.flatMap(c => [
              {
                metric: { pd_key: `tap-apps_${c.ref.name}-canary` },
                value: query.startsWith('histogram') ? '41.7' : '97.5',
              },
              {
                metric: { pd_key: `tap-apps_${c.ref.name}-primary` },
                value: query.startsWith('histogram') ? '20' : '100',
              },
            ])
          : canaries.map(c => ({
              metric: { kubernetes_namespace: 'tap-apps', pd_key: c.ref.name },
              value: query.startsWith('histogram') ? '0.0427' : 'NaN',
            })),
      );
      const metrics = cache(canaries, prometheus.fetchImpl);
      await metrics.refresh('dev');
      counts.push(prometheus.queries.length);

      const contour = metrics.readingsOf('tap-apps', 'app-1')!;
      expect(contour.get('request-success-rate')).toMatchObject({
        value: 97.5,
        primaryValue: 100,
      });
      expect(contour.get('request-duration')).toMatchObject({
        value: 41,
        primaryValue: 20,
      });
      expect(contour.get('request-success-rate')!.query).toContain(
        'tap-apps_app-1-canary_',
      );
      const http = metrics.readingsOf('tap-apps', 'app-0')!;
      expect(http.get('request-duration')).toMatchObject({ value: 42 });
      expect(http.get('request-success-rate')!.value).toBeUndefined();
      expect(metrics.status('dev')).toEqual({ status: 'ok' });
    }
    expect(counts).toEqual([4, 4]);
  });

  it('reads a canary that a watch update replaced with the queries of its new spec', async () => {
    const canaries = [watched('app', 'contour', builtins)];
    const prometheus = fakePrometheus(() => []);
    const metrics = cache(canaries, prometheus.fetchImpl);
    await metrics.refresh('dev');
    const before = metrics.readingsOf('tap-apps', 'app')!;
    expect(before.get('request-success-rate')!.query).toContain(
      'tap-apps_app-canary_',
    );
    // The watch replaces the object: the new spec targets another Deployment.
    const updated = watched('app', 'contour', builtins);
    updated.object.spec.targetRef.name = 'app-v2';
    canaries[0] = updated;
    await metrics.refresh('dev');
    const after = metrics.readingsOf('tap-apps', 'app')!;
    expect(after.get('request-success-rate')!.query).toContain(
      'tap-apps_app-v2-canary_',
    );
    expect(after.get('request-duration')!.primaryQuery).toContain(
      'app-v2-primary',
    );
  });

  it('marks every reading unavailable, with the reason, when Prometheus is down', async () => {
    const prometheus = fakePrometheus(() => new Error('down'));
    const metrics = cache(
      [watched('hello', 'contour', builtins)],
      prometheus.fetchImpl,
    );
    await metrics.refresh('dev');
    expect(
      metrics.readingsOf('tap-apps', 'hello')!.get('request-success-rate'),
    ).toMatchObject({
      error: 'Prometheus at http://prom:9090 is unreachable: ECONNREFUSED',
      at: '2026-11-23T03:00:00.000Z',
    });
    expect(metrics.status('dev')).toEqual({
      status: 'error',
      error: 'Prometheus at http://prom:9090 is unreachable: ECONNREFUSED',
    });
    expect(metrics.status('prod')).toEqual({ status: 'not-configured' });
  });

  it('runs MetricTemplates with Flagger variables substituted, and reports a missing template', async () => {
    const prometheus = fakePrometheus(() => [{ metric: {}, value: '3.5' }]);
    const canary = watched('hello', 'contour', [
      {
        name: 'errors',
        templateRef: { name: 'error-count' },
        templateVariables: { route: 'x"y' },
        thresholdRange: { max: 5 },
      },
      {
        name: 'gone',
        templateRef: { name: 'missing', namespace: 'flagger-system' },
      },
      { name: 'inline', query: 'sum(up{namespace="{{ namespace }}"})' },
    ]);
    const metrics = cache([canary], prometheus.fetchImpl, {
      'tap-apps/error-count': {
        spec: {
          provider: { type: 'prometheus', address: 'http://prom:9090/' },
          query:
            'sum(rate(errors{svc="{{ service }}",route="{{ variables.route }}"}[{{ interval }}]))',
        },
      },
    });
    await metrics.refresh('dev');
    const readings = metrics.readingsOf('tap-apps', 'hello')!;
    expect(readings.get('errors')).toMatchObject({
      value: 3.5,
      query: 'sum(rate(errors{svc="hello",route="x\\"y"}[1m]))',
    });
    expect(readings.get('gone')).toMatchObject({
      error:
        'MetricTemplate flagger-system/missing does not exist in cluster dev',
    });
    expect(readings.get('inline')).toMatchObject({
      query: 'sum(up{namespace="tap-apps"})',
      value: 3.5,
    });
    // A broken template is that metric's problem, not Prometheus being down.
    expect(metrics.status('dev')).toEqual({ status: 'ok' });
  });

  it('reads the Prometheus that a MetricTemplate or spec.metricsServer names, through the configured mapping', async () => {
    const asked: string[] = [];
    const fetchImpl = (async (input: string) => {
      const url = new URL(input);
      asked.push(`${url.host} ${url.searchParams.get('query')}`);
      return new Response(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'vector',
            result: [
              { metric: {}, value: [0, url.host === 'team-prom' ? '7' : '1'] },
            ],
          },
        }),
      );
    }) as unknown as typeof fetch;
    const inCluster = 'http://prometheus.team-a:9090';
    const canary = watched('hello', 'contour', [
      { name: 'team', templateRef: { name: 'team-errors' } },
      { name: 'elsewhere', templateRef: { name: 'unknown-server' } },
    ]);
    const own = watched('own', 'istio', builtins);
    own.object.spec.metricsServer = inCluster;
    const stranger = watched('stranger', 'istio', builtins);
    stranger.object.spec.metricsServer = 'http://other:9090';
    const metrics = cache(
      [canary, own, stranger],
      fetchImpl,
      {
        'tap-apps/team-errors': {
          spec: {
            provider: { type: 'prometheus', address: `${inCluster}/` },
            query: 'sum(errors{ns="{{ namespace }}"})',
          },
        },
        'tap-apps/unknown-server': {
          spec: {
            provider: { type: 'prometheus', address: 'http://nowhere:9090' },
            query: 'sum(errors)',
          },
        },
      },
      { prometheusServers: [{ address: inCluster, url: 'http://team-prom' }] },
    );
    await metrics.refresh('dev');
    const readings = metrics.readingsOf('tap-apps', 'hello')!;
    expect(readings.get('team')).toMatchObject({ value: 7 });
    expect(readings.get('elsewhere')!.error).toBe(
      "MetricTemplate tap-apps/unknown-server queries http://nowhere:9090, a server this backend has no URL for; add { address: http://nowhere:9090, url: <how this backend reaches it> } to progressiveDelivery.clusters.dev.prometheus.servers (or set prometheus.address when it is the cluster's own Prometheus).",
    );
    // The canary with its own metricsServer gets its builtin batch from that server only.
    expect(asked.filter(line => line.includes('istio_requests_total'))).toEqual(
      [expect.stringMatching(/^team-prom sum by/)],
    );
    expect(
      metrics.readingsOf('tap-apps', 'stranger')!.get('request-duration')!
        .error,
    ).toMatch(/spec\.metricsServer/);
    expect(asked.some(line => line.startsWith('nowhere'))).toBe(false);
  });

  it('shows a template query with its variables substituted when its server cannot be read', async () => {
    const prometheus = fakePrometheus(() => [{ metric: {}, value: '1' }]);
    const canary = watched('hello', 'contour', [
      {
        name: 'errors',
        templateRef: { name: 'team-errors' },
        templateVariables: { route: 'checkout' },
        interval: '2m',
      },
      { name: 'no-address', templateRef: { name: 'no-address' } },
    ]);
    const templates = {
      'tap-apps/team-errors': {
        spec: {
          provider: { type: 'prometheus', address: 'http://nowhere:9090' },
          query:
            'sum(rate(errors{ns="{{ namespace }}",svc="{{ target }}",route="{{ variables.route }}"}[{{ interval }}]))',
        },
      },
      'tap-apps/no-address': {
        spec: {
          provider: { type: 'prometheus' },
          query: 'sum(up{ns="{{ namespace }}"})',
        },
      },
    };
    const rendered =
      'sum(rate(errors{ns="tap-apps",svc="hello",route="checkout"}[2m]))';
    const metrics = cache([canary], prometheus.fetchImpl, templates);
    await metrics.refresh('dev');
    const readings = metrics.readingsOf('tap-apps', 'hello')!;
    expect(readings.get('errors')).toMatchObject({
      query: rendered,
      serverUnknown: true,
      error: expect.stringMatching(
        /^MetricTemplate tap-apps\/team-errors queries http:\/\/nowhere:9090, a server this backend has no URL for/,
      ),
    });
    expect(readings.get('no-address')).toMatchObject({
      query: 'sum(up{ns="tap-apps"})',
      error:
        'MetricTemplate tap-apps/no-address has no spec.provider.address (Flagger fails this check too)',
    });
    expect(prometheus.queries).toEqual([]);

    // Without any Prometheus for the cluster the query is still rendered from the template.
    const unconfigured = new MetricsCache({
      clusters: [],
      timeoutMs: 1000,
      refreshIntervalMs: 10_000,
      logger: mockServices.logger.mock(),
      canariesOf: () => [canary],
      templateOf: (_cluster, namespace, name) =>
        (templates as Record<string, Obj>)[`${namespace}/${name}`],
    });
    const [errors, noAddress] = canary.object.spec.analysis.metrics;
    expect(unconfigured.customQuery(canary, errors)).toBe(rendered);
    expect(unconfigured.customQuery(canary, noAddress)).toBe(
      'sum(up{ns="tap-apps"})',
    );
    expect(
      unconfigured.customQuery(canary, { name: 'request-success-rate' }),
    ).toBeUndefined();
    expect(
      unconfigured.customQuery(canary, {
        name: 'x',
        templateRef: { name: 'gone' },
      }),
    ).toBeUndefined();
  });

  it('takes the builtin queries of canaries without spec.provider from the mesh provider', async () => {
    const prometheus = fakePrometheus(query =>
      query.includes('response_total') || query.includes('response_latency')
        ? [
            {
              metric: { namespace: 'tap-apps', deployment: 'mesh' },
              value: query.startsWith('histogram') ? '12.9' : '99.5',
            },
          ]
        : [],
    );
    const metrics = cache(
      [watched('mesh', '', builtins)],
      prometheus.fetchImpl,
      {},
      { meshProvider: 'linkerd' },
    );
    await metrics.refresh('dev');
    expect(prometheus.queries).toHaveLength(2);
    const readings = metrics.readingsOf('tap-apps', 'mesh')!;
    expect(readings.get('request-success-rate')).toMatchObject({
      value: 99.5,
      query: expect.stringContaining('response_total{ namespace="tap-apps"'),
    });
    expect(readings.get('request-duration')).toMatchObject({ value: 12 });
  });

  it('queries unbatched observers per canary and says which it cannot read', async () => {
    const prometheus = fakePrometheus(query => [
      { metric: {}, value: query.includes('-primary') ? '100' : '95' },
    ]);
    const knative = watched('serverless', 'knative', builtins);
    const metrics = cache(
      [watched('edge', 'traefik', builtins), knative],
      prometheus.fetchImpl,
    );
    await metrics.refresh('dev');
    // two metrics × canary and primary side, for the one traefik canary
    expect(prometheus.queries).toHaveLength(4);
    expect(
      metrics.readingsOf('tap-apps', 'edge')!.get('request-success-rate'),
    ).toMatchObject({ value: 95, primaryValue: 100 });
    expect(
      metrics.readingsOf('tap-apps', 'serverless')!.get('request-duration')!
        .error,
    ).toMatch(/Knative Service's latest revision/);
  });

  it('charts canary and primary from query_range', async () => {
    const requests: URL[] = [];
    const fetchImpl = (async (input: string) => {
      const url = new URL(input);
      requests.push(url);
      const primary = url.searchParams.get('query')!.includes('-primary_');
      return new Response(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              { metric: {}, values: [[1795921200, primary ? '20.9' : '41.2']] },
            ],
          },
        }),
      );
    }) as unknown as typeof fetch;
    const metrics = cache([], fetchImpl);
    const [rate, duration] = await metrics.series(
      watched('hello', 'contour', builtins),
      30,
    );
    expect(requests.every(url => url.pathname === '/api/v1/query_range')).toBe(
      true,
    );
    expect(requests[0].searchParams.get('step')).toBe('15');
    expect(rate).toMatchObject({
      metric: 'request-success-rate',
      unit: 'percent',
      thresholdRange: { min: 99 },
    });
    expect(duration).toMatchObject({
      unit: 'milliseconds',
      canary: [{ value: 41 }],
      primary: [{ value: 20 }],
    });
  });
});
