/*
 * Orchestration: up, down, status, release, stop/start of single components. One file over 400
 * lines: the commands share the lock, the pid files, the ports and the clusters' info, and
 * `up` reads top to bottom in the order a cluster comes up.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ANNOTATIONS,
  BINARIES,
  binaryPath,
  CLUSTER_NAMES,
  ClusterName,
  COMPONENTS,
  ComponentName,
  PORTAL_NAMESPACE,
  PORTAL_SERVICE_ACCOUNT,
  SAMPLE_NAMESPACE,
  sandboxPaths,
  SandboxPaths,
  VERSIONS,
  webhookBaseUrl,
} from './config';
import {
  ComponentContext,
  componentContext,
  componentHealth,
  Health,
  startComponentProcess,
  stopComponentProcess,
  waitHealthy,
} from './components';
import { KubeClient, KubeObject } from './kube';
import { renderKubeconfig } from './kubeconfig';
import {
  baseObjects,
  imageFor,
  loadCrds,
  portalRbac,
  portalWebhooks,
  SAMPLE_APPS,
  SampleApp,
  sampleAppObjects,
} from './manifests';
import { generateClusterPki, issueControllerManagerCertificate } from './pki';
import { isRunning, readPidFile } from './processes';

export type Logger = (message: string) => void;
const defaultLogger: Logger = m => console.log(m);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export interface ClusterInfo {
  name: ClusterName;
  apiServerUrl: string;
  /** CA of the cluster (PEM), and the same base64-encoded for Backstage's `caData`. */
  caFile: string;
  caBase64File: string;
  /** Token of ServiceAccount flagger-system/progressive-delivery (the portal's credentials). */
  tokenFile: string;
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfigPath: string;
  /** Kubeconfig with the portal's token. */
  backstageKubeconfigPath: string;
  prometheusUrl: string;
  flaggerMetricsUrl: string;
  trafficExporterUrl: string;
  /**
   * The cluster network as an HTTP proxy: `http://<service>.<namespace>/` through it reaches
   * what a pod of the cluster would (e.g. `http://flagger-loadtester.test/gate/open`).
   */
  networkProxyUrl: string;
  /** Flagger's loadtester of this cluster, directly on loopback. */
  loadtesterUrl: string;
  etcdUrl: string;
  logDir: string;
}

export interface SandboxInfo {
  /** State directory, relative to the repository root (`.sandbox`). */
  stateDir: string;
  stateDirAbsolute: string;
  repoRoot: string;
  clusters: Record<ClusterName, ClusterInfo>;
  apps: readonly SampleApp[];
  webhookBaseUrl: string;
  versions: typeof VERSIONS;
  startedAt: string;
}

export function clusterInfo(
  cluster: ClusterName,
  paths: SandboxPaths = sandboxPaths(),
): ClusterInfo {
  const ctx = componentContext(cluster, paths);
  const { ports, files } = ctx;
  return {
    name: cluster,
    apiServerUrl: `https://127.0.0.1:${ports.apiServer}`,
    caFile: files.caFile,
    caBase64File: files.caBase64File,
    tokenFile: files.tokenFile,
    kubeconfigPath: files.kubeconfig,
    backstageKubeconfigPath: files.backstageKubeconfig,
    prometheusUrl: `http://127.0.0.1:${ports.prometheus}`,
    flaggerMetricsUrl: `http://127.0.0.1:${ports.flagger}/metrics`,
    trafficExporterUrl: `http://127.0.0.1:${ports.exporter}/metrics`,
    networkProxyUrl: `http://127.0.0.1:${ports.network}`,
    loadtesterUrl: `http://127.0.0.1:${ports.loadtester}`,
    etcdUrl: `http://127.0.0.1:${ports.etcdClient}`,
    logDir: files.logDir,
  };
}

function buildInfo(paths: SandboxPaths): SandboxInfo {
  return {
    stateDir: relative(paths.repoRoot, paths.stateDir) || '.',
    stateDirAbsolute: paths.stateDir,
    repoRoot: paths.repoRoot,
    clusters: {
      dev: clusterInfo('dev', paths),
      prod: clusterInfo('prod', paths),
    },
    apps: SAMPLE_APPS,
    webhookBaseUrl: webhookBaseUrl(),
    versions: VERSIONS,
    startedAt: new Date().toISOString(),
  };
}

