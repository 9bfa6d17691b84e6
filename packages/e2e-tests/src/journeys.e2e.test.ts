/*
 * The whole journey in a real browser (Debian's chromium) on the real control plane: the
 * sandbox's API servers with the real Flagger and Prometheus, the real backend serving the
 * built app. Every journey is checked in the page and against the API server.
 */
import { Browser, Locator, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  release,
  SAMPLE_NAMESPACE,
  startComponent,
  stopComponent,
  sandboxStatus,
} from '@progressive-delivery/sandbox';
import { launchBrowser, screenshot } from './harness/browser';
import { buildAppIfNeeded, repoRoot, RunningPortal, startPortal } from './harness/portal';
import {
  eventually,
  firstImage,
  readCanary,
  readDeployment,
  requireSandbox,
  sandboxCredentialsEnv,
  settled,
} from './harness/sandbox';

const MINUTE = 60_000;
const NS = SAMPLE_NAMESPACE;
const artifactsDir = join(
  repoRoot,
  'e2e-artifacts',
  new Date().toISOString().replace(/[:.]/g, '-'),
);

let portal: RunningPortal;
let browser: Browser;
let page: Page;
let token: string;

jest.setTimeout(12 * MINUTE);

beforeAll(async () => {
  const info = requireSandbox();
  mkdirSync(artifactsDir, { recursive: true });
  buildAppIfNeeded(line => process.stderr.write(`${line}\n`));
  portal = await startPortal({
    artifactsDir,
    env: sandboxCredentialsEnv(info),
  });
  token = await guestToken();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('console', message => {
    if (message.type() === 'error') process.stderr.write(`[browser] ${message.text()}\n`);
  });
}, 10 * MINUTE);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

