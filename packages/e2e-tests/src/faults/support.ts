import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  sandboxStatus,
  ClusterName,
  ComponentName,
  SandboxInfo,
} from '@progressive-delivery/sandbox';
import { PortalApi } from '../harness/api';
import { faultConfig, FaultConfigOptions } from '../harness/config';
import { repoRoot, RunningBackend, startBackend } from '../harness/portal';
import { CuttableTcpProxy } from '../harness/proxies';
import { eventually, sandboxCredentialsEnv } from '../harness/sandbox';

export const SECOND = 1000;
export const MINUTE = 60_000;

/** A fresh directory for one fault test's config, logs and databases. */
export function artifactsFor(test: string): string {
  const dir = join(
    repoRoot,
    'e2e-artifacts',
    `faults-${test}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
  );
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Signs in as the guest once the catalog knows the guest's groups: a token issued earlier
 * carries no ownership, and owner-only actions would be refused.
 */
export async function signInAsOwner(
  baseUrl: string,
  group = 'group:default/team-delivery',
) {
  return eventually(
    `a guest token that carries ${group}`,
    async () => {
      const api = await PortalApi.signIn(baseUrl);
      const response = await fetch(`${baseUrl}/api/auth/v1/userinfo`, {
        headers: { authorization: `Bearer ${api.token}` },
      });
      const { claims } = await response.json();
      return (claims.ent ?? []).includes(group) ? api : undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 1000 },
  );
}

/** Waits until the catalog knows `entity` and the backend lists its canaries in every cluster. */
export async function entityReady(
  api: PortalApi,
  entity: string,
  clusters: number,
) {
  return eventually(
    `${entity} to be listed from ${clusters} cluster(s)`,
    async () => {
      const list = await api.canaries(entity);
      const ok = list.clusters.filter((c: any) => c.status === 'ok').length;
      return ok >= clusters && list.items.length > 0 ? list : undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 1000 },
  );
}

/** A TCP proxy in front of the sandbox's API server of `cluster`, to cut the backend off from it. */
export function proxyApiServer(
  info: SandboxInfo,
  cluster: ClusterName = 'dev',
): Promise<CuttableTcpProxy> {
  return CuttableTcpProxy.start({
    host: '127.0.0.1',
    port: Number(new URL(info.clusters[cluster].apiServerUrl).port),
  });
}

/**
 * The real backend on 127.0.0.1:7047 (the gate webhooks' port 7007 stays free) with the
 * sandbox's credentials and the fault test's `config`, signed in as the guest once `entity` is
 * listed from both clusters.
 */
export async function startFaultBackend(
  info: SandboxInfo,
  options: {
    artifactsDir: string;
    entity: string;
    config?: FaultConfigOptions;
    memoryProbe?: boolean;
  },
): Promise<{ backend: RunningBackend; api: PortalApi }> {
  const backend = await startBackend({
    artifactsDir: options.artifactsDir,
    port: 7047,
    env: sandboxCredentialsEnv(info),
    extraConfig: faultConfig(info, repoRoot, options.config),
    memoryProbe: options.memoryProbe,
  });
  const api = await PortalApi.signIn(backend.url);
  await entityReady(api, options.entity, 2);
  return { backend, api };
}

/** Polls `check` every `intervalMs` and returns its first value with the time it took. */
export async function within<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<{ value: T; ms: number }> {
  const startedAt = Date.now();
  const value = await eventually(what, check, { timeoutMs, intervalMs });
  return { value, ms: Date.now() - startedAt };
}

export async function componentHealthy(
  cluster: ClusterName,
  component: ComponentName,
) {
  const report = await sandboxStatus();
  return report.components.find(
    c => c.cluster === cluster && c.component === component,
  )?.healthy;
}

export const sleep = (ms: number) =>
  new Promise(resolve => setTimeout(resolve, ms));