/** The sandbox's description, or undefined when it is not up (no info file or apiservers down). */
export function readSandboxInfo(
  paths: SandboxPaths = sandboxPaths(),
): SandboxInfo | undefined {
  if (!existsSync(paths.infoFile)) return undefined;
  const info = JSON.parse(readFileSync(paths.infoFile, 'utf8')) as SandboxInfo;
  for (const cluster of CLUSTER_NAMES) {
    const ctx = componentContext(cluster, paths);
    if (!isRunning(readPidFile(join(ctx.files.pidDir, 'kube-apiserver.pid'))))
      return undefined;
  }
  return info;
}

/** A KubeConfig with admin rights (system:masters) for a sandbox cluster. */
export function adminKubeConfig(
  cluster: ClusterName,
  paths: SandboxPaths = sandboxPaths(),
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(componentContext(cluster, paths).files.kubeconfig);
  return kc;
}

/** A minimal REST client with admin rights for a sandbox cluster. */
export function adminClient(
  cluster: ClusterName,
  paths: SandboxPaths = sandboxPaths(),
): KubeClient {
  return KubeClient.fromKubeconfigFile(
    componentContext(cluster, paths).files.kubeconfig,
  );
}

export function nodeTransformPath(paths: SandboxPaths): string {
  const local = join(
    paths.repoRoot,
    'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
  );
  return existsSync(local)
    ? local
    : require.resolve('@backstage/cli-node/config/nodeTransform.cjs');
}

// ---- locking --------------------------------------------------------------------------------

async function withLock<T>(
  paths: SandboxPaths,
  log: Logger,
  fn: () => Promise<T>,
): Promise<T> {
  mkdirSync(paths.stateDir, { recursive: true });
  const owner = join(paths.lockDir, 'pid');
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(paths.lockDir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch {
      const pid = Number(existsSync(owner) ? readFileSync(owner, 'utf8') : NaN);
      let alive = false;
      try {
        if (pid) process.kill(pid, 0);
        alive = !!pid;
      } catch {
        alive = false;
      }
      if (!alive && waited > 2) {
        rmSync(paths.lockDir, { recursive: true, force: true });
        continue;
      }
      if (waited % 20 === 0)
        log(
          `waiting for another sandbox command (pid ${pid || '?'}) to finish`,
        );
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lockDir, { recursive: true, force: true });
  }
}

// ---- prerequisites --------------------------------------------------------------------------

function binariesPresent(paths: SandboxPaths): boolean {
  return BINARIES.every(b => existsSync(binaryPath(paths.binDir, b)));
}

function runStreaming(
  command: string,
  args: string[],
  log: Logger,
  env?: NodeJS.ProcessEnv,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() && !line.startsWith('go: downloading')) log(line);
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('error', reject);
    child.on('close', code => resolve(code ?? 1));
  });
}

async function ensureBinaries(paths: SandboxPaths, log: Logger) {
  if (binariesPresent(paths)) {
    log(`[sandbox] binaries cached in ${paths.binDir}`);
    return;
  }
  log(
    `[sandbox] building ${BINARIES.join(
      ', ',
    )} from their Go modules (first time only)`,
  );
  const started = Date.now();
  const code = await runStreaming(
    'bash',
    [join(paths.packageDir, 'scripts', 'build-binaries.sh'), 'all'],
    log,
  );
  if (code !== 0 || !binariesPresent(paths)) {
    throw new Error(`building the sandbox binaries failed (exit ${code})`);
  }
  log(
    `[sandbox] binaries built in ${Math.round((Date.now() - started) / 1000)}s`,
  );
}

