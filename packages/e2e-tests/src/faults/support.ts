import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  sandboxStatus,
  ClusterName,
  ComponentName,
} from '@progressive-delivery/sandbox';
import { PortalApi } from '../harness/api';
import { repoRoot } from '../harness/portal';
import { eventually } from '../harness/sandbox';

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