async function guestToken(): Promise<string> {
  const response = await fetch(
    `${portal.url}/api/auth/guest/refresh?env=development`,
    { headers: { 'x-requested-with': 'XMLHttpRequest' } },
  );
  if (!response.ok) {
    throw new Error(`guest sign-in answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()).backstageIdentity.token;
}

async function api(path: string, init: RequestInit = {}) {
  return fetch(`${portal.url}/api/progressive-delivery${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });
}

async function summaryOf(entity: string, cluster: string, name: string) {
  const response = await api(
    `/canaries?entityRef=${encodeURIComponent(`component:default/${entity}`)}`,
  );
  const body = await response.json();
  return body.items.find(
    (item: any) => item.ref.cluster === cluster && item.ref.name === name,
  );
}

async function openTab(entity: string) {
  await page.goto(`${portal.url}/catalog/default/component/${entity}/progressive-delivery`);
  const enter = page.getByRole('button', { name: 'Enter' });
  if (await enter.isVisible({ timeout: 5000 }).catch(() => false)) {
    await enter.click();
  }
  await page.getByRole('tab', { name: 'Progressive Delivery' }).waitFor();
}

const section = (name: string, cluster: string): Locator =>
  page.getByRole('region', { name: `${name} in ${cluster}` });

async function act(
  row: Locator,
  action: string,
  comment?: string,
): Promise<void> {
  await row.getByRole('button', { name: action, exact: true }).click();
  const dialog = page.getByRole('dialog');
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

test('1. a good release on the Contour canary: weight grows step by step, then Succeeded, new image primary', async () => {
  await settled('dev', NS, 'hello-contour');
  await openTab('hello-contour');
  const released = await release('hello-contour', { cluster: 'dev' });
  const row = section('hello-contour', 'dev');
  const weights: number[] = [];
  await phaseAfterRelease('dev', 'hello-contour', 'Succeeded', 8 * MINUTE, async () => {
    const text = await row.innerText().catch(() => '');
    const weight = Number(/Canary (\d+)% · Primary/.exec(text)?.[1] ?? 0);
    if (weight > 0 && weight !== weights[weights.length - 1]) {
      weights.push(weight);
      await screenshot(page, artifactsDir, `1-contour-weight-${weight}`);
    }
  });
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
  await expect(row.getByText(summary.state.headline).first().waitFor()).resolves.toBeUndefined();
  await screenshot(page, artifactsDir, '1-contour-succeeded');
  expect(firstImage(await readDeployment('dev', NS, 'hello-contour-primary'))).toBe(released.image);
  expect(summary.primary.images.map((i: any) => i.image)).toContain(released.image);
});

test('2. the gated release waits for promotion; Promote with a comment; Flagger promotes; history shows who', async () => {
  await settled('dev', NS, 'hello-gated');
  await openTab('hello-gated');
  const released = await release('hello-gated', { cluster: 'dev' });
  const row = section('hello-gated', 'dev');

  await phaseAfterRelease('dev', 'hello-gated', 'Waiting', 3 * MINUTE);
  await screenshot(page, artifactsDir, '2-gated-waiting-for-rollout-approval');
  await act(row, 'Approve rollout', 'Start it - e2e');

  await phaseAfterRelease('dev', 'hello-gated', 'WaitingPromotion', 6 * MINUTE);
  await row.getByText(/promotion approval/i).first().waitFor({ timeout: 30_000 });
  await screenshot(page, artifactsDir, '2-gated-waiting-for-promotion');
  await act(row, 'Promote', 'Ship it - e2e journey 2');
  await screenshot(page, artifactsDir, '2-gated-promote-recorded');

  await phaseAfterRelease('dev', 'hello-gated', 'Succeeded', 5 * MINUTE);
  expect(firstImage(await readDeployment('dev', NS, 'hello-gated-primary'))).toBe(released.image);

  await row.getByRole('button', { name: /Details of hello-gated in dev/ }).click().catch(() => undefined);
  await row.getByRole('tab', { name: /History/ }).click();
  const history = row.getByRole('table', { name: /Rollout history/ });
  await history.getByText('Ship it - e2e journey 2').first().waitFor({ timeout: 60_000 });
  await expect(history.innerText()).resolves.toMatch(/guest/i);
  await screenshot(page, artifactsDir, '2-gated-history');
});

test('3. Rollback during the analysis: Flagger rolls back, the old image keeps serving, history shows who', async () => {
  await settled('dev', NS, 'hello-gated');
  const servingBefore = firstImage(await readDeployment('dev', NS, 'hello-gated-primary'));
  await openTab('hello-gated');
  await release('hello-gated', { cluster: 'dev' });
  const row = section('hello-gated', 'dev');

  await phaseAfterRelease('dev', 'hello-gated', 'Waiting', 3 * MINUTE);
  await act(row, 'Approve rollout');
  await phaseAfterRelease('dev', 'hello-gated', 'Progressing', 3 * MINUTE);
  await act(row, 'Roll back', 'Abort - e2e journey 3');
  await screenshot(page, artifactsDir, '3-gated-rollback-recorded');

  await phaseAfterRelease('dev', 'hello-gated', 'Failed', 4 * MINUTE);
  expect(firstImage(await readDeployment('dev', NS, 'hello-gated-primary'))).toBe(servingBefore);

  await row.getByRole('button', { name: /Details of hello-gated in dev/ }).click().catch(() => undefined);
  await row.getByRole('tab', { name: /History/ }).click();
  const history = row.getByRole('table', { name: /Rollout history/ });
  await history.getByText('Abort - e2e journey 3').first().waitFor({ timeout: 60_000 });
  await expect(history.innerText()).resolves.toMatch(/guest/i);
  await screenshot(page, artifactsDir, '3-gated-rolled-back');
});

test('4. a bad release: Flagger rolls back by itself and the tab shows the failed metric against its threshold', async () => {
  await settled('dev', NS, 'hello-contour');
  const servingBefore = firstImage(await readDeployment('dev', NS, 'hello-contour-primary'));
  await openTab('hello-contour');
  await release('hello-contour', { cluster: 'dev', errorRate: 0.3 });
  await phaseAfterRelease('dev', 'hello-contour', 'Failed', 8 * MINUTE);

  const summary = await eventually(
    'the summary to explain the rollback',
    async () => {
      const item = await summaryOf('hello-contour', 'dev', 'hello-contour');
      return item?.phase === 'Failed' ? item : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // Flagger's own words for the failed check: "success rate 69.17% < 99%".
  expect(summary.state.headline).toMatch(/\d+(\.\d+)?%\s*<\s*99/);
  const row = section('hello-contour', 'dev');
  await row.getByText(summary.state.headline).first().waitFor({ timeout: 30_000 });
  await screenshot(page, artifactsDir, '4-contour-bad-release-rolled-back');
  expect(firstImage(await readDeployment('dev', NS, 'hello-contour-primary'))).toBe(servingBefore);
});

test('5. blue-green with the kubernetes provider: iterations progress, then promotion', async () => {
  await settled('dev', NS, 'hello-bluegreen');
  await openTab('hello-bluegreen');
  const released = await release('hello-bluegreen', { cluster: 'dev' });
  const row = section('hello-bluegreen', 'dev');
  const progress: string[] = [];
  await phaseAfterRelease('dev', 'hello-bluegreen', 'Succeeded', 8 * MINUTE, async () => {
    const bar = row.getByRole('progressbar', { name: 'Analysis progress' });
    const text = (await bar.getAttribute('aria-valuetext', { timeout: 500 }).catch(() => null)) ?? '';
    if (text && text !== progress[progress.length - 1]) {
      progress.push(text);
      await screenshot(page, artifactsDir, `5-bluegreen-${progress.length}`);
    }
  });
  expect(new Set(progress).size).toBeGreaterThanOrEqual(2);
  expect(firstImage(await readDeployment('dev', NS, 'hello-bluegreen-primary'))).toBe(released.image);
});

test('6. a user without the promote permission: buttons disabled with the reason, the API answers 403', async () => {
  await openTab('payments-gated');
  const row = section('hello-gated', 'prod');
  await row.waitFor({ timeout: 60_000 });
  const tab = page;
  for (const action of ['Promote', 'Roll back']) {
    const button = row.getByRole('button', { name: action, exact: true });
    await expect(button.getAttribute('aria-disabled')).resolves.toBe('true');
    // The reason appears once the permission check answered ("Checking your permissions…" before).
    const reason = await eventually(
      `the reason ${action} is disabled`,
      async () => {
        const describedBy = await button.getAttribute('aria-describedby');
        const text = describedBy ? await tab.locator(`[id="${describedBy}"]`).innerText() : '';
        return /You do not have permission/.test(text) ? text : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(reason).toMatch(/progressive-delivery\.canary\./);
  }
  await screenshot(page, artifactsDir, '6-no-permission');

  const before = await readCanary('prod', NS, 'hello-gated');
  const response = await api(`/canaries/prod/${NS}/hello-gated/actions/promote`, {
    method: 'POST',
    body: JSON.stringify({ entityRef: 'component:default/payments-gated', comment: 'not mine' }),
  });
  expect(response.status).toBe(403);
  const details = await (
    await api(`/canaries/prod/${NS}/hello-gated?entityRef=${encodeURIComponent('component:default/payments-gated')}`)
  ).json();
  expect(details.summary.pendingDecision).toBeUndefined();
  const after = await readCanary('prod', NS, 'hello-gated');
  expect(after.spec).toEqual(before.spec);
});

test('7. one cluster stopped: its canaries show the error, the other cluster keeps updating', async () => {
  await settled('dev', NS, 'hello-contour');
  await openTab('hello-contour');
  await stopComponent('prod', 'kube-apiserver');
  try {
    await page
      .getByText(/prod/)
      .filter({ hasText: /unreachable|error|refused|stale|not respond/i })
      .first()
      .waitFor({ timeout: 60_000 });
    await release('hello-contour', { cluster: 'dev' });
    const row = section('hello-contour', 'dev');
    await eventually(
      'the dev canary to show progress while prod is down',
      async () => /Canary [1-9]\d*% · Primary/.test(await row.innerText()),
      { timeoutMs: 4 * MINUTE },
    );
    await screenshot(page, artifactsDir, '7-prod-down-dev-live');
    const clusters = (
      await (await api(`/canaries?entityRef=${encodeURIComponent('component:default/hello-contour')}`)).json()
    ).clusters;
    expect(clusters.find((c: any) => c.name === 'prod').status).toBe('error');
    expect(clusters.find((c: any) => c.name === 'dev').status).toBe('ok');
  } finally {
    await startComponent('prod', 'kube-apiserver');
    await eventually(
      'the prod API server to be healthy again',
      async () =>
        (await sandboxStatus()).components.find(
          (c: any) => c.cluster === 'prod' && c.component === 'kube-apiserver',
        )?.healthy,
      { timeoutMs: 2 * MINUTE },
    );
  }
  await settled('dev', NS, 'hello-contour');
});
