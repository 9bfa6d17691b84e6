/*
 * What the sandbox applies to each cluster: the CRDs (extracted at run time from the Go modules
 * of Flagger, Contour and Cartographer, never written by hand), namespaces, the portal's
 * least-privilege ServiceAccount, and the TAP-style sample apps. Kept together (hence its length)
 * so that what a cluster gets can be read, and reviewed for privilege, in one place.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import {
  ANNOTATIONS,
  ClusterName,
  LOADTESTER_NAMESPACE,
  LOADTESTER_SERVICE,
  PORTAL_NAMESPACE,
  PORTAL_SERVICE_ACCOUNT,
  SAMPLE_NAMESPACE,
  VERSIONS,
  webhookBaseUrl,
} from './config';
import { KubeObject } from './kube';

// ---- CRDs from Go modules -----------------------------------------------------------------

/** Downloads (or finds in the module cache) a Go module and returns its directory. */
export function goModuleDir(modulePath: string, version: string): string {
  const out = execFileSync(
    'go',
    ['mod', 'download', '-json', `${modulePath}@${version}`],
    {
      encoding: 'utf8',
      cwd: '/',
      env: {
        ...process.env,
        GOFLAGS: '-mod=mod',
        // Cartographer's last tag is not in the checksum database this machine reaches; the
        // module proxy still serves it.
        GONOSUMDB: [
          process.env.GONOSUMDB,
          'github.com/vmware-tanzu/cartographer',
        ]
          .filter(Boolean)
          .join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const info = JSON.parse(out);
  if (info.Error || !info.Dir) {
    throw new Error(
      `go mod download ${modulePath}@${version}: ${info.Error ?? 'no Dir'}`,
    );
  }
  return info.Dir as string;
}

/**
 * The CustomResourceDefinition documents of a multi-document YAML text, optionally by name.
 * Parsed with js-yaml, which (like Go's yaml.v3 that kubectl uses) accepts the under-indented
 * continuation lines of quoted descriptions found in Flagger's crd.yaml; the stricter `yaml`
 * package mis-parses them.
 */
export function extractCrds(yamlText: string, names?: string[]): KubeObject[] {
  const crds = (loadAll(yamlText) as (KubeObject | null)[]).filter(
    (d): d is KubeObject => !!d && d.kind === 'CustomResourceDefinition',
  );
  const picked = names
    ? crds.filter(c => names.includes(c.metadata.name))
    : crds;
  if (names) {
    const missing = names.filter(n => !picked.some(c => c.metadata.name === n));
    if (missing.length)
      throw new Error(`CRD(s) not found: ${missing.join(', ')}`);
  }
  return picked;
}

/** A file of Flagger's module at the sandbox's Flagger version (docs, kustomize bases, CRDs). */
export function flaggerModuleFile(path: string): string {
  return readFileSync(
    join(goModuleDir('github.com/fluxcd/flagger', VERSIONS.flagger), path),
    'utf8',
  );
}

/** The Kubernetes objects of a multi-document YAML text. */
export function objectsInYaml(text: string): KubeObject[] {
  return (loadAll(text) as (KubeObject | null)[]).filter(
    (d): d is KubeObject => !!d && typeof d === 'object' && !!d.kind,
  );
}

/** The Kubernetes objects in the ```yaml blocks of a Markdown text (Flagger's tutorials). */
export function objectsInMarkdown(markdown: string): KubeObject[] {
  const blocks = [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)];
  return blocks.flatMap(block => objectsInYaml(block[1]));
}

export function loadCrds(): KubeObject[] {
  const flagger = goModuleDir('github.com/fluxcd/flagger', VERSIONS.flagger);
  const contour = goModuleDir(
    'github.com/projectcontour/contour',
    VERSIONS.contour,
  );
  const carto = goModuleDir(
    'github.com/vmware-tanzu/cartographer',
    VERSIONS.cartographer,
  );
  return [
    ...extractCrds(
      readFileSync(join(flagger, 'artifacts/flagger/crd.yaml'), 'utf8'),
      [
        'canaries.flagger.app',
        'metrictemplates.flagger.app',
        'alertproviders.flagger.app',
      ],
    ),
    ...extractCrds(
      readFileSync(join(contour, 'examples/contour/01-crds.yaml'), 'utf8'),
      ['httpproxies.projectcontour.io'],
    ),
    ...extractCrds(
      readFileSync(
        join(carto, 'config/crd/bases/carto.run_workloads.yaml'),
        'utf8',
      ),
      ['workloads.carto.run'],
    ),
  ];
}

// ---- namespaces and the portal's credentials ------------------------------------------------

/**
 * The namespaces (their `default` ServiceAccounts come from the controller manager) and the
 * loadtester's Service, `flagger-loadtester` in `test` as Flagger's docs install it. The
 * loadtester itself is a process on this machine, so the Service has no selector: the cluster
 * network sends its traffic to the loopback port in its host-port annotation.
 */
export function baseObjects(loadtesterPort: number): KubeObject[] {
  const ns = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  return [
    ns(SAMPLE_NAMESPACE),
    ns(PORTAL_NAMESPACE),
    ns(LOADTESTER_NAMESPACE),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: LOADTESTER_SERVICE,
        namespace: LOADTESTER_NAMESPACE,
        labels: { app: LOADTESTER_SERVICE },
        annotations: { [ANNOTATIONS.hostPort]: String(loadtesterPort) },
      },
      spec: {
        type: 'ClusterIP',
        ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      },
    },
  ];
}

