/*
 * The steps the journeys are made of, and the journeys that run in every host
 * (journeys.e2e.test.ts in the repository's portal, hosts.e2e.test.ts in packages/hosts/*).
 */
import { Locator, Page } from 'playwright-core';
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { PortalApi } from './api';
import { openAsGuest, screenshot } from './browser';
import { waitForProgressiveDeliveryTab } from './entityPage';
import {
  eventually,
  firstImage,
  readCanary,
  readDeployment,
  settled,
  settledThroughPortal,
} from './sandbox';

export const MINUTE = 60_000;
const NS = SAMPLE_NAMESPACE;

/** What the steps act on; filled in once the portal and the browser are up. */
export interface JourneyContext {
  portalUrl: string;
  page: Page;
  /** The guest user's Backstage token, for the API checks. */
  token: string;
  artifactsDir: string;
}

export async function guestToken(portalUrl: string): Promise<string> {
  const response = await fetch(
    `${portalUrl}/api/auth/guest/refresh?env=development`,
    { headers: { 'x-requested-with': 'XMLHttpRequest' } },
  );
  if (!response.ok) {
    throw new Error(
      `guest sign-in answered ${response.status}: ${await response.text()}`,
    );
  }
  return (await response.json()).backstageIdentity.token;
}

/** The steps, reading the context only when they run. */
export function journeySteps(ctx: JourneyContext) {
  async function api(path: string, init: RequestInit = {}) {
    return fetch(`${ctx.portalUrl}/api/progressive-delivery${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ctx.token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  }

  async function summaryOf(entity: string, cluster: string, name: string) {
    const response = await api(
      `/canaries?entityRef=${encodeURIComponent(
        `component:default/${entity}`,
      )}`,
    );
    const body = await response.json();
    return body.items.find(
      (item: any) => item.ref.cluster === cluster && item.ref.name === name,
    );
  }

  async function openTab(entity: string) {
    const { page } = ctx;
    const url = `${ctx.portalUrl}/catalog/default/component/${entity}/progressive-delivery`;
    await openAsGuest(page, url);
    await waitForProgressiveDeliveryTab(page);
  }

  const section = (name: string, cluster: string): Locator =>
    ctx.page.getByRole('region', { name: `${name} in ${cluster}` });

  async function act(
    row: Locator,
    action: string,
    comment?: string,
  ): Promise<void> {
    await row.getByRole('button', { name: action, exact: true }).click();
    const dialog = ctx.page.getByRole('dialog');
    await dialog.waitFor();
    if (comment) await dialog.getByLabel(/Comment/).fill(comment);
    await dialog.getByRole('button', { name: action, exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  }

  /** Waits until the canary's phase is `phase` after having been something else first. */
  async function phaseAfterRelease(
    cluster: 'dev' | 'prod',
    name: string,
    phase: string,
    timeoutMs: number,
    onTick?: () => Promise<void>,
  ) {
    let left = false;
    return eventually(
      `${cluster}/${name} to reach ${phase}`,
      async () => {
        await onTick?.();
        const canary = await readCanary(cluster, NS, name);
        const current = canary.status?.phase;
        if (current !== phase) left = true;
        return left && current === phase ? canary : undefined;
      },
      { timeoutMs, intervalMs: 1000 },
    );
  }

  /** Settles a gated sample canary through this portal, which answers its gates. */
  const settledGated = (cluster: 'dev' | 'prod', name: string) =>
    settledThroughPortal(cluster, NS, name, action =>
      PortalApi.withToken(ctx.portalUrl, ctx.token).act(
        cluster,
        NS,
        name,
        action,
        {
          entity: name,
          comment: 'ending a release another test left in flight',
        },
      ),
    );

  const shot = (name: string) => screenshot(ctx.page, ctx.artifactsDir, name);

  return {
    api,
    summaryOf,
    openTab,
    section,
    act,
    phaseAfterRelease,
    settledGated,
    shot,
  };
}

/** Journey 1: a good release on the Contour canary moves step by step to Succeeded. */
export async function watchAReleaseMove(ctx: JourneyContext) {
  const { openTab, section, phaseAfterRelease, summaryOf, shot } =
    journeySteps(ctx);
  await settled('dev', NS, 'hello-contour');
  await openTab('hello-contour');
  const released = await release('hello-contour', { cluster: 'dev' });
  const row = section('hello-contour', 'dev');
  const weights: number[] = [];
  await phaseAfterRelease(
    'dev',
    'hello-contour',
    'Succeeded',
    8 * MINUTE,
    async () => {
      const text = await row.innerText().catch(() => '');
      const weight = Number(/Canary (\d+)% · Primary/.exec(text)?.[1] ?? 0);
      if (weight > 0 && weight !== weights[weights.length - 1]) {
        weights.push(weight);
        await shot(`1-contour-weight-${weight}`);
      }
    },
  );
  expect(weights.length).toBeGreaterThanOrEqual(2);
  expect([...weights].sort((a, b) => a - b)).toEqual(weights);

  const summary = await eventually(
    'the summary to show Succeeded',
    async () => {
      const item = await summaryOf('hello-contour', 'dev', 'hello-contour');
      return item?.phase === 'Succeeded' ? item : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await expect(
    row.getByText(summary.state.headline).first().waitFor(),
  ).resolves.toBeUndefined();
  await shot('1-contour-succeeded');
  expect(
    firstImage(await readDeployment('dev', NS, 'hello-contour-primary')),
  ).toBe(released.image);
  expect(summary.primary.images.map((i: any) => i.image)).toContain(
    released.image,
  );
}

/** Journey 2: the gated release waits; approve, promote with a comment; history shows who. */
export async function promoteAGatedRelease(ctx: JourneyContext) {
  const { openTab, section, phaseAfterRelease, act, settledGated, shot } =
    journeySteps(ctx);
  await settledGated('dev', 'hello-gated');
  await openTab('hello-gated');
  const released = await release('hello-gated', { cluster: 'dev' });
  const row = section('hello-gated', 'dev');

  await phaseAfterRelease('dev', 'hello-gated', 'Waiting', 3 * MINUTE);
  await shot('2-gated-waiting-for-rollout-approval');
  await act(row, 'Approve rollout', 'Start it - e2e');

  await phaseAfterRelease('dev', 'hello-gated', 'WaitingPromotion', 6 * MINUTE);
  await row
    .getByText(/promotion approval/i)
    .first()
    .waitFor({ timeout: 30_000 });
  await shot('2-gated-waiting-for-promotion');
  await act(row, 'Promote', 'Ship it - e2e journey 2');
  await shot('2-gated-promote-recorded');

  await phaseAfterRelease('dev', 'hello-gated', 'Succeeded', 5 * MINUTE);
  expect(
    firstImage(await readDeployment('dev', NS, 'hello-gated-primary')),
  ).toBe(released.image);

  await row
    .getByRole('button', { name: /Details of hello-gated in dev/ })
    .click()
    .catch(() => undefined);
  await row.getByRole('tab', { name: /History/ }).click();
  const history = row.getByRole('table', { name: /Rollout history/ });
  await history
    .getByText('Ship it - e2e journey 2')
    .first()
    .waitFor({ timeout: 60_000 });
  await expect(history.innerText()).resolves.toMatch(/guest/i);
  await shot('2-gated-history');
}

/**
 * Journey 6: another team's release: steering is off, said once for the row (the canary does not
 * name this entity, and the guest may not steer it); no button steers it; the API answers 403.
 */
export async function anotherTeamsReleaseIsReadOnly(ctx: JourneyContext) {
  const { openTab, section, api, shot } = journeySteps(ctx);
  await openTab('payments-gated');
  const row = section('hello-gated', 'prod');
  await row.waitFor({ timeout: 60_000 });
  const steering = await eventually(
    'the row says why steering is off',
    async () => {
      const text = await row.innerText();
      return /Steering through component:default\/payments-gated is off/.test(
        text,
      )
        ? text
        : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(steering).toMatch(/backstage\.io\/kubernetes-id: payments-gated/);
  // The permission reason appears once the permission check answered ("Checking your permissions…" before).
  const permission = await eventually(
    'the row says the guest may not steer',
    async () => {
      const text = await row.innerText();
      return /You do not have permission/.test(text) ? text : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(permission).toMatch(/progressive-delivery\.canary\./);
  for (const action of ['Promote', 'Roll back']) {
    const buttons = row.getByRole('button', { name: action, exact: true });
    for (const button of await buttons.all()) {
      await expect(button.getAttribute('aria-disabled')).resolves.toBe('true');
    }
  }
  await shot('6-no-permission');

  const before = await readCanary('prod', NS, 'hello-gated');
  const response = await api(
    `/canaries/prod/${NS}/hello-gated/actions/promote`,
    {
      method: 'POST',
      body: JSON.stringify({
        entityRef: 'component:default/payments-gated',
        comment: 'not mine',
      }),
    },
  );
  expect(response.status).toBe(403);
  const details = await (
    await api(
      `/canaries/prod/${NS}/hello-gated?entityRef=${encodeURIComponent(
        'component:default/payments-gated',
      )}`,
    )
  ).json();
  expect(details.summary.pendingDecision).toBeUndefined();
  const after = await readCanary('prod', NS, 'hello-gated');
  expect(after.spec).toEqual(before.spec);
}
