/*
 * How each process of a cluster is started and how its health is checked.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  binaryPath,
  ClusterName,
  clusterPaths,
  ClusterPaths,
  clusterPorts,
  ClusterPorts,
  ComponentName,
  SandboxPaths,
} from './config';
import { request } from './http';
import { isRunning, readPidFile, startProcess, stopProcess } from './processes';

export interface ComponentContext {
  cluster: ClusterName;
  paths: SandboxPaths;
  files: ClusterPaths;
  ports: ClusterPorts;
}

export function componentContext(
  cluster: ClusterName,
  paths: SandboxPaths,
): ComponentContext {
  return {
    cluster,
    paths,
    files: clusterPaths(paths.stateDir, cluster),
    ports: clusterPorts(cluster),
  };
}

export const pidFile = (ctx: ComponentContext, component: ComponentName) =>
  join(ctx.files.pidDir, `${component}.pid`);
export const logFile = (ctx: ComponentContext, component: ComponentName) =>
  join(ctx.files.logDir, `${component}.log`);

/** The cluster network's HTTP proxy, as Flagger and the loadtester are told to use it. */
export const networkProxyUrl = (ports: ClusterPorts) =>
  `http://127.0.0.1:${ports.network}`;

/** Processes that reach services by their cluster names go through the cluster network. */
function clusterNetworkEnv(ports: ClusterPorts): NodeJS.ProcessEnv {
  const proxy = networkProxyUrl(ports);
  const direct = '127.0.0.1,localhost,::1';
  return {
    HTTP_PROXY: proxy,
    http_proxy: proxy,
    NO_PROXY: direct,
    no_proxy: direct,
  };
}

/**
 * hey (what Flagger's docs run as load tests) takes its proxy only from `-x`, never from the
 * environment; the loadtester's PATH gets this wrapper so that `hey http://<svc>.<ns>/`
 * reaches the service as it would from a pod.
 */
export function heyWrapper(heyBinary: string, ports: ClusterPorts): string {
  return [
    '#!/bin/sh',
    '# Written by the sandbox: hey through the cluster network (service names as a pod sees them).',
    // hey's help says host:port, but it parses -x as a URL.
    `exec ${heyBinary} -x ${networkProxyUrl(ports)} "$@"`,
    '',
  ].join('\n');
}

export function prometheusConfig(
  cluster: ClusterName,
  ports: ClusterPorts,
): string {
  return [
    'global:',
    '  scrape_interval: 2s',
    '  evaluation_interval: 2s',
    `  external_labels: { sandbox_cluster: ${cluster} }`,
    'scrape_configs:',
    '  - job_name: traffic',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${ports.exporter}']`,
    '  - job_name: flagger',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${ports.flagger}']`,
    '',
  ].join('\n');
}

