/*
 * Over 400 lines because it holds one case per Flagger observer (thirteen providers) and the
 * PromQL-engine check that the batched queries equal Flagger's own; split by observer it would
 * repeat the same set-up thirteen times.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  batchOf,
  BuiltinProvider,
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  metricsProviderOf,
  observerOf,
  unreadableReason,
} from './builtinQueries';
import { templateModel } from './queries';

const canary = {
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    provider: 'contour',
    targetRef: { kind: 'Deployment', name: 'checkout' },
    service: { port: 80 },
  },
};
const withProvider = (provider?: string, targetRef: object = {}) => ({
  ...canary,
  spec: {
    ...canary.spec,
    provider,
    targetRef: { ...canary.spec.targetRef, ...targetRef },
  },
});

describe('builtin queries', () => {
  it('renders the Contour success rate as Flagger v1.44 sends it (whitespace collapsed)', () => {
    expect(
      builtinQuery(
        'contour',
        'request-success-rate',
        templateModel(canary, '1m'),
        'canary',
      ),
    ).toBe(
      'sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
    );
    expect(
      builtinQuery(
        'contour',
        'request-duration',
        templateModel(canary, '30s'),
        'primary',
      ),
    ).toBe(
      'histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"shop_checkout-primary_[0-9a-zA-Z-]+", }[30s] ) ) by (le) )',
    );
  });

  it('renders the pod-name queries of the kubernetes provider, with a primary twin', () => {
    const model = templateModel(withProvider('kubernetes'), '30s');
    expect(
      builtinQuery('http', 'request-success-rate', model, 'canary'),
    ).toContain(
      'kubernetes_namespace="shop", kubernetes_pod_name=~"checkout-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*"',
    );
    expect(
      builtinQuery('http', 'request-duration', model, 'primary'),
    ).toContain(
      'kubernetes_pod_name=~"checkout-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
    );
  });

  it('renders the Istio and Linkerd queries on workload labels', () => {
    const model = templateModel(withProvider('istio'), '1m');
    expect(builtinQuery('istio', 'request-success-rate', model, 'canary')).toBe(
      'sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="shop", destination_workload=~"checkout", response_code!~"5.*" }[1m] ) ) / sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="shop", destination_workload=~"checkout" }[1m] ) ) * 100',
    );
    expect(builtinQuery('linkerd', 'request-duration', model, 'primary')).toBe(
      'histogram_quantile( 0.99, sum( rate( response_latency_ms_bucket{ namespace="shop", deployment=~"checkout-primary", direction="inbound" }[1m] ) ) by (le) )',
    );
  });

  it('has no primary twin where the primary side is not a renamed canary side', () => {
    const model = templateModel(withProvider('nginx'), '1m');
    expect(
      builtinQuery('nginx', 'request-duration', model, 'canary'),
    ).toContain('ingress="checkout", canary!=""');
    expect(
      builtinQuery('nginx', 'request-duration', model, 'primary'),
    ).toBeUndefined();
  });

  it('uses the service name when spec.service.name is set, like toMetricModel', () => {
    const model = templateModel(
      {
        ...canary,
        spec: { ...canary.spec, service: { port: 80, name: 'web' } },
      },
      '1m',
    );
    expect(model).toMatchObject({
      service: 'web',
      target: 'checkout',
      ingress: 'checkout',
      route: 'checkout',
    });
    expect(
      builtinQuery('contour', 'request-success-rate', model, 'canary'),
    ).toContain('shop_web-canary_');
  });

  it('converts durations to milliseconds as Flagger does (truncated; the HTTP observer answers in seconds)', () => {
    expect(durationMilliseconds('contour', 49.9)).toBe(49);
    expect(durationMilliseconds('istio', 12.7)).toBe(12);
    expect(durationMilliseconds('http', 0.0499)).toBe(49);
  });
});

describe('which observer Flagger uses', () => {
  it.each([
    ['contour', undefined, 'istio', 'contour'],
    ['kubernetes', undefined, 'istio', 'http'],
    ['gatewayapi:v1', undefined, 'istio', 'http'],
    ['appmesh:v1beta2', undefined, 'istio', 'appmesh'],
    ['gloo', undefined, 'istio', 'gloo'],
    ['nginx', undefined, 'istio', 'nginx'],
    ['osm', undefined, 'istio', 'osm'],
    // no spec.provider: Flagger's -mesh-provider decides
    [undefined, undefined, 'linkerd', 'linkerd'],
    [undefined, undefined, 'kubernetes', 'http'],
    // a canary's own provider loses to a Linkerd mesh
    ['contour', undefined, 'linkerd', 'linkerd'],
    // a Service target: "<provider>-service", which falls to the Istio observer…
    ['contour', { kind: 'Service' }, 'istio', 'istio'],
    // …except for the prefix-matched ones
    ['gatewayapi:v1', { kind: 'Service' }, 'istio', 'http'],
    [
      'knative',
      { kind: 'Service', apiVersion: 'serving.knative.dev/v1' },
      'istio',
      'knative',
    ],
    ['something-new', undefined, 'istio', 'istio'],
  ] as const)(
    'provider %s, target %j, mesh %s → %s',
    (provider, targetRef, mesh, expected) => {
      expect(
        builtinProviderOf(withProvider(provider, targetRef ?? {}), mesh),
      ).toBe(expected);
    },
  );

  it('names the metrics provider the way Flagger logs it', () => {
    expect(
      metricsProviderOf(
        withProvider('kubernetes', { kind: 'Service' }),
        'istio',
      ),
    ).toBe('kubernetes-service');
    expect(metricsProviderOf(withProvider(undefined), 'smi:crossover')).toBe(
      'crossover',
    );
    expect(observerOf('crossover')).toBe('istio');
  });

  it('says why it cannot read Knative and Skipper metrics', () => {
    expect(unreadableReason('knative')).toMatch(/latest revision/);
    expect(unreadableReason('skipper')).toMatch(/Go templates/);
    expect(unreadableReason('istio')).toBeUndefined();
  });
});

/**
 * The batched queries must give each canary exactly the number Flagger's own query gives it.
 * This evaluates both with Prometheus' real PromQL engine (`promtool test rules`, from the
 * Debian `prometheus` package) over series that hold two canaries and their primaries.
 */
