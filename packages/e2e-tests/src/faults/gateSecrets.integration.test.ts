/*
 * The gate decisions with a secret per cluster (`progressiveDelivery.clusters.<name>.webhooks.secret`),
 * the real Flagger calling the real backend on 127.0.0.1:7007: the sample Canaries of each
 * cluster carry their own cluster's secret in their webhooks' metadata, Flagger still rolls back
 * and promotes hello-gated in dev through the portal, and a call signed with the other cluster's
 * secret (or with none) is refused and changes nothing.
 */
import {
  release,
  SAMPLE_NAMESPACE,
  setWebhookSecret,
} from '@progressive-delivery/sandbox';
import { itemOf, PortalApi } from '../harness/api';
import { faultConfig } from '../harness/config';
import { repoRoot, RunningBackend, startBackend } from '../harness/portal';
import {
  eventually,
  readCanary,
  requireSandbox,
  sandboxCredentialsEnv,
  settledThroughPortal,
} from '../harness/sandbox';
import {
  artifactsFor,
  entityReady,
  MINUTE,
  SECOND,
  signInAsOwner,
  sleep,
} from './support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
/** hello-gated's analysis interval: Flagger calls its gates this often. */
const TICK_MS = 10 * SECOND;
const SECRETS = {
  dev: `dev-${Math.random().toString(36).slice(2)}`,
  prod: `prod-${Math.random().toString(36).slice(2)}`,
};

let backend: RunningBackend;
let api: PortalApi;

jest.setTimeout(10 * MINUTE);

const phase = async () =>
  (await readCanary('dev', NS, APP)).status?.phase as string;

async function phaseReached(wanted: string, timeoutMs: number) {
  return eventually(
    `dev/${APP} to reach ${wanted}`,
    async () => (await phase()) === wanted,
    { timeoutMs, intervalMs: 500 },
  );
}

const act = (action: string, comment: string) =>
  api.act('dev', NS, APP, action, { entity: APP, comment });

async function actOrThrow(action: string, comment: string) {
  const response = await act(action, comment);
  if (response.status !== 200) {
    throw new Error(
      `${action} answered ${response.status}: ${await response.text()}`,
    );
  }
}

/** A webhook call as Flagger makes it, about hello-gated, to `cluster`'s URL at the portal. */
function webhook(
  cluster: 'dev' | 'prod',
  path: string,
  body: Record<string, unknown>,
) {
  return fetch(
    `${backend.url}/api/progressive-delivery/webhooks/${cluster}/${path}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: APP, namespace: NS, ...body }),
    },
  );
}

/** Leaves the sample app settled whatever happened: finishes or aborts a release in flight. */
const settleGated = () =>
  settledThroughPortal('dev', NS, APP, action =>
    act(action, 'secret tests: settling'),
  );

beforeAll(async () => {
  const info = requireSandbox();
  const artifactsDir = artifactsFor('gate-secrets');
  // Each cluster's gated Canaries carry that cluster's secret, as its operator would set them.
  await setWebhookSecret('dev', SECRETS.dev);
  await setWebhookSecret('prod', SECRETS.prod);
  backend = await startBackend({
    artifactsDir,
    port: 7007,
    env: sandboxCredentialsEnv(info),
    extraConfig: faultConfig(info, repoRoot, { webhookSecrets: SECRETS }),
  });
  api = await signInAsOwner(backend.url);
  await entityReady(api, APP, 2);
  await settleGated();
}, 10 * MINUTE);

afterAll(async () => {
  try {
    await settleGated();
  } finally {
    await backend?.stop();
    await setWebhookSecret('dev', undefined);
    await setWebhookSecret('prod', undefined);
  }
}, 8 * MINUTE);

test("Flagger rolls a release back through the portal, its calls carrying dev's secret", async () => {
  const canary = await readCanary('dev', NS, APP);
  expect(
    canary.spec.analysis.webhooks.map((w: any) => w.metadata?.secret),
  ).toEqual(Array(5).fill(SECRETS.dev));
  // Readers of the portal never see it.
  const details = await api.fetch(
    `/canaries/dev/${NS}/${APP}?entityRef=${encodeURIComponent(
      `component:default/${APP}`,
    )}`,
  );
  const detailsText = await details.text();
  expect(details.status).toBe(200);
  expect(detailsText).not.toContain(SECRETS.dev);
  expect(
    JSON.parse(detailsText).manifest.spec.analysis.webhooks[0].metadata,
  ).toEqual({ secret: '<redacted>' });

  await release(APP, { cluster: 'dev' });
  await phaseReached('Waiting', 2 * MINUTE);
  await actOrThrow('approve-rollout', 'secret tests: start');
  await phaseReached('Progressing', 2 * MINUTE);
  await actOrThrow('rollback', 'secret tests: roll back');
  await phaseReached('Failed', 2 * MINUTE);
});

test("a call signed with the other cluster's secret, or none, is refused; Flagger promotes through the portal", async () => {
  await release(APP, { cluster: 'dev' });
  await phaseReached('Waiting', 2 * MINUTE);
  // The start, forged: prod's secret does not open dev's gate.
  const forgedStart = await webhook('dev', 'gates/confirm-rollout', {
    phase: 'Waiting',
    metadata: { secret: SECRETS.prod },
  });
  expect(forgedStart.status).toBe(403);
  expect(await forgedStart.text()).toMatch(/secret .* for cluster dev/);
  await sleep(2 * TICK_MS);
  expect(await phase()).toBe('Waiting');

  await actOrThrow('approve-rollout', 'secret tests: start again');
  await phaseReached('WaitingPromotion', 3 * MINUTE);

  const forged = [
    // dev's gates with prod's secret, and with none
    await webhook('dev', 'gates/confirm-promotion', {
      phase: 'WaitingPromotion',
      metadata: { secret: SECRETS.prod },
    }),
    await webhook('dev', 'gates/rollback', {
      phase: 'Progressing',
      metadata: { secret: SECRETS.prod },
    }),
    await webhook('dev', 'gates/confirm-promotion', {
      phase: 'WaitingPromotion',
    }),
    await webhook('dev', 'event', {
      phase: 'Succeeded',
      eventMessage: 'Promotion completed! forged',
      metadata: {
        secret: SECRETS.prod,
        eventMessage: 'x',
        eventType: 'Normal',
      },
    }),
    // prod's gate with dev's secret
    await webhook('prod', 'gates/confirm-promotion', {
      phase: 'WaitingPromotion',
      metadata: { secret: SECRETS.dev },
    }),
  ];
  expect(forged.map(response => response.status)).toEqual([
    403, 403, 403, 403, 403,
  ]);
  // Nothing changed: Flagger, asking with dev's secret, still waits for a person.
  await sleep(2 * TICK_MS);
  expect(await phase()).toBe('WaitingPromotion');
  const summary = itemOf(await api.canaries(APP), 'dev', APP);
  expect(summary.state.kind).toBe('waiting-promotion-approval');
  const history = JSON.stringify((await api.history(APP)).items ?? []);
  expect(history).not.toContain('forged');

  await actOrThrow('promote', 'secret tests: promote');
  await phaseReached('Succeeded', 2 * MINUTE);
});