/** The loadtester as Flagger's docs address it from a Canary's webhooks. */
export const LOADTESTER_URL = `http://${LOADTESTER_SERVICE}.${LOADTESTER_NAMESPACE}`;

const read = ['get', 'list', 'watch'];

/** The portal's ServiceAccount with a least-privilege ClusterRole (plus read-only access for Backstage's Kubernetes tab). */
export function portalRbac(): KubeObject[] {
  const sa = {
    kind: 'ServiceAccount',
    name: PORTAL_SERVICE_ACCOUNT,
    namespace: PORTAL_NAMESPACE,
  };
  const binding = (role: string): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: role },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role,
    },
    subjects: [sa],
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: PORTAL_SERVICE_ACCOUNT, namespace: PORTAL_NAMESPACE },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'progressive-delivery' },
      rules: [
        // Exactly the README's ClusterRole: the tests then prove it is enough.
        {
          apiGroups: ['flagger.app'],
          resources: ['canaries', 'metrictemplates'],
          verbs: read,
        },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: read },
        { apiGroups: [''], resources: ['events'], verbs: read },
        { apiGroups: ['carto.run'], resources: ['workloads'], verbs: read },
      ],
    },
    binding('progressive-delivery'),
    {
      // What Backstage's own Kubernetes backend lists for its Kubernetes tab (read-only), kept
      // in a separate role so the plugin's needs stay visible on their own.
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'backstage-kubernetes-reader' },
      rules: [
        {
          apiGroups: [''],
          resources: [
            'pods',
            'services',
            'configmaps',
            'limitranges',
            'resourcequotas',
          ],
          verbs: read,
        },
        {
          apiGroups: ['apps'],
          resources: [
            'deployments',
            'replicasets',
            'statefulsets',
            'daemonsets',
          ],
          verbs: read,
        },
        {
          apiGroups: ['autoscaling'],
          resources: ['horizontalpodautoscalers'],
          verbs: read,
        },
        {
          apiGroups: ['networking.k8s.io'],
          resources: ['ingresses'],
          verbs: read,
        },
        { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: read },
      ],
    },
    binding('backstage-kubernetes-reader'),
  ];
}

// ---- sample apps --------------------------------------------------------------------------

export interface SampleApp {
  /** Workload, Deployment and Canary name. */
  name: string;
  namespace: string;
  /** Canary name (same as the app). */
  canary: string;
  provider: 'contour' | 'kubernetes';
  strategy: 'canary' | 'blue-green';
  /** Whether its Canary calls the portal's gates (confirm-rollout etc.). */
  gated: boolean;
  /** Whether its Canary calls Flagger's loadtester (manual gate, acceptance and load test). */
  loadtester?: boolean;
  description: string;
}