/** Command lines, by component. Pure, so the flags can be checked in tests. */
export function commandFor(
  component: ComponentName,
  ctx: ComponentContext,
  nodeTransform: string,
): { command: string; args: string[] } {
  const { cluster, ports } = ctx;
  const c = ctx.files;
  const pki = (f: string) => join(c.pkiDir, f);
  switch (component) {
    case 'etcd':
      return {
        command: binaryPath(ctx.paths.binDir, 'etcd'),
        args: [
          `--name=sandbox-${cluster}`,
          `--data-dir=${c.etcdData}`,
          `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
          `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
          `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
          `--initial-cluster=sandbox-${cluster}=http://127.0.0.1:${ports.etcdPeer}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync',
          '--quota-backend-bytes=4294967296',
          '--log-level=warn',
        ],
      };
    case 'kube-apiserver':
      return {
        command: binaryPath(ctx.paths.binDir, 'kube-apiserver'),
        args: [
          `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${ports.apiServer}`,
          `--tls-cert-file=${pki('apiserver.crt')}`,
          `--tls-private-key-file=${pki('apiserver.key')}`,
          `--client-ca-file=${pki('ca.crt')}`,
          `--service-account-key-file=${pki('sa.pub')}`,
          `--service-account-signing-key-file=${pki('sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--service-account-max-token-expiration=8760h',
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--endpoint-reconciler-type=none',
          '--enable-priority-and-fairness=false',
          '--profiling=false',
          '--allow-privileged=true',
          '--event-ttl=2h',
          '--v=1',
        ],
      };
    case 'kube-controller-manager':
      return {
        command: binaryPath(ctx.paths.binDir, 'kube-controller-manager'),
        args: [
          `--kubeconfig=${c.controllerManagerKubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${ports.controllerManager}`,
          `--cert-dir=${c.controllerManagerCertDir}`,
          '--leader-elect=false',
          // Each controller with its own ServiceAccount and RBAC role, as kubeadm sets it up.
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki('sa.key')}`,
          `--root-ca-file=${pki('ca.crt')}`,
          `--cluster-signing-cert-file=${pki('ca.crt')}`,
          `--cluster-signing-key-file=${pki('ca.key')}`,
          `--cluster-name=sandbox-${cluster}`,
          // Every default controller; none of them needs a cloud or a CIDR allocator here.
          '--controllers=*',
          '--profiling=false',
          '--v=1',
        ],
      };
    case 'loadtester':
      return {
        command: binaryPath(ctx.paths.binDir, 'flagger-loadtester'),
        args: [
          // host:port works with the sandbox's build (upstream listens on every interface)
          `-port=127.0.0.1:${ports.loadtester}`,
          '-log-level=info',
          '-zap-encoding=console',
          '-timeout=1h',
        ],
      };
    case 'flagger':
      return {
        command: binaryPath(ctx.paths.binDir, 'flagger'),
        args: [
          `-kubeconfig=${c.kubeconfig}`,
          '-mesh-provider=kubernetes',
          `-metrics-server=http://127.0.0.1:${ports.prometheus}`,
          // host:port works with the sandbox's Flagger build (upstream listens on every interface)
          `-port=127.0.0.1:${ports.flagger}`,
          '-log-level=info',
          '-control-loop-interval=5s',
          `-cluster-name=${cluster}`,
          '-enable-leader-election=false',
          '-include-label-prefix=app.kubernetes.io,carto.run,apps.tanzu.vmware.com',
        ],
      };
    case 'prometheus':
      return {
        command: '/usr/bin/prometheus',
        args: [
          `--config.file=${c.prometheusConfig}`,
          `--storage.tsdb.path=${c.prometheusData}`,
          `--web.listen-address=127.0.0.1:${ports.prometheus}`,
          '--storage.tsdb.retention.time=12h',
          '--log.level=warn',
        ],
      };
    case 'simulator':
      return {
        command: process.execPath,
        args: [
          '--require',
          nodeTransform,
          join(ctx.paths.packageDir, 'src', 'simulator', 'main.ts'),
          cluster,
        ],
      };
    default:
      throw new Error(`unknown component ${component}`);
  }
}

export interface Health {
  healthy: boolean;
  detail: string;
}

function adminTls(ctx: ComponentContext) {
  const pki = (f: string) => readFileSync(join(ctx.files.pkiDir, f), 'utf8');
  return { ca: pki('ca.crt'), cert: pki('admin.crt'), key: pki('admin.key') };
}

export function healthUrl(
  component: ComponentName,
  ctx: ComponentContext,
): string {
  const p = ctx.ports;
  switch (component) {
    case 'etcd':
      return `http://127.0.0.1:${p.etcdClient}/health`;
    case 'kube-apiserver':
      return `https://127.0.0.1:${p.apiServer}/readyz`;
    case 'kube-controller-manager':
      return `https://127.0.0.1:${p.controllerManager}/healthz`;
    case 'loadtester':
      return `http://127.0.0.1:${p.loadtester}/healthz`;
    case 'flagger':
      return `http://127.0.0.1:${p.flagger}/healthz`;
    case 'prometheus':
      return `http://127.0.0.1:${p.prometheus}/-/ready`;
    case 'simulator':
      return `http://127.0.0.1:${p.exporter}/healthz`;
    default:
      throw new Error(`unknown component ${component}`);
  }
}

/** Process alive (by PID file) and its health endpoint answering 200. */
export async function componentHealth(
  component: ComponentName,
  ctx: ComponentContext,
): Promise<Health> {
  const record = readPidFile(pidFile(ctx, component));
  if (!record) return { healthy: false, detail: 'not started (no PID file)' };
  if (!isRunning(record)) {
    return {
      healthy: false,
      detail: `process ${record.pid} is not running (see ${logFile(
        ctx,
        component,
      )})`,
    };
  }
  const url = healthUrl(component, ctx);
  try {
    let tls = {};
    if (component === 'kube-apiserver') tls = adminTls(ctx);
    // It serves /healthz with a certificate it made itself (--cert-dir), to anonymous callers.
    if (component === 'kube-controller-manager') tls = { insecure: true };
    const res = await request(url, { timeoutMs: 3000, ...tls });
    const body = res.body.trim().split('\n').slice(-3).join(' ').slice(0, 200);
    if (res.status === 200)
      return { healthy: true, detail: `pid ${record.pid}, ${url} ok` };
    return {
      healthy: false,
      detail: `pid ${record.pid}, ${url} answered ${res.status}: ${body}`,
    };
  } catch (e: any) {
    return {
      healthy: false,
      detail: `pid ${record.pid}, ${url}: ${e.message}`,
    };
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export async function waitHealthy(
  component: ComponentName,
  ctx: ComponentContext,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Health = { healthy: false, detail: 'not checked' };
  while (Date.now() < deadline) {
    last = await componentHealth(component, ctx);
    if (last.healthy) return;
    if (!isRunning(readPidFile(pidFile(ctx, component)))) break;
    await sleep(500);
  }
  const log = logFile(ctx, component);
  const tail = existsSync(log)
    ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')
    : '';
  throw new Error(
    `${ctx.cluster} ${component} did not become healthy: ${last.detail}\n${tail}`,
  );
}

export async function startComponentProcess(
  component: ComponentName,
  ctx: ComponentContext,
  nodeTransform: string,
): Promise<'started' | 'already-running'> {
  if (isRunning(readPidFile(pidFile(ctx, component)))) return 'already-running';
  const { command, args } = commandFor(component, ctx, nodeTransform);
  if (component === 'prometheus') {
    mkdirSync(ctx.files.prometheusData, { recursive: true });
    writeFileSync(
      ctx.files.prometheusConfig,
      prometheusConfig(ctx.cluster, ctx.ports),
    );
  }
  if (component === 'etcd')
    mkdirSync(ctx.files.etcdData, { recursive: true, mode: 0o700 });
  if (component === 'kube-controller-manager')
    mkdirSync(ctx.files.controllerManagerCertDir, {
      recursive: true,
      mode: 0o700,
    });
  let env: NodeJS.ProcessEnv = {
    ...process.env,
    GOMAXPROCS: process.env.GOMAXPROCS ?? '2',
  };
  if (component === 'loadtester') {
    const dir = ctx.files.loadtesterBinDir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'hey'),
      heyWrapper(binaryPath(ctx.paths.binDir, 'hey'), ctx.ports),
    );
    chmodSync(join(dir, 'hey'), 0o755);
    env = {
      ...env,
      ...clusterNetworkEnv(ctx.ports),
      PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    };
  }
  // Flagger's webhook client (go-retryablehttp on go-cleanhttp) honours HTTP_PROXY; loopback
  // addresses (the API server, Prometheus, the portal's gates) bypass it.
  if (component === 'flagger')
    env = { ...env, ...clusterNetworkEnv(ctx.ports) };
  startProcess({
    command,
    args,
    pidFile: pidFile(ctx, component),
    logFile: logFile(ctx, component),
    cwd: ctx.files.dir,
    env,
  });
  return 'started';
}

export function stopComponentProcess(
  component: ComponentName,
  ctx: ComponentContext,
) {
  return stopProcess(
    pidFile(ctx, component),
    component === 'etcd' ? 15_000 : 10_000,
  );
}
