/*
 * The benchmark's Canary objects and how they are spread over the two real API servers.
 *
 * k proxied "clusters" share one real API server, so the backend sees every canary of a real
 * server once per proxy in front of it. With the proxies alternating dev, prod, dev, ... and the
 * same number of canaries on both servers, the backend sees clusters × canaries-per-server.
 */
import type { ClusterName, KubeObject } from '@progressive-delivery/sandbox';

/** The entity whose release is measured: one canary in every cluster. */
export const BENCH_APP = 'bench-app';
/** The entity the browser renders: many canaries in one cluster. */
export const RENDER_APP = 'bench-render';
export const RENDER_NAMESPACE = 'bench-render';
/** Every object the benchmark creates carries this label, so cleanup never touches anything else. */
export const BENCH_LABEL = 'bench.progressive-delivery.dev/created-by';
export const BENCH_LABEL_SELECTOR = `${BENCH_LABEL}=bench`;
export const CANARIES_PER_NAMESPACE = 100;
/** The namespace holding the bench-app canary (and fillers). */
export const BENCH_APP_NAMESPACE = 'bench-1';

export interface Scale {
  /** Proxied clusters the backend is configured with. */
  clusters: number;
  /** Canaries the backend sees in all clusters together. */
  canaries: number;
}

export const SCALES: readonly Scale[] = [
  { clusters: 1, canaries: 1_000 },
  { clusters: 5, canaries: 5_000 },
  { clusters: 20, canaries: 10_000 },
  { clusters: 50, canaries: 50_000 },
  { clusters: 100, canaries: 100_000 },
];

/**
 * Scales from `PD_BENCH_SCALES` (e.g. `1:1000,5:5000`: clusters:canaries), for shorter trial
 * runs; the default set without it.
 */
export function parseScales(text: string | undefined): readonly Scale[] {
  if (!text?.trim()) return SCALES;
  return text.split(',').map(part => {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!match) {
      throw new Error(
        `PD_BENCH_SCALES must look like "1:1000,5:5000" (clusters:canaries), got "${text}"`,
      );
    }
    const scale = { clusters: Number(match[1]), canaries: Number(match[2]) };
    if (scale.clusters < 1)
      throw new Error('a scale needs at least one cluster');
    canariesPerServer(scale);
    return scale;
  });
}

/** The real API server behind proxied cluster `index` (0-based): dev, prod, dev, prod, ... */
export function backingServer(index: number): ClusterName {
  return index % 2 === 0 ? 'dev' : 'prod';
}

/** Names like `dev-01`, `prod-02`: the cluster's position and the server it is a view of. */
export function proxiedClusterName(index: number): string {
  return `${backingServer(index)}-${String(index + 1).padStart(2, '0')}`;
}

/** Canaries each real server must hold so that the backend sees `scale.canaries` in all. */
export function canariesPerServer(scale: Scale): number {
  if (scale.canaries % scale.clusters !== 0) {
    throw new Error(
      `${scale.canaries} canaries cannot be spread evenly over ${scale.clusters} clusters`,
    );
  }
  return scale.canaries / scale.clusters;
}

/** The real servers a scale uses (prod only once there is a second cluster). */
export function serversUsed(scale: Scale): ClusterName[] {
  return scale.clusters > 1 ? ['dev', 'prod'] : ['dev'];
}

export interface NamespacePlan {
  namespace: string;
  /** Names of the canaries that must exist there (and nothing else of ours). */
  canaries: string[];
}

/**
 * The namespaces and canary names a real server holds: `bench-1` has the bench-app canary and
 * fillers, `bench-2`, `bench-3`, ... have fillers only, `bench-render` has the rendered
 * entity's canaries when `renderCanaries` > 0. The total is exactly `total`.
 */
