import { readFileSync } from 'node:fs';
import {
  adminClient,
  ClusterName,
  readSandboxInfo,
  SandboxInfo,
} from '@progressive-delivery/sandbox';

/** The sandbox the journeys run on; fails with what to do when it is not up. */
export function requireSandbox(): SandboxInfo {
  const info = readSandboxInfo();
  if (!info) {
    throw new Error(
      'The sandbox is not up: run `npm run sandbox -- up` (npm test does this for you).',
    );
  }
  return info;
}

/** The variables app-config.yaml reads the sandbox clusters' credentials from. */
export function sandboxCredentialsEnv(
  info: SandboxInfo,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const cluster of Object.values(info.clusters)) {
    const key = `PD_SANDBOX_${cluster.name.toUpperCase()}`;
    env[`${key}_TOKEN`] = readFileSync(cluster.tokenFile, 'utf8').trim();
    env[`${key}_CA_DATA`] = readFileSync(cluster.caBase64File, 'utf8').trim();
  }
  return env;
}

export async function readCanary(
  cluster: ClusterName,
  namespace: string,
  name: string,
) {
  return adminClient(cluster).get(
    `/apis/flagger.app/v1beta1/namespaces/${namespace}/canaries/${name}`,
  );
}

export async function readDeployment(
  cluster: ClusterName,
  namespace: string,
  name: string,
) {
  return adminClient(cluster).get(
    `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
  );
}

export const firstImage = (deployment: any): string =>
  deployment.spec.template.spec.containers[0].image;

/** Polls until `check` returns a value, or throws with the last observation. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await new Promise(r => setTimeout(r, options.intervalMs ?? 1000));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

const SETTLED_PHASES = ['Initialized', 'Succeeded', 'Failed'];

/** Waits until Flagger has no rollout in progress, so a journey starts from a settled canary. */
export async function settled(
  cluster: ClusterName,
  namespace: string,
  name: string,
) {
  return eventually(
    `${cluster}/${namespace}/${name} to settle`,
    async () => {
      const phase = (await readCanary(cluster, namespace, name)).status?.phase;
      return SETTLED_PHASES.includes(phase) ? phase : undefined;
    },
    { timeoutMs: 6 * 60_000, intervalMs: 2000 },
  );
}

/** A gate decision posted through the portal whose backend answers the canary's gate webhooks. */
export type DecideThroughPortal = (
  action: 'approve-rollout' | 'rollback',
) => Promise<unknown>;

/**
 * Settles a gated canary, ending a release another test left in flight: a release waiting to
 * start is approved, one in its analysis or waiting for promotion is rolled back. Flagger only
 * hears a decision when it next calls the gates, so the portal must stay up until this returns.
 */
export async function settledThroughPortal(
  cluster: ClusterName,
  namespace: string,
  name: string,
  decide: DecideThroughPortal,
) {
  return eventually(
    `${cluster}/${namespace}/${name} to settle through the portal`,
    async () => {
      const phase = (await readCanary(cluster, namespace, name)).status?.phase;
      if (SETTLED_PHASES.includes(phase)) return phase;
      if (phase === 'Waiting') await decide('approve-rollout');
      if (phase === 'Progressing' || phase === 'WaitingPromotion') {
        await decide('rollback');
      }
      return undefined;
    },
    { timeoutMs: 6 * 60_000, intervalMs: 5000 },
  );
}
