import {
  behaviourOf,
  computeTraffic,
  DeploymentView,
  latencyCdf,
  ProxyView,
  ServiceView,
  TrafficCounters,
} from './traffic';

const deployment = (
  name: string,
  annotations: Record<string, string> = {},
  pods = 2,
): DeploymentView => ({
  namespace: 'tap-apps',
  name,
  templateLabels: { 'app.kubernetes.io/name': name },
  templateAnnotations: annotations,
  availableReplicas: pods,
  pods: Array.from({ length: pods }, (_, i) => `${name}-abc12-x${i}`),
});
const service = (name: string, target: string): ServiceView => ({
  namespace: 'tap-apps',
  name,
  selector: { 'app.kubernetes.io/name': target },
});
const proxy = (canaryWeight: number): ProxyView => ({
  namespace: 'tap-apps',
  name: 'hello',
  services: [
    { name: 'hello-primary', port: 80, weight: 100 - canaryWeight },
    { name: 'hello-canary', port: 80, weight: canaryWeight },
  ],
});

/** Prometheus' histogram_quantile on cumulative buckets (linear interpolation). */
function quantile(q: number, buckets: [number, number][]): number {
  const total = buckets[buckets.length - 1][1];
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank)
      return (
        prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount)
      );
    prevLe = le;
    prevCount = count;
  }
  return NaN;
}

function parse(text: string) {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    series.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return series;
}

describe('traffic model', () => {
  const deployments = [
    deployment('hello-primary'),
    deployment('hello', {
      'sandbox.progressive-delivery.dev/error-rate': '0.2',
      'sandbox.progressive-delivery.dev/latency-ms': '800',
    }),
  ];
  const services = [
    service('hello-primary', 'hello-primary'),
    service('hello-canary', 'hello'),
  ];

  it('reads behaviour from pod-template annotations with defaults', () => {
    expect(behaviourOf(undefined)).toEqual({ errorRate: 0, latencyMs: 20 });
    expect(
      behaviourOf({
        'sandbox.progressive-delivery.dev/error-rate': '3',
        'sandbox.progressive-delivery.dev/latency-ms': 'x',
      }),
    ).toEqual({ errorRate: 1, latencyMs: 20 });
  });

  it('splits requests by the HTTPProxy weights, as Envoy would', () => {
    const sample = computeTraffic(deployments, services, [proxy(20)], 10, 50);
    expect(sample.envoy).toEqual([
      {
        cluster: 'tap-apps_hello-primary_80',
        requests: 400,
        errors: 0,
        latencyMs: 20,
      },
      {
        cluster: 'tap-apps_hello-canary_80',
        requests: 100,
        errors: 20,
        latencyMs: 800,
      },
    ]);
    // each pod counts its share in the app's own histogram
    expect(sample.pods.filter(p => p.pod.startsWith('hello-abc12'))).toEqual([
      {
        namespace: 'tap-apps',
        pod: 'hello-abc12-x0',
        requests: 50,
        errors: 10,
        latencyMs: 800,
      },
      {
        namespace: 'tap-apps',
        pod: 'hello-abc12-x1',
        requests: 50,
        errors: 10,
        latencyMs: 800,
      },
    ]);
  });

  it('answers 503 for a weighted side without available pods', () => {
    const down = [
      deployments[0],
      { ...deployments[1], availableReplicas: 0, pods: [] },
    ];
    const sample = computeTraffic(down, services, [proxy(40)], 1, 50);
    expect(sample.envoy[1]).toMatchObject({ requests: 20, errors: 20 });
  });

  it('gives deployments outside any HTTPProxy their own steady load (blue-green)', () => {
    const bg = [
      deployment('bg-primary'),
      deployment('bg', {}, 1),
      deployment('scaled-down', {}, 0),
    ];
    const sample = computeTraffic(bg, [], [], 2, 50);
    expect(sample.envoy).toEqual([]);
    expect(sample.pods.map(p => [p.pod, p.requests])).toEqual([
      ['bg-primary-abc12-x0', 50],
      ['bg-primary-abc12-x1', 50],
      ['bg-abc12-x0', 100],
    ]);
  });

  it('models latency as uniform around the configured value', () => {
    expect(latencyCdf(10, 20)).toBe(0);
    expect(latencyCdf(20, 20)).toBe(0.5);
    expect(latencyCdf(30, 20)).toBe(1);
  });
});

describe('TrafficCounters', () => {
  const deployments = [
    deployment('hello-primary'),
    deployment('hello', {
      'sandbox.progressive-delivery.dev/error-rate': '0.3',
    }),
  ];
  const services = [
    service('hello-primary', 'hello-primary'),
    service('hello-canary', 'hello'),
  ];
  const counters = new TrafficCounters();
  for (let i = 0; i < 30; i++)
    counters.add(computeTraffic(deployments, services, [proxy(20)], 1, 50));
  const series = parse(counters.render());

  it("renders the series Flagger's contour queries read", () => {
    const ok = series.get(
      'envoy_cluster_upstream_rq{envoy_cluster_name="tap-apps_hello-canary_80",envoy_response_code="200"}',
    )!;
    const err = series.get(
      'envoy_cluster_upstream_rq{envoy_cluster_name="tap-apps_hello-canary_80",envoy_response_code="500"}',
    )!;
    expect(ok + err).toBeCloseTo(300);
    expect((100 * ok) / (ok + err)).toBeCloseTo(70);
    // the cluster name matches Flagger's regex <ns>_<svc>-canary_[0-9a-zA-Z-]+
    expect('tap-apps_hello-canary_80').toMatch(
      /^tap-apps_hello-canary_[0-9a-zA-Z-]+$/,
    );
  });

  it('renders an Envoy time histogram whose P99 stays under 500 ms for a 20 ms revision', () => {
    const buckets = [...series]
      .filter(([k]) =>
        k.startsWith(
          'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="tap-apps_hello-canary_80"',
        ),
      )
      .map(
        ([k, v]) =>
          [
            Number(/le="([^"]+)"/.exec(k)![1].replace('+Inf', 'Infinity')),
            v,
          ] as [number, number],
      );
    const p99 = quantile(
      0.99,
      buckets.filter(([le]) => Number.isFinite(le)),
    );
    expect(p99).toBeGreaterThan(20);
    expect(p99).toBeLessThan(60);
  });

  it('renders per-pod HTTP histograms with the labels of the kubernetes provider', () => {
    const key =
      'http_request_duration_seconds_count{kubernetes_namespace="tap-apps",kubernetes_pod_name="hello-abc12-x0",status="500"}';
    expect(series.get(key)).toBeCloseTo(0.3 * 30 * 5); // 10 rq/s to the canary, half per pod, 30 % errors
    counters.retainPods(new Set(['hello-primary-abc12-x0']));
    expect(counters.render()).not.toContain(
      'kubernetes_pod_name="hello-abc12-x0"',
    );
  });
});