async function ensurePrometheus(log: Logger) {
  if (existsSync('/usr/bin/prometheus')) return;
  log(
    '[sandbox] installing prometheus with apt-get (Debian package; not started as a service)',
  );
  // Keep the package's init script from starting a system-wide Prometheus on 0.0.0.0:9090.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    writeFileSync(policy, '#!/bin/sh\nexit 101\n');
    chmodSync(policy, 0o755);
  }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let code = await runStreaming(
      'apt-get',
      ['install', '-y', '--no-install-recommends', 'prometheus'],
      log,
      env,
    );
    if (code !== 0) {
      await runStreaming('apt-get', ['update'], log, env);
      code = await runStreaming(
        'apt-get',
        ['install', '-y', '--no-install-recommends', 'prometheus'],
        log,
        env,
      );
    }
    if (code !== 0 || !existsSync('/usr/bin/prometheus')) {
      throw new Error('apt-get install prometheus failed');
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

// ---- per-cluster set-up ---------------------------------------------------------------------

function writePrivate(path: string, content: string) {
  writeFileSync(path, content, { mode: 0o600 });
}

function ensurePki(ctx: ComponentContext, log: Logger) {
  const { files, ports, cluster } = ctx;
  mkdirSync(files.pkiDir, { recursive: true, mode: 0o700 });
  const ca = join(files.pkiDir, 'ca.crt');
  if (!existsSync(ca)) {
    log(`generating CA, serving and client certificates, service-account keys`);
    const pki = generateClusterPki(cluster);
    writeFileSync(ca, pki.ca.certPem);
    writePrivate(join(files.pkiDir, 'ca.key'), pki.ca.keyPem);
    writeFileSync(join(files.pkiDir, 'apiserver.crt'), pki.apiServer.certPem);
    writePrivate(join(files.pkiDir, 'apiserver.key'), pki.apiServer.keyPem);
    writeFileSync(join(files.pkiDir, 'admin.crt'), pki.admin.certPem);
    writePrivate(join(files.pkiDir, 'admin.key'), pki.admin.keyPem);
    writePrivate(join(files.pkiDir, 'sa.key'), pki.serviceAccountKeyPem);
    writeFileSync(join(files.pkiDir, 'sa.pub'), pki.serviceAccountPublicPem);
  }
  const caPem = readFileSync(ca, 'utf8');
  // Also for state made before the sandbox ran a controller manager.
  const controllerManagerCert = join(files.pkiDir, 'controller-manager.crt');
  if (!existsSync(controllerManagerCert)) {
    const issued = issueControllerManagerCertificate({
      certPem: caPem,
      keyPem: readFileSync(join(files.pkiDir, 'ca.key'), 'utf8'),
    });
    writePrivate(join(files.pkiDir, 'controller-manager.key'), issued.keyPem);
    writeFileSync(controllerManagerCert, issued.certPem);
  }
  writePrivate(
    files.controllerManagerKubeconfig,
    renderKubeconfig({
      cluster,
      server: `https://127.0.0.1:${ports.apiServer}`,
      caPem,
      user: 'system:kube-controller-manager',
      clientCertPem: readFileSync(controllerManagerCert, 'utf8'),
      clientKeyPem: readFileSync(
        join(files.pkiDir, 'controller-manager.key'),
        'utf8',
      ),
    }),
  );
  writeFileSync(files.caFile, caPem);
  writeFileSync(files.caBase64File, Buffer.from(caPem).toString('base64'));
  writePrivate(
    files.kubeconfig,
    renderKubeconfig({
      cluster,
      server: `https://127.0.0.1:${ports.apiServer}`,
      caPem,
      user: 'sandbox-admin',
      clientCertPem: readFileSync(join(files.pkiDir, 'admin.crt'), 'utf8'),
      clientKeyPem: readFileSync(join(files.pkiDir, 'admin.key'), 'utf8'),
    }),
  );
}

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: any;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`,
  );
}

async function applyCrds(client: KubeClient, crds: KubeObject[]) {
  for (const crd of crds) await client.apply(crd);
  for (const crd of crds) {
    await waitFor(
      `CRD ${crd.metadata.name} to be established`,
      async () => {
        const c = await client.get(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        );
        return (c.status?.conditions ?? []).some(
          (x: any) => x.type === 'Established' && x.status === 'True',
        )
          ? true
          : undefined;
      },
      60_000,
    );
  }
}

/** Issues the portal's token (TokenRequest API, one year) and writes it with a kubeconfig using it. */
async function writePortalToken(ctx: ComponentContext, client: KubeClient) {
  const res = await client.post(
    `/api/v1/namespaces/${PORTAL_NAMESPACE}/serviceaccounts/${PORTAL_SERVICE_ACCOUNT}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 365 * 24 * 3600 },
    },
  );
  const token: string = res.status.token;
  writePrivate(ctx.files.tokenFile, token);
  writePrivate(
    ctx.files.backstageKubeconfig,
    renderKubeconfig({
      cluster: ctx.cluster,
      server: `https://127.0.0.1:${ctx.ports.apiServer}`,
      caPem: readFileSync(ctx.files.caFile, 'utf8'),
      user: PORTAL_SERVICE_ACCOUNT,
      token,
    }),
  );
}

const SETTLED_PHASES = [
  'Initialized',
  'Succeeded',
  'Failed',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];

