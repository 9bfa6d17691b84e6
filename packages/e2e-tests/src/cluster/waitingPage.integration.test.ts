/*
 * The "Waiting for you" route on the sandbox, with the real Flagger, catalog and permission
 * policy: a new revision of hello-gated (owned by team-delivery) waits at its confirm-rollout
 * gate, which this portal decides.
 * - its owner (the guest, a member of team-delivery) finds it under "waiting", with the action
 *   to decide it;
 * - another user (outsider, of team-platform), on a second backend over the same clusters,
 *   does not find it among the entities they own, and finds it with scope=readable, under "in
 *   progress" with the reason they cannot decide it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  release,
  SAMPLE_NAMESPACE,
  SandboxInfo,
} from '@progressive-delivery/sandbox';
import { PortalApi } from '../harness/api';
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
  signInAsOwner,
} from '../faults/support';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
const ENTITY_REF = 'component:default/hello-gated';
const OUTSIDER = 'user:default/outsider';

let info: SandboxInfo;
let artifactsDir: string;
let gateBackend: RunningBackend;
let outsiderBackend: RunningBackend;
let owner: PortalApi;
let outsider: PortalApi;

jest.setTimeout(12 * MINUTE);

const phase = async () =>
  (await readCanary('dev', NS, APP)).status?.phase as string;

const waiting = (api: PortalApi, scope?: string) =>
  api.json(`/waiting${scope ? `?scope=${scope}` : ''}`);

/** Every row of a `/waiting` answer, whatever its section. */
const rowsOf = (answer: any): any[] => [
  ...answer.waiting,
  ...answer.failed,
  ...answer.inProgress,
];

const isGatedRow = (row: any) =>
  row.entity.ref === ENTITY_REF &&
  row.canary.cluster === 'dev' &&
  row.canary.name === APP;

/** Leaves hello-gated settled whatever happened: finishes or aborts a release in flight. */
const settleGated = () =>
  settledThroughPortal('dev', NS, APP, action =>
    owner.act('dev', NS, APP, action, {
      entity: APP,
      comment: 'waiting page test: settling',
    }),
  );

beforeAll(async () => {
  info = requireSandbox();
  artifactsDir = artifactsFor('waiting-page');
  const outsiderCatalog = join(artifactsDir, 'outsider.yaml');
  writeFileSync(
    outsiderCatalog,
    [
      'apiVersion: backstage.io/v1alpha1',
      'kind: User',
      'metadata:',
      '  name: outsider',
      'spec:',
      '  memberOf: [team-platform]',
      '',
    ].join('\n'),
  );
  const config = faultConfig(info, repoRoot, {
    catalogFiles: [outsiderCatalog],
  });
  const env = sandboxCredentialsEnv(info);
  // The sandbox's gate webhooks call 7007: this backend decides hello-gated's gates.
  gateBackend = await startBackend({
    artifactsDir,
    port: 7007,
    env,
    extraConfig: config,
  });
  // A second backend over the same clusters that signs its guest in as the outsider; it only
  // reads, so its gates are never called.
  outsiderBackend = await startBackend({
    artifactsDir,
    port: 7047,
    env,
    name: 'outsider',
    dataDir: join(artifactsDir, 'db-outsider'),
    extraConfig: [
      config,
      'auth:',
      '  providers:',
      '    guest:',
      `      userEntityRef: ${OUTSIDER}`,
      '      dangerouslyAllowOutsideDevelopment: true',
    ].join('\n'),
  });
  owner = await signInAsOwner(gateBackend.url);
  outsider = await signInAsOwner(
    outsiderBackend.url,
    'group:default/team-platform',
  );
  await entityReady(owner, APP, 2);
  await entityReady(outsider, APP, 2);

  await settleGated();
  await release(APP, { cluster: 'dev' });
  await eventually(
    `dev/${APP} to wait for approval to start`,
    async () => (await phase()) === 'Waiting',
    { timeoutMs: 3 * MINUTE, intervalMs: 1000 },
  );
});

afterAll(async () => {
  try {
    if (owner) await settleGated();
  } finally {
    await outsiderBackend?.stop();
    await gateBackend?.stop();
  }
});

it('lists the waiting release for its owner, with the action that decides it', async () => {
  const answer = await eventually(
    "the waiting release on the owner's list",
    async () => {
      const value = await waiting(owner);
      return value.waiting.some(isGatedRow) ? value : undefined;
    },
    { timeoutMs: MINUTE, intervalMs: 1000 },
  );
  expect(answer.scope).toBe('owned');
  expect(answer.ownershipRefs).toEqual(
    expect.arrayContaining([
      'user:default/guest',
      'group:default/team-delivery',
    ]),
  );
  const row = answer.waiting.find(isGatedRow);
  expect(row).toMatchObject({
    section: 'waiting',
    entity: { ref: ENTITY_REF, kind: 'Component', name: APP, title: APP },
    canary: { cluster: 'dev', namespace: NS, name: APP },
    state: {
      kind: 'waiting-rollout-approval',
      headline: 'Waiting for approval to start the rollout',
      waitingFor: 'confirm-rollout',
    },
    fresh: true,
  });
  expect(row.actions).toContain('approve-rollout');
  expect(Date.parse(row.since)).toBeLessThanOrEqual(Date.now());
  // The platform team's entity selects the prod canary of the same app; not the guest's.
  expect(
    rowsOf(answer).some(
      (r: any) => r.entity.ref === 'component:default/payments-gated',
    ),
  ).toBe(false);
});

it('does not list it among the entities another user owns, and lists it as readable without the decision', async () => {
  // Readable first: it proves the outsider's backend sees the catalog and the clusters, so an
  // empty owned list means "not yours", not "not loaded yet".
  const readable = await eventually(
    "the waiting release on the outsider's readable list",
    async () => {
      const value = await waiting(outsider, 'readable');
      return rowsOf(value).some(isGatedRow) ? value : undefined;
    },
    { timeoutMs: MINUTE, intervalMs: 1000 },
  );
  expect(readable.waiting.some(isGatedRow)).toBe(false);
  const row = readable.inProgress.find(isGatedRow);
  expect(row.state.kind).toBe('waiting-rollout-approval');
  expect(row.actions).toEqual([]);
  expect(row.cannotAct).toBe(
    `You may not decide this gate: Approve rollout on ${ENTITY_REF} needs progressive-delivery.canary.approve-rollout.`,
  );

  const owned = await waiting(outsider);
  expect(owned.scope).toBe('owned');
  expect(owned.ownershipRefs).toEqual(
    expect.arrayContaining([OUTSIDER, 'group:default/team-platform']),
  );
  expect(rowsOf(owned).some((r: any) => r.entity.ref === ENTITY_REF)).toBe(
    false,
  );
  expect(
    rowsOf(owned).every(
      (r: any) => r.entity.ref === 'component:default/payments-gated',
    ),
  ).toBe(true);
});

it('answers 400 for an unknown scope', async () => {
  const response = await owner.fetch('/waiting?scope=mine');
  expect(response.status).toBe(400);
  expect((await response.json()).error.message).toBe(
    'Invalid query: scope must be one of owned, readable (got "mine"); leave it out for the releases of the entities you own.',
  );
});