export const SAMPLE_APPS: readonly SampleApp[] = [
  {
    name: 'hello-contour',
    namespace: SAMPLE_NAMESPACE,
    canary: 'hello-contour',
    provider: 'contour',
    strategy: 'canary',
    gated: false,
    description:
      'Contour canary: weights 20, 40, 60 every 10s, builtin metrics over 30s',
  },
  {
    name: 'hello-bluegreen',
    namespace: SAMPLE_NAMESPACE,
    canary: 'hello-bluegreen',
    provider: 'kubernetes',
    strategy: 'blue-green',
    gated: false,
    description:
      'kubernetes provider blue-green: 4 iterations of 10s, builtin metrics over 30s',
  },
  {
    name: 'hello-gated',
    namespace: SAMPLE_NAMESPACE,
    canary: 'hello-gated',
    provider: 'contour',
    strategy: 'canary',
    gated: true,
    description:
      'Contour canary whose rollout start, traffic increases, promotion and rollback are decided by the portal backend',
  },
  {
    name: 'hello-loadtested',
    namespace: SAMPLE_NAMESPACE,
    canary: 'hello-loadtested',
    provider: 'contour',
    strategy: 'canary',
    gated: false,
    loadtester: true,
    description:
      "Contour canary with Flagger's loadtester: a manual gate (/gate/check) before the rollout, a pre-rollout acceptance test (curl) and a load test (hey) during it",
  },
];

export const SERVICE_PORT = 80;
export const CONTAINER_PORT = 8080;
export const INITIAL_REPLICAS = 2;
export const DEFAULT_LATENCY_MS = 20;

export function imageFor(app: string, revision: number): string {
  return `registry.sandbox.local/${SAMPLE_NAMESPACE}/${app}:v${revision}`;
}

/**
 * Names the catalog entity (of the same name) the app may be steered through: the portal
 * steers a canary only through an entity its Canary or Deployment names this way.
 */
export const BACKSTAGE_ID_LABEL = 'backstage.io/kubernetes-id';

function appLabels(app: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    [BACKSTAGE_ID_LABEL]: app,
    'app.kubernetes.io/part-of': app,
    'carto.run/workload-name': app,
    'apps.tanzu.vmware.com/workload-type': 'server',
  };
}

export function workloadFor(app: SampleApp, image: string): KubeObject {
  return {
    apiVersion: 'carto.run/v1alpha1',
    kind: 'Workload',
    metadata: {
      name: app.name,
      namespace: app.namespace,
      labels: {
        'apps.tanzu.vmware.com/workload-type': 'server',
        'app.kubernetes.io/name': app.name,
        'app.kubernetes.io/part-of': app.name,
        // TAP's supply chain carries the Workload's labels to the Deployment it writes.
        [BACKSTAGE_ID_LABEL]: app.name,
      },
    },
    spec: {
      image,
      params: [
        {
          name: 'ports',
          value: [
            { port: SERVICE_PORT, containerPort: CONTAINER_PORT, name: 'http' },
          ],
        },
      ],
    },
  };
}

/** The Deployment a TAP supply chain (server workload type) would write for the app. */
export function deploymentFor(
  app: SampleApp,
  revision = 1,
  behaviour: { errorRate?: number; latencyMs?: number } = {},
): KubeObject {
  const labels = appLabels(app.name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: app.name,
      namespace: app.namespace,
      labels: { ...labels, 'app.kubernetes.io/component': 'run' },
    },
    spec: {
      replicas: INITIAL_REPLICAS,
      selector: { matchLabels: { 'app.kubernetes.io/name': app.name } },
      template: {
        metadata: {
          labels,
          annotations: revisionAnnotations(revision, behaviour),
        },
        spec: {
          containers: [
            {
              name: 'workload',
              image: imageFor(app.name, revision),
              ports: [
                {
                  containerPort: CONTAINER_PORT,
                  name: 'http',
                  protocol: 'TCP',
                },
              ],
              env: [{ name: 'PORT', value: String(CONTAINER_PORT) }],
            },
          ],
        },
      },
    },
  };
}

export function revisionAnnotations(
  revision: number,
  behaviour: { errorRate?: number; latencyMs?: number } = {},
): Record<string, string> {
  return {
    [ANNOTATIONS.revision]: String(revision),
    [ANNOTATIONS.errorRate]: String(behaviour.errorRate ?? 0),
    [ANNOTATIONS.latencyMs]: String(behaviour.latencyMs ?? DEFAULT_LATENCY_MS),
  };
}