describe('batched queries, evaluated by PromQL', () => {
  beforeAll(() => {
    if (spawnSync('promtool', ['--version']).status !== 0) {
      throw new Error(
        'promtool is missing; install the Debian package "prometheus" (npm run setup does)',
      );
    }
  });

  // 54 good + 6 bad requests per minute on the canary (90 %), 60 good on the primary; the
  // canary's latencies all fall in the first bucket (p99 = 0.99 × its bound), the primary's too.
  interface Sides {
    series: (side: 'canary' | 'primary', workload: string) => string[];
    labels: (
      model: ReturnType<typeof templateModel>,
      side: 'canary' | 'primary',
    ) => string;
    bound: number;
  }
  const perMinute = (per: number) => `0+${per}x20`;
  const counterAndHistogram = (
    counter: string,
    histogram: string,
    selector: string,
    good: string,
    bad: string,
    bound: number,
    errors: number,
  ) => [
    `- series: '${counter}{${selector},${good}}'\n  values: '${perMinute(
      60 - errors,
    )}'`,
    `- series: '${counter}{${selector},${bad}}'\n  values: '${perMinute(
      errors,
    )}'`,
    `- series: '${histogram}{${selector},le="${bound}"}'\n  values: '${perMinute(
      60,
    )}'`,
    `- series: '${histogram}{${selector},le="+Inf"}'\n  values: '${perMinute(
      60,
    )}'`,
  ];
  const cases: Partial<Record<BuiltinProvider, Sides>> = {
    contour: {
      bound: 100,
      series: (side, workload) =>
        counterAndHistogram(
          'envoy_cluster_upstream_rq',
          'envoy_cluster_upstream_rq_time_bucket',
          `envoy_cluster_name="shop_${workload}-${side}_80"`,
          'envoy_response_code="200"',
          'envoy_response_code="503"',
          side === 'canary' ? 100 : 200,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) => `{pd_key="shop_${model.service}-${side}"}`,
    },
    http: {
      bound: 0.1,
      series: (side, workload) =>
        counterAndHistogram(
          'http_request_duration_seconds_count',
          'http_request_duration_seconds_bucket',
          `kubernetes_namespace="shop",kubernetes_pod_name="${workload}${
            side === 'primary' ? '-primary' : ''
          }-5d9f7c6b8-x2x7q"`,
          'status="200"',
          'status="500"',
          side === 'canary' ? 0.1 : 0.2,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) =>
        `{kubernetes_namespace="shop",pd_key="${model.target}${
          side === 'primary' ? '-primary' : ''
        }"}`,
    },
    istio: {
      bound: 100,
      series: (side, workload) =>
        counterAndHistogram(
          'istio_requests_total',
          'istio_request_duration_milliseconds_bucket',
          `reporter="destination",destination_workload_namespace="shop",destination_workload="${workload}${
            side === 'primary' ? '-primary' : ''
          }"`,
          'response_code="200"',
          'response_code="503"',
          side === 'canary' ? 100 : 200,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) =>
        `{destination_workload_namespace="shop",destination_workload="${
          model.target
        }${side === 'primary' ? '-primary' : ''}"}`,
    },
    osm: {
      bound: 100,
      series: (side, workload) =>
        counterAndHistogram(
          'osm_request_total',
          'osm_request_duration_ms_bucket',
          `destination_kind="Deployment",destination_namespace="shop",destination_name="${workload}${
            side === 'primary' ? '-primary' : ''
          }"`,
          'response_code="200"',
          'response_code="500"',
          side === 'canary' ? 100 : 200,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) =>
        `{destination_namespace="shop",destination_name="${model.target}${
          side === 'primary' ? '-primary' : ''
        }"}`,
    },
    appmesh: {
      bound: 100,
      series: (side, workload) =>
        counterAndHistogram(
          'envoy_cluster_upstream_rq',
          'envoy_cluster_upstream_rq_time_bucket',
          `kubernetes_namespace="shop",kubernetes_pod_name="${workload}${
            side === 'primary' ? '-primary' : ''
          }-7f8d9c5b4-abcde"`,
          'envoy_response_code="200"',
          'envoy_response_code="503"',
          side === 'canary' ? 100 : 200,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) =>
        `{kubernetes_namespace="shop",pd_key="${model.target}${
          side === 'primary' ? '-primary' : ''
        }"}`,
    },
    linkerd: {
      bound: 100,
      series: (side, workload) =>
        counterAndHistogram(
          'response_total',
          'response_latency_ms_bucket',
          `direction="inbound",namespace="shop",deployment="${workload}${
            side === 'primary' ? '-primary' : ''
          }"`,
          'classification="success"',
          'classification="failure"',
          side === 'canary' ? 100 : 200,
          side === 'canary' ? 6 : 0,
        ),
      labels: (model, side) =>
        `{namespace="shop",deployment="${model.target}${
          side === 'primary' ? '-primary' : ''
        }"}`,
    },
  };

  it.each(Object.keys(cases) as BuiltinProvider[])(
    '%s: one query answers each canary with the value of Flagger’s own query',
    provider => {
      const sides = cases[provider]!;
      const models = ['checkout', 'checkout-v2'].map(name =>
        templateModel(
          {
            ...withProvider(provider),
            metadata: { name, namespace: 'shop' },
            spec: {
              ...withProvider(provider).spec,
              targetRef: { kind: 'Deployment', name },
            },
          },
          '1m',
        ),
      );
      const series = ['checkout', 'checkout-v2'].flatMap(workload => [
        ...sides.series('canary', workload),
        ...sides.series('primary', workload),
      ]);
      const batch = batchOf(provider)!.queries('1m', ['shop']);
      const primaryP99 = (sides.bound * 2 * 0.99).toPrecision(6);
      const canaryP99 = (sides.bound * 0.99).toPrecision(6);
      const tests: string[] = [];
      for (const model of models) {
        for (const side of ['canary', 'primary'] as const) {
          tests.push(
            exprTest(
              builtinQuery(provider, 'request-success-rate', model, side)!,
              '{}',
              side === 'canary' ? 90 : 100,
            ),
            exprTest(
              builtinQuery(provider, 'request-duration', model, side)!,
              '{}',
              side === 'canary' ? canaryP99 : primaryP99,
            ),
          );
        }
      }
      const batchedSamples = (metric: 'success' | 'duration') =>
        models.flatMap(model =>
          (['canary', 'primary'] as const).map(side => {
            let value: string | number = side === 'canary' ? 90 : 100;
            if (metric === 'duration')
              value = side === 'canary' ? canaryP99 : primaryP99;
            return `      - labels: '${sides.labels(
              model,
              side,
            )}'\n        value: ${value}`;
          }),
        );
      tests.push(
        `  - expr: '${quote(
          batch['request-success-rate'],
        )}'\n    eval_time: 10m\n    exp_samples:\n${batchedSamples(
          'success',
        ).join('\n')}`,
        `  - expr: '${quote(
          batch['request-duration'],
        )}'\n    eval_time: 10m\n    exp_samples:\n${batchedSamples(
          'duration',
        ).join('\n')}`,
      );
      const dir = mkdtempSync(join(tmpdir(), 'pd-promql-'));
      try {
        const file = join(dir, 'test.yaml');
        writeFileSync(
          file,
          [
            'rule_files: []',
            'evaluation_interval: 1m',
            'tests:',
            '- interval: 1m',
            '  input_series:',
            ...series.map(line => line.replace(/^/gm, '  ')),
            '  promql_expr_test:',
            ...tests,
          ].join('\n'),
        );
        const run = spawnSync('promtool', ['test', 'rules', file], {
          encoding: 'utf8',
        });
        expect(`${run.stdout}${run.stderr}`).toContain('SUCCESS');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

function quote(promql: string): string {
  return promql.replace(/'/g, "''");
}

function exprTest(promql: string, labels: string, value: number | string) {
  return `  - expr: '${quote(
    promql,
  )}'\n    eval_time: 10m\n    exp_samples:\n      - labels: '${labels}'\n        value: ${value}`;
}
