/*
 * The whole journey in a real browser (Debian's chromium) on the real control plane: the
 * sandbox's API servers with the real Flagger and Prometheus, the repository's own backend
 * serving its built app, both installed from the plugins' tarballs (packages/hosts/current).
 * Every journey is checked in the page and against the API server.
 */
import { Browser, Page } from 'playwright-core';
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
import {
  anotherTeamsReleaseIsReadOnly,
  guestToken,
  JourneyContext,
  journeySteps,
  MINUTE,
  promoteAGatedRelease,
  watchAReleaseMove,
} from './harness/journeys';
import { startRepositoryApp } from './harness/hosts';
import { repoRoot, RunningPortal } from './harness/portal';
import {
  eventually,
  firstImage,
  readDeployment,
  requireSandbox,
  sandboxCredentialsEnv,
  settled,
} from './harness/sandbox';

const NS = SAMPLE_NAMESPACE;
const artifactsDir = join(
  repoRoot,
  'e2e-artifacts',
  new Date().toISOString().replace(/[:.]/g, '-'),
);

let portal: RunningPortal;
let browser: Browser;
let page: Page;
const ctx = { artifactsDir } as JourneyContext;
const {
  api,
  summaryOf,
  openTab,
  section,
  act,
  phaseAfterRelease,
  settledGated,
} = journeySteps(ctx);

jest.setTimeout(12 * MINUTE);

beforeAll(async () => {
  const info = requireSandbox();
  mkdirSync(artifactsDir, { recursive: true });
  // The repository's own app and backend, installed from the tarballs (packages/hosts/current).
  portal = await startRepositoryApp({
    artifactsDir,
    env: sandboxCredentialsEnv(info),
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  Object.assign(ctx, {
    portalUrl: portal.url,
    page,
    token: await guestToken(portal.url),
  });
  page.on('console', message => {
    if (message.type() === 'error')
      process.stderr.write(`[browser] ${message.text()}\n`);
  });
}, 10 * MINUTE);

afterAll(async () => {
  await browser?.close();
  await portal?.stop();
});

test('1. a good release on the Contour canary: weight grows step by step, then Succeeded, new image primary', async () => {
  await watchAReleaseMove(ctx);
});

test('2. the gated release waits for promotion; Promote with a comment; Flagger promotes; history shows who', async () => {
  await promoteAGatedRelease(ctx);
});

test('3. Rollback during the analysis: Flagger rolls back, the old image keeps serving, history shows who', async () => {
  await settledGated('dev', 'hello-gated');
  const servingBefore = firstImage(
    await readDeployment('dev', NS, 'hello-gated-primary'),
  );
  await openTab('hello-gated');
  await release('hello-gated', { cluster: 'dev' });
  const row = section('hello-gated', 'dev');

  await phaseAfterRelease('dev', 'hello-gated', 'Waiting', 3 * MINUTE);
  await act(row, 'Approve rollout');
  await phaseAfterRelease('dev', 'hello-gated', 'Progressing', 3 * MINUTE);
  await act(row, 'Roll back', 'Abort - e2e journey 3');
  await screenshot(page, artifactsDir, '3-gated-rollback-recorded');

  await phaseAfterRelease('dev', 'hello-gated', 'Failed', 4 * MINUTE);
  expect(
    firstImage(await readDeployment('dev', NS, 'hello-gated-primary')),
  ).toBe(servingBefore);

  await row
    .getByRole('button', { name: /Details of hello-gated in dev/ })
    .click()
    .catch(() => undefined);
  await row.getByRole('tab', { name: /History/ }).click();
  const history = row.getByRole('table', { name: /Rollout history/ });
  await history
    .getByText('Abort - e2e journey 3')
    .first()
    .waitFor({ timeout: 60_000 });
  await expect(history.innerText()).resolves.toMatch(/guest/i);
  await screenshot(page, artifactsDir, '3-gated-rolled-back');
});

test('4. a bad release: Flagger rolls back by itself and the tab shows the failed metric against its threshold', async () => {
  await settled('dev', NS, 'hello-contour');
  const servingBefore = firstImage(
    await readDeployment('dev', NS, 'hello-contour-primary'),
  );
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
  await row
    .getByText(summary.state.headline)
    .first()
    .waitFor({ timeout: 30_000 });
  await screenshot(page, artifactsDir, '4-contour-bad-release-rolled-back');
  expect(
    firstImage(await readDeployment('dev', NS, 'hello-contour-primary')),
  ).toBe(servingBefore);
});

test('5. blue-green with the kubernetes provider: iterations progress, then promotion', async () => {
  await settled('dev', NS, 'hello-bluegreen');
  await openTab('hello-bluegreen');
  const released = await release('hello-bluegreen', { cluster: 'dev' });
  const row = section('hello-bluegreen', 'dev');
  const progress: string[] = [];
  await phaseAfterRelease(
    'dev',
    'hello-bluegreen',
    'Succeeded',
    8 * MINUTE,
    async () => {
      const bar = row.getByRole('progressbar', { name: 'Analysis progress' });
      const text =
        (await bar
          .getAttribute('aria-valuetext', { timeout: 500 })
          .catch(() => null)) ?? '';
      if (text && text !== progress[progress.length - 1]) {
        progress.push(text);
        await screenshot(page, artifactsDir, `5-bluegreen-${progress.length}`);
      }
    },
  );
  expect(new Set(progress).size).toBeGreaterThanOrEqual(2);
  expect(
    firstImage(await readDeployment('dev', NS, 'hello-bluegreen-primary')),
  ).toBe(released.image);
});

test('6. a user without the promote permission: buttons disabled with the reason, the API answers 403', async () => {
  await anotherTeamsReleaseIsReadOnly(ctx);
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
      await (
        await api(
          `/canaries?entityRef=${encodeURIComponent(
            'component:default/hello-contour',
          )}`,
        )
      ).json()
    ).clusters;
    expect(clusters.find((c: any) => c.name === 'prod').status).toBe('error');
    expect(clusters.find((c: any) => c.name === 'dev').status).toBe('ok');
  } finally {
    await startComponent('prod', 'kube-apiserver');
    await eventually(
      'the prod API server to be healthy again',
      async () =>
        (
          await sandboxStatus()
        ).components.find(
          (c: any) => c.cluster === 'prod' && c.component === 'kube-apiserver',
        )?.healthy,
      { timeoutMs: 2 * MINUTE },
    );
  }
  await settled('dev', NS, 'hello-contour');
});
