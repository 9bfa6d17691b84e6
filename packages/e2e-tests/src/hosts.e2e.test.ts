/*
 * The journeys in every host of packages/hosts (a real Backstage app that installed the
 * plugins from their tarballs), in Debian's chromium against the sandbox: each host is
 * installed, built and started through its host.mjs, one after the other on 127.0.0.1:7007.
 */
import { Browser } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, openAsGuest } from './harness/browser';
import {
  Host,
  listHosts,
  runHostCommand,
  RunningHost,
  startHost,
} from './harness/hosts';
import {
  anotherTeamsReleaseIsReadOnly,
  guestToken,
  JourneyContext,
  journeySteps,
  MINUTE,
  promoteAGatedRelease,
  watchAReleaseMove,
} from './harness/journeys';
import { repoRoot } from './harness/portal';
import { requireSandbox, sandboxCredentialsEnv } from './harness/sandbox';

const runDir = join(
  repoRoot,
  'e2e-artifacts',
  `hosts-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);

jest.setTimeout(12 * MINUTE);

const hosts = listHosts();

test('packages/hosts has at least one host with a host.json', () => {
  expect(hosts.map(host => host.name)).not.toHaveLength(0);
});

// A host known not to work is reported as skipped, with its error, rather than left out unseen.
for (const host of hosts.filter(h => h.knownBroken)) {
  // eslint-disable-next-line jest/no-disabled-tests, jest/expect-expect
  test.skip(`host ${host.name}: known broken: ${host.knownBroken}`, () =>
    undefined);
}

// The host that runs every journey (the repository's own app) runs them in journeys.e2e.test.ts.
describe.each(
  hosts
    .filter(host => !host.knownBroken && !host.allJourneys)
    .map(host => [host.name, host] as [string, Host]),
)('host %s', (name, host) => {
  const ctx = { artifactsDir: join(runDir, name) } as JourneyContext;
  let running: RunningHost | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const info = requireSandbox();
    mkdirSync(ctx.artifactsDir, { recursive: true });
    const logFile = join(ctx.artifactsDir, 'host-commands.log');
    // npm test installs and builds the hosts before; these answer at once then.
    const installSeconds = runHostCommand(host, 'install', logFile);
    const buildSeconds = runHostCommand(host, 'build', logFile);
    running = await startHost(host, {
      artifactsDir: ctx.artifactsDir,
      env: sandboxCredentialsEnv(info),
    });
    const times = {
      host: name,
      backstageRelease: host.backstageRelease,
      installSeconds,
      buildSeconds,
      startSeconds: running.startSeconds,
    };
    writeFileSync(
      join(ctx.artifactsDir, 'host-times.json'),
      JSON.stringify(times, null, 2),
    );
    process.stderr.write(`[host ${name}] ${JSON.stringify(times)}\n`);
    browser = await launchBrowser();
    ctx.page = await browser.newPage({
      viewport: { width: 1440, height: 1000 },
    });
    ctx.page.on('console', message => {
      if (message.type() === 'error') {
        process.stderr.write(`[browser ${name}] ${message.text()}\n`);
      }
    });
    ctx.portalUrl = running.url;
    ctx.token = await guestToken(running.url);
  }, 40 * MINUTE);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  test('watch a release move', () => watchAReleaseMove(ctx));

  test('promote a gated release', () => promoteAGatedRelease(ctx));

  test("another team's release is read-only", () =>
    anotherTeamsReleaseIsReadOnly(ctx));

  // Only a host that mounts the page has it to open: tdp-1.20 does not, as the TDP wrappers.
  if (host.waitingPage) {
    test('the "Waiting for you" page opens from the sidebar', async () => {
      await openAsGuest(ctx.page, `${ctx.portalUrl}/catalog`);
      await ctx.page
        .getByRole('link', { name: 'Waiting for you' })
        .first()
        .click();
      await ctx.page.waitForURL(/\/progressive-delivery$/);
      await ctx.page
        .getByRole('checkbox', { name: /Show everything I may read/ })
        .waitFor({ timeout: MINUTE });
      // The guest is in hello-gated's owning group: the page looked at its entities.
      const heading = ctx.page.getByRole('heading', {
        name: /^Waiting for your decision \(\d+\)$/,
      });
      await heading.waitFor({ timeout: MINUTE });
      await expect(heading.innerText()).resolves.toMatch(/\(\d+\)/);
    });
  }

  test('the tab does not scroll the page sideways at 1024, 1280, 1440 and 1920 px', async () => {
    const widths = [1024, 1280, 1440, 1920];
    const overflow: Record<string, number> = {};
    for (const width of widths) {
      await ctx.page.setViewportSize({ width, height: 1000 });
      await journeySteps(ctx).openTab('hello-gated');
      overflow[`${width}px`] = await ctx.page.evaluate(() => {
        const scroller = document.scrollingElement!;
        return scroller.scrollWidth - scroller.clientWidth;
      });
    }
    await ctx.page.setViewportSize({ width: 1440, height: 1000 });
    expect(overflow).toEqual(
      Object.fromEntries(widths.map(width => [`${width}px`, 0])),
    );
  });
});