async function waitCanariesInitialized(
  client: KubeClient,
  log: Logger,
  cluster: ClusterName,
) {
  const wanted = SAMPLE_APPS.map(a => `${a.namespace}/${a.canary}`);
  let lastReport = '';
  await waitFor(
    `the sample canaries in ${cluster} to be initialized by Flagger`,
    async () => {
      const list = await client.get(
        `/apis/flagger.app/v1beta1/namespaces/${SAMPLE_NAMESPACE}/canaries`,
      );
      const phases = new Map<string, string>(
        list.items.map((c: any) => [
          `${c.metadata.namespace}/${c.metadata.name}`,
          c.status?.phase ?? '',
        ]),
      );
      const report = wanted
        .map(w => `${w.split('/')[1]}=${phases.get(w) || 'pending'}`)
        .join(' ');
      if (report !== lastReport) {
        log(`[sandbox ${cluster}] canaries: ${report}`);
        lastReport = report;
      }
      return wanted.every(w => SETTLED_PHASES.includes(phases.get(w) ?? ''))
        ? true
        : undefined;
    },
    180_000,
    1000,
  );
}

async function clusterUp(
  cluster: ClusterName,
  paths: SandboxPaths,
  log: Logger,
) {
  const ctx = componentContext(cluster, paths);
  const transform = nodeTransformPath(paths);
  const say = (m: string) => log(`[sandbox ${cluster}] ${m}`);
  mkdirSync(ctx.files.dir, { recursive: true });
  ensurePki(ctx, say);

  const start = async (component: ComponentName, timeoutMs?: number) => {
    const t0 = Date.now();
    const result = await startComponentProcess(component, ctx, transform);
    await waitHealthy(component, ctx, timeoutMs);
    say(
      `${component} ${
        result === 'started' ? 'started' : 'already running'
      } and healthy (${((Date.now() - t0) / 1000).toFixed(1)}s)`,
    );
  };

  await start('etcd', 60_000);
  await start('kube-apiserver', 180_000);
  const client = KubeClient.fromKubeconfigFile(ctx.files.kubeconfig);
  say(
    'applying CRDs (Flagger, Contour HTTPProxy, Cartographer Workload), namespaces and RBAC',
  );
  await applyCrds(client, loadCrds());
  // The apiserver creates `default` itself; wait for it so ServiceAccounts can go there.
  await waitFor(
    'namespace default',
    () => client.find('/api/v1/namespaces/default'),
    60_000,
  );
  for (const obj of [...baseObjects(ctx.ports.loadtester), ...portalRbac()])
    await client.apply(obj);
  await writePortalToken(ctx, client);
  await start('kube-controller-manager', 120_000);
  // Pod admission needs a namespace's `default` ServiceAccount, which the controller makes.
  await waitFor(
    `ServiceAccount ${SAMPLE_NAMESPACE}/default (from the controller manager)`,
    () =>
      client.find(
        `/api/v1/namespaces/${SAMPLE_NAMESPACE}/serviceaccounts/default`,
      ),
    60_000,
  );
  await start('simulator', 60_000);
  await start('prometheus', 60_000);
  await start('loadtester', 60_000);
  await start('flagger', 60_000);
  let created = 0;
  for (const obj of sampleAppObjects(cluster)) {
    if (await client.createIfAbsent(obj)) created++;
  }
  say(
    created
      ? `created ${created} sample app objects in ${SAMPLE_NAMESPACE}`
      : 'sample apps already present',
  );
  await waitCanariesInitialized(client, log, cluster);
}

// ---- public operations ----------------------------------------------------------------------

export interface UpOptions {
  log?: Logger;
  paths?: SandboxPaths;
}

export interface ComponentStatus extends Health {
  cluster: ClusterName;
  component: ComponentName | 'portal-token' | 'canaries';
}

export interface StatusReport {
  healthy: boolean;
  components: ComponentStatus[];
  info?: SandboxInfo;
}