export const GATE_KINDS = [
  'confirm-rollout',
  'confirm-traffic-increase',
  'confirm-promotion',
  'rollback',
] as const;

/** The variable naming the secret a cluster's gated Canaries carry, e.g. PD_SANDBOX_DEV_WEBHOOK_SECRET. */
export function webhookSecretVariable(cluster: ClusterName): string {
  return `PD_SANDBOX_${cluster.toUpperCase()}_WEBHOOK_SECRET`;
}

/**
 * A gated app's webhooks to the portal in `cluster`. With a secret, each carries it as
 * `metadata.secret`, where the portal looks for the cluster's
 * `progressiveDelivery.clusters.<name>.webhooks.secret`.
 */
export function portalWebhooks(
  cluster: ClusterName,
  env: NodeJS.ProcessEnv = process.env,
  secret: string | undefined = env[webhookSecretVariable(cluster)] || undefined,
): Array<Record<string, unknown>> {
  const base = `${webhookBaseUrl(env)}/${cluster}`;
  const metadata = secret ? { metadata: { secret } } : {};
  return [
    ...GATE_KINDS.map(kind => ({
      name: kind,
      type: kind,
      url: `${base}/gates/${kind}`,
      timeout: '5s',
      ...metadata,
    })),
    {
      name: 'event',
      type: 'event',
      url: `${base}/event`,
      timeout: '5s',
      ...metadata,
    },
  ];
}

export function canaryFor(
  app: SampleApp,
  cluster: ClusterName,
  env: NodeJS.ProcessEnv = process.env,
): KubeObject {
  const metrics = [
    {
      name: 'request-success-rate',
      thresholdRange: { min: 99 },
      interval: '30s',
    },
    { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' },
  ];
  const webhooks = app.gated ? portalWebhooks(cluster, env) : undefined;
  const analysis: Record<string, unknown> =
    app.strategy === 'blue-green'
      ? { interval: '10s', threshold: 3, iterations: 4, metrics }
      : {
          interval: '10s',
          threshold: 3,
          stepWeight: 20,
          maxWeight: 60,
          metrics,
        };
  if (webhooks) analysis.webhooks = webhooks;
  if (app.loadtester) analysis.webhooks = loadtesterWebhooks(app);
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: {
      name: app.canary,
      namespace: app.namespace,
      labels: {
        'app.kubernetes.io/part-of': app.name,
        'app.kubernetes.io/name': app.name,
        [BACKSTAGE_ID_LABEL]: app.name,
      },
    },
    spec: {
      provider: app.provider,
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app.name },
      progressDeadlineSeconds: 300,
      service: {
        port: SERVICE_PORT,
        targetPort: CONTAINER_PORT,
        portName: 'http',
      },
      analysis,
    },
  };
}

/**
 * Webhooks in the forms of Flagger's docs (manual gating, acceptance and load testing): a gate
 * that waits until someone opens it on the loadtester (`POST /gate/open`), an acceptance test
 * against the canary Service before any traffic moves, and a load test on every step.
 */
export function loadtesterWebhooks(app: SampleApp): unknown[] {
  const canaryUrl = `http://${app.name}-canary.${app.namespace}/`;
  return [
    {
      name: 'gate',
      type: 'confirm-rollout',
      url: `${LOADTESTER_URL}/gate/check`,
    },
    {
      name: 'acceptance-test',
      type: 'pre-rollout',
      url: `${LOADTESTER_URL}/`,
      timeout: '30s',
      metadata: { type: 'bash', cmd: `curl -sf ${canaryUrl}` },
    },
    {
      name: 'load-test',
      type: 'rollout',
      url: `${LOADTESTER_URL}/`,
      timeout: '5s',
      metadata: { cmd: `hey -z 10s -q 5 -c 2 ${canaryUrl}` },
    },
  ];
}

/** The app objects in creation order (the Canary last, once its target exists). */
export function sampleAppObjects(
  cluster: ClusterName,
  env: NodeJS.ProcessEnv = process.env,
): KubeObject[] {
  return SAMPLE_APPS.flatMap(app => [
    workloadFor(app, imageFor(app.name, 1)),
    deploymentFor(app),
    canaryFor(app, cluster, env),
  ]);
}
