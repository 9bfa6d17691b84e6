/*
 * Where everything lives and listens: versions, ports, paths. All ports are on 127.0.0.1 and
 * can be overridden by environment variables (PD_SANDBOX_<CLUSTER>_<COMPONENT>_PORT).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const VERSIONS = {
  kubernetes: process.env.KUBERNETES_VERSION ?? 'v1.36.3',
  etcd: process.env.ETCD_VERSION ?? 'v3.6.10',
  flagger: process.env.FLAGGER_VERSION ?? 'v1.44.0',
  /** Go module that ships Contour's HTTPProxy CRD (examples/contour/01-crds.yaml). */
  contour: process.env.CONTOUR_VERSION ?? 'v1.33.6',
  /** Go module that ships Cartographer's Workload CRD. */
  cartographer: process.env.CARTOGRAPHER_VERSION ?? 'v0.8.11',
};

export const CLUSTER_NAMES = ['dev', 'prod'] as const;
export type ClusterName = (typeof CLUSTER_NAMES)[number];

export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'simulator',
  'prometheus',
  'flagger',
] as const;
/**
 * The processes of one cluster, in start order. `simulator` is the Node process that plays
 * kubelet + deployment controller (Deployment/ReplicaSet/Pod status) and Envoy/app traffic
 * (the metrics exporter).
 */
export type ComponentName = (typeof COMPONENTS)[number];

export interface ClusterPorts {
  apiServer: number;
  etcdClient: number;
  etcdPeer: number;
  prometheus: number;
  flagger: number;
  exporter: number;
}

const DEFAULT_PORTS: Record<ClusterName, ClusterPorts> = {
  dev: {
    apiServer: 16443,
    etcdClient: 12379,
    etcdPeer: 12380,
    prometheus: 19090,
    flagger: 18080,
    exporter: 19101,
  },
  prod: {
    apiServer: 26443,
    etcdClient: 22379,
    etcdPeer: 22380,
    prometheus: 29090,
    flagger: 28080,
    exporter: 29101,
  },
};

const PORT_ENV: Record<keyof ClusterPorts, string> = {
  apiServer: 'APISERVER',
  etcdClient: 'ETCD',
  etcdPeer: 'ETCD_PEER',
  prometheus: 'PROMETHEUS',
  flagger: 'FLAGGER',
  exporter: 'EXPORTER',
};

/** Ports of a cluster, e.g. PD_SANDBOX_DEV_APISERVER_PORT=16444 overrides the dev apiserver. */
export function clusterPorts(
  cluster: ClusterName,
  env: NodeJS.ProcessEnv = process.env,
): ClusterPorts {
  const ports = { ...DEFAULT_PORTS[cluster] };
  for (const key of Object.keys(ports) as (keyof ClusterPorts)[]) {
    const value =
      env[`PD_SANDBOX_${cluster.toUpperCase()}_${PORT_ENV[key]}_PORT`];
    if (value) {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`invalid port ${value} for ${cluster} ${key}`);
      }
      ports[key] = port;
    }
  }
  return ports;
}

export function isClusterName(value: string): value is ClusterName {
  return (CLUSTER_NAMES as readonly string[]).includes(value);
}

export function isComponentName(value: string): value is ComponentName {
  return (COMPONENTS as readonly string[]).includes(value);
}

/** The repository root: the nearest ancestor of this package with a package.json declaring workspaces. */
// The sandbox always runs from its source inside the repository (never from a bundle), so
// __dirname is this package's src directory.
// eslint-disable-next-line no-restricted-syntax
export function findRepoRoot(start: string = __dirname): string {
  if (process.env.PD_REPO_ROOT) return resolve(process.env.PD_REPO_ROOT);
  let dir = resolve(start);
  for (;;) {
    if (
      existsSync(join(dir, 'packages', 'sandbox', 'package.json')) &&
      existsSync(join(dir, 'package.json'))
    ) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the repository root above ${start}`);
    }
    dir = parent;
  }
}

export const STATE_DIR_NAME = '.sandbox';

export interface SandboxPaths {
  repoRoot: string;
  stateDir: string;
  packageDir: string;
  cacheDir: string;
  binDir: string;
  infoFile: string;
  lockDir: string;
}

export function sandboxPaths(repoRoot: string = findRepoRoot()): SandboxPaths {
  const cacheDir =
    process.env.PD_SANDBOX_CACHE ??
    join(
      process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
      'progressive-delivery-sandbox',
    );
  const stateDir = join(repoRoot, STATE_DIR_NAME);
  return {
    repoRoot,
    stateDir,
    packageDir: join(repoRoot, 'packages', 'sandbox'),
    cacheDir,
    binDir: join(cacheDir, 'bin'),
    infoFile: join(stateDir, 'sandbox.json'),
    lockDir: join(stateDir, '.lock'),
  };
}

export interface ClusterPaths {
  dir: string;
  pkiDir: string;
  caFile: string;
  caBase64File: string;
  tokenFile: string;
  kubeconfig: string;
  backstageKubeconfig: string;
  etcdData: string;
  prometheusData: string;
  prometheusConfig: string;
  logDir: string;
  pidDir: string;
}

export function clusterPaths(
  stateDir: string,
  cluster: ClusterName,
): ClusterPaths {
  const dir = join(stateDir, cluster);
  return {
    dir,
    pkiDir: join(dir, 'pki'),
    caFile: join(dir, 'ca.crt'),
    caBase64File: join(dir, 'ca.b64'),
    tokenFile: join(dir, 'backstage-token'),
    kubeconfig: join(dir, 'kubeconfig'),
    backstageKubeconfig: join(dir, 'backstage.kubeconfig'),
    etcdData: join(dir, 'etcd-data'),
    prometheusData: join(dir, 'prometheus-data'),
    prometheusConfig: join(dir, 'prometheus.yml'),
    logDir: join(dir, 'logs'),
    pidDir: join(dir, 'pids'),
  };
}

export function binaryPath(
  binDir: string,
  name: 'kube-apiserver' | 'etcd' | 'flagger',
): string {
  const versions = {
    'kube-apiserver': VERSIONS.kubernetes,
    etcd: VERSIONS.etcd,
    flagger: VERSIONS.flagger,
  };
  const version = versions[name];
  // Flagger is built with a listen-address patch (see scripts/build-binaries.sh).
  return join(
    binDir,
    name === 'flagger' ? `${name}-${version}-loopback` : `${name}-${version}`,
  );
}

/** Where Flagger calls the portal backend's gates and event hook. */
export function webhookBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.PD_WEBHOOK_BASE_URL ??
    'http://127.0.0.1:7007/api/progressive-delivery/webhooks'
  ).replace(/\/+$/, '');
}

export const SAMPLE_NAMESPACE = 'tap-apps';
export const PORTAL_NAMESPACE = 'flagger-system';
export const PORTAL_SERVICE_ACCOUNT = 'progressive-delivery';
export const ANNOTATION_PREFIX = 'sandbox.progressive-delivery.dev';
export const ANNOTATIONS = {
  errorRate: `${ANNOTATION_PREFIX}/error-rate`,
  latencyMs: `${ANNOTATION_PREFIX}/latency-ms`,
  revision: `${ANNOTATION_PREFIX}/revision`,
};