/** Starts everything that is not running (idempotent). Resolves to the sandbox's description. */
export async function sandboxUp(options: UpOptions = {}): Promise<SandboxInfo> {
  const log = options.log ?? defaultLogger;
  const paths = options.paths ?? sandboxPaths();
  return withLock(paths, log, async () => {
    const before = await sandboxStatus({ paths });
    if (before.healthy && before.info) {
      log('[sandbox] already up; nothing to do');
      printStatus(before, log);
      return before.info;
    }
    const t0 = Date.now();
    await ensureBinaries(paths, log);
    await ensurePrometheus(log);
    await Promise.all(CLUSTER_NAMES.map(c => clusterUp(c, paths, log)));
    const info = buildInfo(paths);
    writeFileSync(paths.infoFile, `${JSON.stringify(info, null, 2)}\n`);
    log(`[sandbox] up in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    for (const c of CLUSTER_NAMES) {
      const ci = info.clusters[c];
      log(
        `[sandbox] ${c}: ${ci.apiServerUrl}  admin kubeconfig ${relative(
          paths.repoRoot,
          ci.kubeconfigPath,
        )}  portal token ${relative(
          paths.repoRoot,
          ci.tokenFile,
        )}  prometheus ${ci.prometheusUrl}`,
      );
    }
    log(
      `[sandbox] try: KUBECONFIG=${relative(
        paths.repoRoot,
        info.clusters.dev.kubeconfigPath,
      )} kubectl get canaries -A   (if kubectl is installed)`,
    );
    return info;
  });
}

/** Stops every process the sandbox started (SIGTERM, then SIGKILL), by PID. With `purge`, deletes the state too. */
export async function sandboxDown(
  options: { log?: Logger; paths?: SandboxPaths; purge?: boolean } = {},
): Promise<void> {
  const log = options.log ?? defaultLogger;
  const paths = options.paths ?? sandboxPaths();
  await withLock(paths, log, async () => {
    rmSync(paths.infoFile, { force: true });
    await Promise.all(
      CLUSTER_NAMES.map(async cluster => {
        const ctx = componentContext(cluster, paths);
        for (const component of [...COMPONENTS].reverse()) {
          const result = await stopComponentProcess(component, ctx);
          if (result !== 'not-running')
            log(`[sandbox ${cluster}] ${component} ${result}`);
        }
        if (options.purge)
          rmSync(ctx.files.dir, { recursive: true, force: true });
      }),
    );
    log(
      options.purge
        ? '[sandbox] down; state removed'
        : '[sandbox] down (state kept for the next `up`)',
    );
  });
}

export async function sandboxStatus(
  options: { paths?: SandboxPaths } = {},
): Promise<StatusReport> {
  const paths = options.paths ?? sandboxPaths();
  const components: ComponentStatus[] = [];
  await Promise.all(
    CLUSTER_NAMES.map(async cluster => {
      const ctx = componentContext(cluster, paths);
      const results = await Promise.all(
        COMPONENTS.map(c => componentHealth(c, ctx)),
      );
      results.forEach((h, i) =>
        components.push({ cluster, component: COMPONENTS[i], ...h }),
      );
      if (!results[COMPONENTS.indexOf('kube-apiserver')].healthy) return;
      // The portal's credentials work and the canaries exist.
      try {
        const token = readFileSync(ctx.files.tokenFile, 'utf8').trim();
        const portal = new KubeClient({
          server: `https://127.0.0.1:${ctx.ports.apiServer}`,
          caPem: readFileSync(ctx.files.caFile, 'utf8'),
          token,
        });
        const list = await portal.get(
          `/apis/flagger.app/v1beta1/namespaces/${SAMPLE_NAMESPACE}/canaries`,
        );
        components.push({
          cluster,
          component: 'portal-token',
          healthy: true,
          detail: `${relative(
            paths.repoRoot,
            ctx.files.tokenFile,
          )} can list canaries`,
        });
        const phases = list.items.map(
          (c: any) => `${c.metadata.name}=${c.status?.phase || 'pending'}`,
        );
        const missing = SAMPLE_APPS.filter(
          a => !list.items.some((c: any) => c.metadata.name === a.canary),
        );
        components.push({
          cluster,
          component: 'canaries',
          healthy: missing.length === 0,
          detail: missing.length
            ? `missing: ${missing.map(a => a.canary).join(', ')}`
            : phases.join(' '),
        });
      } catch (e: any) {
        components.push({
          cluster,
          component: 'portal-token',
          healthy: false,
          detail: e.message,
        });
      }
    }),
  );
  const order = (c: ComponentStatus) =>
    CLUSTER_NAMES.indexOf(c.cluster) * 100 +
    [...COMPONENTS, 'portal-token', 'canaries'].indexOf(c.component);
  components.sort((a, b) => order(a) - order(b));
  const healthy = components.length > 0 && components.every(c => c.healthy);
  return {
    healthy,
    components,
    info: healthy ? readSandboxInfo(paths) ?? buildInfo(paths) : undefined,
  };
}

export function printStatus(report: StatusReport, log: Logger = defaultLogger) {
  for (const c of report.components) {
    log(
      `${c.healthy ? 'ok  ' : 'FAIL'} ${c.cluster.padEnd(
        4,
      )} ${c.component.padEnd(23)} ${c.detail}`,
    );
  }
  log(report.healthy ? 'sandbox: healthy' : 'sandbox: NOT healthy');
}

