/*
 * The person in the loop, in Debian's chromium on the repository's new-frontend-system app,
 * with the real notifications and signals plugins, against the sandbox's real Flagger:
 * a gated release of hello-gated (owned by the guest's group) waits for approval to start;
 * the owner sees it first on the "Waiting for you" page, finds the portal's notification
 * about it, and follows the notification's link to the release's row on the entity's tab.
 */
import { Browser, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { PortalApi } from './harness/api';
import { launchBrowser, openAsGuest, screenshot } from './harness/browser';
import { signInAsOwner } from './faults/support';
import { guestToken, JourneyContext, MINUTE } from './harness/journeys';
import { startRepositoryApp } from './harness/hosts';
import { repoRoot, RunningPortal } from './harness/portal';
import {
  eventually,
  readCanary,
  requireSandbox,
  sandboxCredentialsEnv,
  settledThroughPortal,
} from './harness/sandbox';

const NS = SAMPLE_NAMESPACE;
const APP = 'hello-gated';
const WAITING_TITLE = `Release of ${APP} waits for approval to start its rollout`;
const artifactsDir = join(
  repoRoot,
  'e2e-artifacts',
  `person-in-the-loop-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);

let portal: RunningPortal;
let browser: Browser;
let page: Page;
const ctx = { artifactsDir } as JourneyContext;
let api: PortalApi;

jest.setTimeout(15 * MINUTE);

const visit = (url: string) => openAsGuest(page, url);

const phase = async () => (await readCanary('dev', NS, APP)).status?.phase;

/** This portal answers hello-gated's gates: a release left in flight is ended through it. */
const settledGated = () =>
  settledThroughPortal('dev', NS, APP, action =>
    api.act('dev', NS, APP, action, { entity: APP }),
  );

beforeAll(async () => {
  const info = requireSandbox();
  mkdirSync(artifactsDir, { recursive: true });
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
  api = await signInAsOwner(portal.url);
  page.on('console', message => {
    if (message.type() === 'error')
      process.stderr.write(`[browser] ${message.text()}\n`);
  });
}, 10 * MINUTE);

afterAll(async () => {
  // Leave hello-gated at rest for the tests after this one, while this portal still answers.
  try {
    if (api) await settledGated();
  } finally {
    await browser?.close();
    await portal?.stop();
  }
}, 5 * MINUTE);

test('a release waiting for its owner is on the Waiting page, and its notification leads to its row', async () => {
  await settledGated();
  await release(APP, { cluster: 'dev' });
  await eventually(
    `${APP} to wait for approval to start`,
    async () => ((await phase()) === 'Waiting' ? true : undefined),
    { timeoutMs: 3 * MINUTE, intervalMs: 1000 },
  );

  // The Waiting page.
  await visit(`${portal.url}/progressive-delivery`);
  const waitingRow = page
    .getByRole('row')
    .filter({ hasText: APP })
    .filter({ hasText: 'dev' })
    .first();
  await eventually(
    'hello-gated on the Waiting page',
    async () => {
      if (await waitingRow.isVisible()) return true;
      // What the page showed instead, kept if it never lists the release.
      await screenshot(page, artifactsDir, 'waiting-page-last-seen');
      await visit(page.url());
      return undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 5000 },
  );
  await screenshot(page, artifactsDir, 'waiting-page');
  await page.screenshot({
    path: join(repoRoot, 'plugins/progressive-delivery/docs/waiting-page.png'),
  });

  // The notification, in the notifications plugin's page.
  await visit(`${portal.url}/notifications`);
  const notification = page.getByText(WAITING_TITLE).first();
  await eventually(
    'the notification of the waiting release',
    async () => {
      if (await notification.isVisible()) return true;
      await visit(page.url());
      return undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 5000 },
  );
  await screenshot(page, artifactsDir, 'notification');
  await page.screenshot({
    path: join(repoRoot, 'plugins/progressive-delivery/docs/notification.png'),
  });

  await notification.click();
  await page.waitForURL(
    new RegExp(
      `/catalog/default/component/${APP}/progressive-delivery#pd-row-dev-${NS}-${APP}$`,
    ),
  );
  expect(new URL(page.url()).hash).toBe(`#pd-row-dev-${NS}-${APP}`);
  await page
    .getByRole('region', { name: `${APP} in dev` })
    .getByText('Waiting for approval to start the rollout')
    .first()
    .waitFor({ timeout: MINUTE });
  await screenshot(page, artifactsDir, 'notification-link-target');
});
