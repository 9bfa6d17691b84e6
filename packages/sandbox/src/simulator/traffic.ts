/*
 * Simulated request traffic, computed rather than sent: every second each app receives
 * BASE_RPS requests. Where an HTTPProxy routes the app (Contour provider) the requests are split
 * by its `spec.routes[0].services[].weight`, as Envoy would, and counted in Envoy's metrics;
 * every pod also counts what it served in the app's own HTTP histogram (what Flagger's
 * `kubernetes` provider queries). Error rate and latency come from the serving Deployment's
 * pod-template annotations, so behaviour travels with the revision.
 *
 * Latency model: uniform between 0.5 and 1.5 times the revision's latency, so its P99 is about
 * 1.5 times the configured latency.
 */
import { ANNOTATIONS } from '../config';
import { DEFAULT_LATENCY_MS } from '../manifests';

export const BASE_RPS = 50;
/** Envoy's default upstream_rq_time histogram buckets, in milliseconds. */
export const ENVOY_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
  300000, 600000, 1800000, 3600000,
];
/** The Prometheus client's default histogram buckets, in seconds. */
export const HTTP_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export interface Behaviour {
  errorRate: number;
  latencyMs: number;
}

export function behaviourOf(
  annotations: Record<string, string> | undefined,
): Behaviour {
  const num = (v: string | undefined, fallback: number) => {
    const n = Number(v);
    return v !== undefined && v !== '' && Number.isFinite(n) ? n : fallback;
  };
  return {
    errorRate: Math.min(
      1,
      Math.max(0, num(annotations?.[ANNOTATIONS.errorRate], 0)),
    ),
    latencyMs: Math.max(
      0,
      num(annotations?.[ANNOTATIONS.latencyMs], DEFAULT_LATENCY_MS),
    ),
  };
}

/** Fraction of requests at or below `x` ms for a revision with latency `l` (uniform on [l/2, 3l/2]). */
export function latencyCdf(x: number, latencyMs: number): number {
  if (latencyMs <= 0) return x >= 0 ? 1 : 0;
  const lo = latencyMs / 2;
  return Math.min(1, Math.max(0, (x - lo) / latencyMs));
}

/** Minimal views of the objects the model reads (as the informers deliver them). */
export interface DeploymentView {
  namespace: string;
  name: string;
  templateLabels: Record<string, string>;
  templateAnnotations: Record<string, string>;
  /** Replicas that are available (0 when scaled down). */
  availableReplicas: number;
  /** Names of its serving pods (bound, Running, Ready, not terminating). */
  pods: string[];
}

export interface ServiceView {
  namespace: string;
  name: string;
  selector: Record<string, string>;
}

export interface ProxyView {
  namespace: string;
  name: string;
  services: { name: string; port: number; weight: number }[];
}

/** One tick's worth of traffic, per Envoy cluster and per pod. */
export interface TrafficSample {
  envoy: {
    cluster: string;
    requests: number;
    errors: number;
    latencyMs: number;
  }[];
  pods: {
    namespace: string;
    pod: string;
    requests: number;
    errors: number;
    latencyMs: number;
  }[];
}

function matches(
  selector: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every(k => labels[k] === selector[k]);
}

/** Computes who serves how many requests in `seconds`. */
export function computeTraffic(
  deployments: DeploymentView[],
  services: ServiceView[],
  proxies: ProxyView[],
  seconds: number,
  rps = BASE_RPS,
): TrafficSample {
  const sample: TrafficSample = { envoy: [], pods: [] };
  const served = new Map<DeploymentView, number>();
  const routed = new Set<DeploymentView>();

  const deploymentBehindService = (namespace: string, serviceName: string) => {
    const svc = services.find(
      s => s.namespace === namespace && s.name === serviceName,
    );
    if (!svc) return undefined;
    return deployments.find(
      d => d.namespace === namespace && matches(svc.selector, d.templateLabels),
    );
  };

  for (const proxy of proxies) {
    const total = proxy.services.reduce(
      (sum, s) => sum + Math.max(0, s.weight),
      0,
    );
    for (const svc of proxy.services) {
      // Envoy routes by weight; a single unweighted service takes everything.
      let share = proxy.services.length === 1 ? 1 : 0;
      if (total > 0) share = Math.max(0, svc.weight) / total;
      const requests = rps * seconds * share;
      const deployment = deploymentBehindService(proxy.namespace, svc.name);
      if (deployment) routed.add(deployment);
      const cluster = `${proxy.namespace}_${svc.name}_${svc.port}`;
      if (
        !deployment ||
        deployment.availableReplicas <= 0 ||
        deployment.pods.length === 0
      ) {
        // No healthy upstream: Envoy answers 503 itself.
        sample.envoy.push({
          cluster,
          requests,
          errors: requests,
          latencyMs: 1,
        });
        continue;
      }
      const b = behaviourOf(deployment.templateAnnotations);
      sample.envoy.push({
        cluster,
        requests,
        errors: requests * b.errorRate,
        latencyMs: b.latencyMs,
      });
      served.set(deployment, (served.get(deployment) ?? 0) + requests);
    }
  }

  // Deployments not behind an HTTPProxy serve their own steady load (clients through the
  // apex Service for a primary, a load tester for a blue-green canary).
  for (const d of deployments) {
    if (!routed.has(d) && d.availableReplicas > 0 && d.pods.length > 0) {
      served.set(d, rps * seconds);
    }
  }

  for (const [d, requests] of served) {
    const b = behaviourOf(d.templateAnnotations);
    const perPod = requests / d.pods.length;
    for (const pod of d.pods) {
      sample.pods.push({
        namespace: d.namespace,
        pod,
        requests: perPod,
        errors: perPod * b.errorRate,
        latencyMs: b.latencyMs,
      });
    }
  }
  return sample;
}

