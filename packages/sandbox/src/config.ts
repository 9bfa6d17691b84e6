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
  /** Flagger and its loadtester (both built from github.com/fluxcd/flagger). */
  flagger: process.env.FLAGGER_VERSION ?? 'v1.44.0',
  /** The load generator Flagger's loadtester image ships (github.com/rakyll/hey). */
  hey: process.env.HEY_VERSION ?? 'v0.1.5',
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
  'kube-controller-manager',
  'simulator',
  'prometheus',
  'loadtester',
  'flagger',
] as const;
/**
 * The processes of one cluster, in start order. `simulator` is the Node process that plays
 * the node: kubelet (and scheduler: it binds pods to its one node), the cluster network
 * (service names to pods or host processes, as an HTTP proxy) and Envoy/app traffic (the
 * metrics exporter). `loadtester` is Flagger's loadtester.
 */
export type ComponentName = (typeof COMPONENTS)[number];

export interface ClusterPorts {
  apiServer: number;
  controllerManager: number;
  etcdClient: number;
  etcdPeer: number;
  prometheus: number;
  flagger: number;
  exporter: number;
  loadtester: number;
  /** The cluster network's HTTP proxy (service names as cluster DNS + kube-proxy resolve them). */
  network: number;
}

const DEFAULT_PORTS: Record<ClusterName, ClusterPorts> = {
  dev: {
    apiServer: 16443,
    controllerManager: 16257,
    etcdClient: 12379,
    etcdPeer: 12380,
    prometheus: 19090,
    flagger: 18080,
    exporter: 19101,
    loadtester: 18090,
    network: 19102,
  },
  prod: {
    apiServer: 26443,
    controllerManager: 26257,
    etcdClient: 22379,
    etcdPeer: 22380,
    prometheus: 29090,
    flagger: 28080,
    exporter: 29101,
    loadtester: 28090,
    network: 29102,
  },
};

const PORT_ENV: Record<keyof ClusterPorts, string> = {
  apiServer: 'APISERVER',
  controllerManager: 'CONTROLLER_MANAGER',
  etcdClient: 'ETCD',
  etcdPeer: 'ETCD_PEER',
  prometheus: 'PROMETHEUS',
  flagger: 'FLAGGER',
  exporter: 'EXPORTER',
  loadtester: 'LOADTESTER',
  network: 'NETWORK',
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
  /** The controller manager's kubeconfig (client certificate system:kube-controller-manager). */
  controllerManagerKubeconfig: string;
  backstageKubeconfig: string;
  etcdData: string;
  prometheusData: string;
  prometheusConfig: string;
  logDir: string;
  pidDir: string;
  /** The loadtester's PATH additions (hey through the cluster network). */
  loadtesterBinDir: string;
  /** The controller manager's serving certificates (self-signed by it). */
  controllerManagerCertDir: string;
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
    controllerManagerKubeconfig: join(dir, 'controller-manager.kubeconfig'),
    backstageKubeconfig: join(dir, 'backstage.kubeconfig'),
    etcdData: join(dir, 'etcd-data'),
    prometheusData: join(dir, 'prometheus-data'),
    prometheusConfig: join(dir, 'prometheus.yml'),
    logDir: join(dir, 'logs'),
    pidDir: join(dir, 'pids'),
    loadtesterBinDir: join(dir, 'loadtester-bin'),
    controllerManagerCertDir: join(dir, 'controller-manager-certs'),
  };
}

export const BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'flagger',
  'flagger-loadtester',
  'hey',
] as const;
export type BinaryName = (typeof BINARIES)[number];

export function binaryPath(binDir: string, name: BinaryName): string {
  const versions: Record<BinaryName, string> = {
    etcd: VERSIONS.etcd,
    'kube-apiserver': VERSIONS.kubernetes,
    'kube-controller-manager': VERSIONS.kubernetes,
    flagger: VERSIONS.flagger,
    'flagger-loadtester': VERSIONS.flagger,
    hey: VERSIONS.hey,
  };
  // Flagger and its loadtester are built with a listen-address patch (see scripts/build-binaries.sh).
  const loopback = name === 'flagger' || name === 'flagger-loadtester';
  return join(
    binDir,
    `${name}-${versions[name]}${loopback ? '-loopback' : ''}`,
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
  /**
   * On a Service: the loopback port of the host process that stands for its pods (the sandbox's
   * loadtester runs on this machine, not in a pod). The cluster network sends the Service's
   * traffic there.
   */
  hostPort: `${ANNOTATION_PREFIX}/host-port`,
};

/** Where the loadtester's Service lives, as in Flagger's docs (`http://flagger-loadtester.test/`). */
export const LOADTESTER_NAMESPACE = 'test';
export const LOADTESTER_SERVICE = 'flagger-loadtester';