export function planServer(total: number, renderCanaries = 0): NamespacePlan[] {
  if (renderCanaries + 1 > total) {
    throw new Error(
      `a server with ${total} canaries cannot hold the bench-app canary and ${renderCanaries} rendered ones`,
    );
  }
  const plans: NamespacePlan[] = [];
  if (renderCanaries > 0) {
    plans.push({
      namespace: RENDER_NAMESPACE,
      canaries: Array.from({ length: renderCanaries }, (_, i) =>
        renderCanaryName(i),
      ),
    });
  }
  let left = total - renderCanaries;
  for (let n = 1; left > 0; n++) {
    const namespace = `bench-${n}`;
    const count = Math.min(CANARIES_PER_NAMESPACE, left);
    const names = Array.from({ length: count }, (_, i) =>
      fillerCanaryName(n, i),
    );
    if (namespace === BENCH_APP_NAMESPACE) names[0] = BENCH_APP;
    plans.push({ namespace, canaries: names });
    left -= count;
  }
  return plans;
}

export function fillerCanaryName(
  namespaceIndex: number,
  index: number,
): string {
  return `filler-${namespaceIndex}-${String(index).padStart(3, '0')}`;
}

export function renderCanaryName(index: number): string {
  return `render-${String(index).padStart(3, '0')}`;
}

/** The app a canary belongs to: its Deployment (targetRef) name and `part-of` label. */
export function appOf(namespace: string, canaryName: string): string {
  if (canaryName === BENCH_APP) return BENCH_APP;
  if (namespace === RENDER_NAMESPACE) return RENDER_APP;
  return canaryName;
}

/**
 * A Canary valid for Flagger's CRD. Contour canaries (progressive traffic) and kubernetes
 * blue-green ones alternate, so the backend summarizes and queries metrics for both kinds.
 */
export function benchCanary(namespace: string, name: string): KubeObject {
  const app = appOf(namespace, name);
  const blueGreen = app !== BENCH_APP && hashOf(name) % 2 === 1;
  const metrics = [
    {
      name: 'request-success-rate',
      thresholdRange: { min: 99 },
      interval: '1m',
    },
    { name: 'request-duration', thresholdRange: { max: 500 }, interval: '1m' },
  ];
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: {
      name,
      namespace,
      labels: {
        'app.kubernetes.io/part-of': app,
        'app.kubernetes.io/name': name,
        [BENCH_LABEL]: 'bench',
      },
    },
    spec: {
      provider: blueGreen ? 'kubernetes' : 'contour',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app },
      progressDeadlineSeconds: 600,
      service: { port: 80, targetPort: 8080, portName: 'http' },
      analysis: blueGreen
        ? { interval: '1m', threshold: 5, iterations: 10, metrics }
        : {
            interval: '1m',
            threshold: 5,
            stepWeight: 10,
            maxWeight: 50,
            metrics,
          },
    },
  };
}

/** The status a settled canary has after a successful release (set through `/status`). */
export function settledStatus(now: Date): Record<string, unknown> {
  return {
    phase: 'Succeeded',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    lastAppliedSpec: 'bench',
    lastPromotedSpec: 'bench',
    lastTransitionTime: now.toISOString(),
    conditions: [
      {
        type: 'Promoted',
        status: 'True',
        reason: 'Succeeded',
        message: 'Canary analysis completed successfully, promotion finished.',
        lastTransitionTime: now.toISOString(),
        lastUpdateTime: now.toISOString(),
      },
    ],
  };
}

/**
 * The i-th status change of the freshness test: weight and failed checks move, and the
 * transition time always differs, so every PATCH is a real change that yields a watch event.
 */
export function freshnessStatus(i: number, now: Date): Record<string, unknown> {
  return {
    phase: 'Progressing',
    canaryWeight: ((i % 5) + 1) * 10,
    failedChecks: i % 3,
    lastTransitionTime: now.toISOString(),
  };
}

export function canaryPath(namespace: string, name?: string): string {
  const collection = `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries`;
  return name ? `${collection}/${name}` : collection;
}

function hashOf(text: string): number {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash;
}