/** Counters accumulated over ticks, rendered in the Prometheus text format. */
export class TrafficCounters {
  private readonly envoyRq = new Map<string, { ok: number; err: number }>();
  private readonly envoyTime = new Map<
    string,
    { buckets: number[]; count: number; sum: number }
  >();
  private readonly podCount = new Map<
    string,
    { ns: string; ok: number; err: number }
  >();
  private readonly podHist = new Map<
    string,
    {
      ns: string;
      status: string;
      buckets: number[];
      count: number;
      sum: number;
    }
  >();

  add(sample: TrafficSample): void {
    for (const e of sample.envoy) {
      const rq = this.envoyRq.get(e.cluster) ?? { ok: 0, err: 0 };
      rq.ok += e.requests - e.errors;
      rq.err += e.errors;
      this.envoyRq.set(e.cluster, rq);
      const t = this.envoyTime.get(e.cluster) ?? {
        buckets: ENVOY_BUCKETS_MS.map(() => 0),
        count: 0,
        sum: 0,
      };
      ENVOY_BUCKETS_MS.forEach((le, i) => {
        t.buckets[i] += e.requests * latencyCdf(le, e.latencyMs);
      });
      t.count += e.requests;
      t.sum += e.requests * e.latencyMs;
      this.envoyTime.set(e.cluster, t);
    }
    for (const p of sample.pods) {
      const c = this.podCount.get(p.pod) ?? { ns: p.namespace, ok: 0, err: 0 };
      c.ok += p.requests - p.errors;
      c.err += p.errors;
      this.podCount.set(p.pod, c);
      for (const [status, n] of [
        ['200', p.requests - p.errors],
        ['500', p.errors],
      ] as const) {
        const key = `${p.pod}\u0000${status}`;
        const h = this.podHist.get(key) ?? {
          ns: p.namespace,
          status,
          buckets: HTTP_BUCKETS_S.map(() => 0),
          count: 0,
          sum: 0,
        };
        HTTP_BUCKETS_S.forEach((le, i) => {
          h.buckets[i] += n * latencyCdf(le * 1000, p.latencyMs);
        });
        h.count += n;
        h.sum += (n * p.latencyMs) / 1000;
        this.podHist.set(key, h);
      }
    }
  }

  /** Drops the series of pods that no longer exist (as Prometheus would stop scraping them). */
  retainPods(live: Set<string>): void {
    for (const pod of this.podCount.keys())
      if (!live.has(pod)) this.podCount.delete(pod);
    for (const [key] of this.podHist) {
      if (!live.has(key.split('\u0000')[0])) this.podHist.delete(key);
    }
  }

  render(): string {
    const lines: string[] = [];
    const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(6));
    const esc = (v: string) =>
      v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const labels = (l: Record<string, string>) =>
      `{${Object.entries(l)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',')}}`;

    lines.push(
      '# HELP envoy_cluster_upstream_rq Total upstream requests by response code (simulated).',
    );
    lines.push('# TYPE envoy_cluster_upstream_rq counter');
    for (const [cluster, rq] of [...this.envoyRq].sort()) {
      lines.push(
        `envoy_cluster_upstream_rq${labels({
          envoy_cluster_name: cluster,
          envoy_response_code: '200',
        })} ${num(rq.ok)}`,
      );
      lines.push(
        `envoy_cluster_upstream_rq${labels({
          envoy_cluster_name: cluster,
          envoy_response_code: '500',
        })} ${num(rq.err)}`,
      );
    }
    lines.push(
      '# HELP envoy_cluster_upstream_rq_time Upstream request time in milliseconds (simulated).',
    );
    lines.push('# TYPE envoy_cluster_upstream_rq_time histogram');
    for (const [cluster, t] of [...this.envoyTime].sort()) {
      ENVOY_BUCKETS_MS.forEach((le, i) => {
        lines.push(
          `envoy_cluster_upstream_rq_time_bucket${labels({
            envoy_cluster_name: cluster,
            le: String(le),
          })} ${num(t.buckets[i])}`,
        );
      });
      lines.push(
        `envoy_cluster_upstream_rq_time_bucket${labels({
          envoy_cluster_name: cluster,
          le: '+Inf',
        })} ${num(t.count)}`,
      );
      lines.push(
        `envoy_cluster_upstream_rq_time_sum${labels({
          envoy_cluster_name: cluster,
        })} ${num(t.sum)}`,
      );
      lines.push(
        `envoy_cluster_upstream_rq_time_count${labels({
          envoy_cluster_name: cluster,
        })} ${num(t.count)}`,
      );
    }
    lines.push(
      '# HELP http_request_duration_seconds HTTP request latency served by the app (simulated).',
    );
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const [key, h] of [...this.podHist].sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const base = {
        kubernetes_namespace: h.ns,
        kubernetes_pod_name: key.split('\u0000')[0],
        status: h.status,
      };
      HTTP_BUCKETS_S.forEach((le, i) => {
        lines.push(
          `http_request_duration_seconds_bucket${labels({
            ...base,
            le: String(le),
          })} ${num(h.buckets[i])}`,
        );
      });
      lines.push(
        `http_request_duration_seconds_bucket${labels({
          ...base,
          le: '+Inf',
        })} ${num(h.count)}`,
      );
      lines.push(
        `http_request_duration_seconds_sum${labels(base)} ${num(h.sum)}`,
      );
      lines.push(
        `http_request_duration_seconds_count${labels(base)} ${num(h.count)}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