export async function stopComponent(
  cluster: ClusterName,
  component: ComponentName,
  options: { paths?: SandboxPaths } = {},
) {
  const ctx = componentContext(cluster, options.paths ?? sandboxPaths());
  return stopComponentProcess(component, ctx);
}

export async function startComponent(
  cluster: ClusterName,
  component: ComponentName,
  options: { paths?: SandboxPaths } = {},
) {
  const paths = options.paths ?? sandboxPaths();
  const ctx = componentContext(cluster, paths);
  const result = await startComponentProcess(
    component,
    ctx,
    nodeTransformPath(paths),
  );
  await waitHealthy(component, ctx, 180_000);
  return result;
}

export interface ReleaseOptions {
  cluster?: ClusterName;
  namespace?: string;
  /** Fraction of requests the new revision fails (0..1). Default 0. */
  errorRate?: number;
  /** Typical latency of the new revision in ms. Default 20. */
  latencyMs?: number;
  paths?: SandboxPaths;
}

export interface ReleaseResult {
  cluster: ClusterName;
  namespace: string;
  app: string;
  revision: number;
  image: string;
  errorRate: number;
  latencyMs: number;
}

/**
 * Ships a new revision of an app as a TAP supply chain would: the Workload gets the new image
 * and the Deployment's pod template changes (image tag + behaviour annotations), which is what
 * makes Flagger start a rollout.
 */
export async function release(
  app: string,
  options: ReleaseOptions = {},
): Promise<ReleaseResult> {
  const cluster = options.cluster ?? 'dev';
  const namespace = options.namespace ?? SAMPLE_NAMESPACE;
  const errorRate = options.errorRate ?? 0;
  const latencyMs = options.latencyMs ?? 20;
  if (!(errorRate >= 0 && errorRate <= 1))
    throw new Error(`error rate must be within 0..1, got ${errorRate}`);
  if (!(latencyMs >= 0))
    throw new Error(`latency must be >= 0 ms, got ${latencyMs}`);
  const client = adminClient(cluster, options.paths);
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments/${app}`;
  const deployment = await client.find(path);
  if (!deployment)
    throw new Error(`no Deployment ${namespace}/${app} in cluster ${cluster}`);
  const template = deployment.spec.template;
  const revision =
    Number(template.metadata?.annotations?.[ANNOTATIONS.revision] ?? 1) + 1;
  const image = imageFor(app, revision);
  const containers = (template.spec.containers as any[]).map((c, i) =>
    i === 0 ? { ...c, image } : c,
  );
  const workloadPath = `/apis/carto.run/v1alpha1/namespaces/${namespace}/workloads/${app}`;
  if (await client.find(workloadPath))
    await client.mergePatch(workloadPath, { spec: { image } });
  await client.mergePatch(path, {
    spec: {
      template: {
        metadata: {
          annotations: {
            [ANNOTATIONS.revision]: String(revision),
            [ANNOTATIONS.errorRate]: String(errorRate),
            [ANNOTATIONS.latencyMs]: String(latencyMs),
          },
        },
        spec: { containers },
      },
    },
  });
  return { cluster, namespace, app, revision, image, errorRate, latencyMs };
}

/**
 * Makes the gated sample Canaries of `cluster` carry `secret` in their portal webhooks'
 * metadata (none when undefined), as an operator sets the cluster's secret on its Canaries.
 * Changes only the webhooks: Flagger starts no rollout for it.
 */
export async function setWebhookSecret(
  cluster: ClusterName,
  secret: string | undefined,
  options: { paths?: SandboxPaths; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const client = adminClient(cluster, options.paths);
  for (const app of SAMPLE_APPS.filter(a => a.gated)) {
    await client.mergePatch(
      `/apis/flagger.app/v1beta1/namespaces/${app.namespace}/canaries/${app.canary}`,
      // A merge patch replaces the list whole: no webhook keeps an older secret.
      {
        spec: {
          analysis: {
            webhooks: portalWebhooks(cluster, options.env, secret ?? ''),
          },
        },
      },
    );
  }
}

/** For scripts that want to shell out to the CLI (e.g. from another package's tests). */
export function runCli(args: string[], paths: SandboxPaths = sandboxPaths()) {
  return spawnSync(
    process.execPath,
    [join(paths.packageDir, 'bin', 'sandbox.mjs'), ...args],
    {
      cwd: paths.repoRoot,
      encoding: 'utf8',
    },
  );
}
