/*
 * The tab as a person meets it, in Debian's chromium on the real sandbox, backend and built app:
 * every width from a small laptop to a desktop, every entity page, axe-core on the tab, a
 * release's details, the dialogs and the overview card (light and dark theme), and promote and
 * roll back with the keyboard alone. Screenshots land in .sandbox/artifacts/tab-layout-<time>/.
 */
import { Browser, Locator, Page } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { release, SAMPLE_NAMESPACE } from '@progressive-delivery/sandbox';
import { PortalApi } from './harness/api';
import { launchBrowser, openAsGuest, screenshot } from './harness/browser';
import { visitEntityContents } from './harness/entityPage';
import { startRepositoryApp } from './harness/hosts';
import { repoRoot, RunningPortal } from './harness/portal';
import {
  eventually,
  readCanary,
  requireSandbox,
  sandboxCredentialsEnv,
  settledThroughPortal,
} from './harness/sandbox';

const MINUTE = 60_000;
const NS = SAMPLE_NAMESPACE;
const WIDTHS = [1024, 1280, 1440, 1920];
const SCREENSHOT_WIDTHS = [1280, 1440, 1920];
const artifactsDir = join(
  repoRoot,
  '.sandbox',
  'artifacts',
  `tab-layout-${new Date().toISOString().replace(/[:.]/g, '-')}`,
);
/** Every sample canary in every cluster: more than a handful, so the tab opens with its overview. */
const MANY_CANARIES_ENTITY = 'all-sample-releases';
const TAB = 'section[aria-labelledby="pd-releases-heading"]';
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let portal: RunningPortal;
let browser: Browser;
let page: Page;
let token: string;
const pageErrors: string[] = [];
const findings: Record<string, unknown> = {};

jest.setTimeout(15 * MINUTE);

function writeExtraCatalog(): string {
  const file = join(artifactsDir, 'many-canaries.catalog-info.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: backstage.io/v1alpha1',
      'kind: Component',
      'metadata:',
      `  name: ${MANY_CANARIES_ENTITY}`,
      '  description: Every sample canary in every sandbox cluster (the tab with many canaries).',
      '  annotations:',
      `    progressive-delivery/canaries: ${NS}/hello-contour,${NS}/hello-gated,${NS}/hello-bluegreen`,
      'spec:',
      '  type: service',
      '  lifecycle: experimental',
      '  owner: group:default/team-delivery',
      '',
    ].join('\n'),
  );
  return file;
}

beforeAll(async () => {
  const info = requireSandbox();
  mkdirSync(artifactsDir, { recursive: true });
  const extraCatalog = writeExtraCatalog();
  portal = await startRepositoryApp({
    artifactsDir,
    env: sandboxCredentialsEnv(info),
    catalogFiles: [extraCatalog],
  });
  token = await guestToken();
  browser = await launchBrowser();
  // The app's Content-Security-Policy forbids inline scripts, axe-core's injection among them.
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    bypassCSP: true,
  });
  page = await context.newPage();
  page.on('pageerror', error =>
    pageErrors.push(`${page.url()}: ${error.message}`),
  );
}, 10 * MINUTE);

afterAll(async () => {
  writeFileSync(
    join(artifactsDir, 'findings.json'),
    JSON.stringify(findings, null, 2),
  );
  process.stderr.write(`tab layout artifacts: ${artifactsDir}\n`);
  await browser?.close();
  await portal?.stop();
});

async function guestToken(): Promise<string> {
  const response = await fetch(
    `${portal.url}/api/auth/guest/refresh?env=development`,
    {
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    },
  );
  if (!response.ok) {
    throw new Error(
      `guest sign-in answered ${response.status}: ${await response.text()}`,
    );
  }
  return (await response.json()).backstageIdentity.token;
}

async function goto(path: string) {
  await openAsGuest(page, `${portal.url}${path}`);
}

/** Opens an entity's Progressive Delivery tab and waits for its releases. */
async function openTab(entity: string): Promise<Locator> {
  await goto(`/catalog/default/component/${entity}/progressive-delivery`);
  const tab = page.locator(TAB);
  await tab.waitFor({ timeout: 60_000 });
  await tab.getByRole('region').first().waitFor({ timeout: 60_000 });
  // Rows of a tab with many canaries fill in once near the view: the first one is then whole.
  await tab
    .getByRole('button', { name: /^Details of / })
    .first()
    .waitFor({ timeout: 60_000 });
  return tab;
}

const row = (name: string, cluster: string): Locator =>
  page.getByRole('region', { name: `${name} in ${cluster}` });

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; summary?: string }>;
}

/** Runs axe-core (injected from the npm package) on one element; returns the serious and critical findings. */
async function axe(name: string, scope: Locator): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ content: axeSource });
  }
  await scope
    .first()
    .evaluate(
      (element, label) => element.setAttribute('data-axe-scope', label),
      name,
    );
  const violations: AxeViolation[] = await page.evaluate(async label => {
    const result = await (window as any).axe.run(
      { include: [[`[data-axe-scope="${label}"]`]] },
      { resultTypes: ['violations'] },
    );
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n: any) => ({
        target: n.target,
        html: String(n.html).slice(0, 300),
        summary: n.failureSummary,
      })),
    }));
  }, name);
  await scope
    .first()
    .evaluate(element => element.removeAttribute('data-axe-scope'));
  findings[`axe: ${name}`] = violations;
  return violations.filter(
    v => v.impact === 'serious' || v.impact === 'critical',
  );
}

/** Where the tab's own content sticks out of its box, or scrolls sideways inside it. */
async function contentOverflow(tab: Locator): Promise<string[]> {
  return tab.evaluate(root => {
    const problems: string[] = [];
    const box = root.getBoundingClientRect();
    const describe = (element: Element) =>
      `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${
        element.getAttribute('aria-label')
          ? `[${element.getAttribute('aria-label')}]`
          : ''
      } "${(element.textContent ?? '').trim().slice(0, 40)}"`;
    if (root.scrollWidth > root.clientWidth + 1) {
      problems.push(
        `the tab is ${
          root.scrollWidth - root.clientWidth
        }px wider than its box`,
      );
    }
    // An element may extend inside a container that scrolls sideways (reported on its own below).
    const frame = (element: Element) => {
      for (
        let parent = element.parentElement;
        parent && parent !== root;
        parent = parent.parentElement
      ) {
        if (['auto', 'scroll'].includes(getComputedStyle(parent).overflowX))
          return parent.getBoundingClientRect();
      }
      return box;
    };
    for (const element of Array.from(root.querySelectorAll('*'))) {
      const rect = element.getBoundingClientRect();
      if (rect.width <= 1 || rect.height <= 1) continue; // visually hidden text
      const style = getComputedStyle(element);
      if (
        ['auto', 'scroll'].includes(style.overflowX) &&
        element.scrollWidth > element.clientWidth + 1
      ) {
        problems.push(
          `${describe(element)} scrolls sideways by ${
            element.scrollWidth - element.clientWidth
          }px`,
        );
      }
      const limit = frame(element).right;
      if (rect.right > limit + 1) {
        problems.push(
          `${describe(element)} ends ${Math.round(
            rect.right - limit,
          )}px right of ${
            limit === box.right ? 'the tab' : 'its scroll container'
          }`,
        );
      }
    }
    return problems.slice(0, 20);
  });
}

async function pageOverflow(): Promise<number> {
  return page.evaluate(() => {
    const scroller = document.scrollingElement!;
    return scroller.scrollWidth - scroller.clientWidth;
  });
}

async function openDetails(
  name: string,
  cluster: string,
  detailsTab?: string,
): Promise<Locator> {
  const target = row(name, cluster);
  const toggle = target.getByRole('button', {
    name: `Details of ${name} in ${cluster}`,
  });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') {
    await toggle.click();
  }
  await target.getByRole('tab', { name: 'Analysis' }).waitFor();
  if (detailsTab) {
    await target.getByRole('tab', { name: detailsTab }).click();
  }
  return target;
}

/** Scrolls vertically only: the app shell's sideways overflow must not shift the screenshot. */
async function scrollTo(target: Locator, above = 80) {
  await target.first().evaluate((element, offset) => {
    window.scrollTo(
      0,
      element.getBoundingClientRect().top + window.scrollY - offset,
    );
  }, above);
}

function setTheme(theme: 'light' | 'dark') {
  return page.evaluate(id => window.localStorage.setItem('theme', id), theme);
}

/** What the page shows as an error: Backstage's error panels and pages, or a missing API. */
async function visibleErrors(): Promise<string[]> {
  return page.evaluate(() => {
    const errors: string[] = [];
    // Backstage's error panels (and its alert display) are alerts; production builds shorten class names.
    document.querySelectorAll('[role="alert"]').forEach(panel => {
      const text = (panel.textContent ?? '').trim();
      if (/error/i.test(text)) errors.push(text.slice(0, 200));
    });
    const body = document.body.innerText;
    for (const pattern of [
      /NotImplementedError[^\n]*/,
      /No implementation available[^\n]*/,
      /PAGE NOT FOUND/,
    ]) {
      const match = pattern.exec(body);
      if (match) errors.push(match[0].slice(0, 200));
    }
    return Array.from(new Set(errors));
  });
}

/** Looks at one content of an entity's page (a tab, or the Overview) for errors. */
async function checkEntityContent(
  entity: any,
  tabName: string,
  problems: string[],
  visited: string[],
) {
  const errorsBefore = pageErrors.length;
  const started = Date.now();
  const where = `${entity.kind}:${entity.metadata.name} › ${tabName}`;
  // Let the tab load (its progress bar goes away), then look.
  await page.waitForTimeout(500);
  await page
    .getByTestId('progress')
    .first()
    .waitFor({ state: 'detached', timeout: 30_000 })
    .catch(() => {
      findings['entity contents still loading after 30 s'] = [
        ...((findings[
          'entity contents still loading after 30 s'
        ] as string[]) ?? []),
        where,
      ];
    });
  await page.waitForTimeout(1000);
  const errors = [
    ...(await visibleErrors()),
    ...pageErrors.slice(errorsBefore),
  ];
  visited.push(where);
  if (
    entity.metadata.name === 'example-malformed-annotation' &&
    ['Overview', 'Progressive Delivery'].includes(tabName)
  ) {
    // This entity exists to show what a malformed annotation gets: an explanation on the tab
    // and on the overview card, not a crash or a failed request.
    const explained = await page
      .getByText("The entity's progressive-delivery annotations need fixing")
      .waitFor({ timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    if (!explained) errors.push('the malformed annotation is not explained');
  }
  if (errors.length) problems.push(`${where}: ${errors.join(' | ')}`);
  const seconds = (findings['seconds per entity content'] ??= {}) as Record<
    string,
    number
  >;
  seconds[where] = Math.round((Date.now() - started) / 100) / 10;
}

test('every entity page of the sandbox entities renders without an error', async () => {
  // The catalog reads its files in the background after the start.
  const entities: any[] = await eventually(
    'the catalog to list the sandbox entities',
    async () => {
      const response = await fetch(
        `${portal.url}/api/catalog/entities/by-query?limit=200`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      const items: any[] = (await response.json()).items ?? [];
      return items.some(item => item.metadata.name === MANY_CANARIES_ENTITY) &&
        items.length > 5
        ? items
        : undefined;
    },
    { timeoutMs: 2 * MINUTE, intervalMs: 2000 },
  );
  const problems: string[] = [];
  const visited: string[] = [];
  for (const entity of entities) {
    const path = `/catalog/${
      entity.metadata.namespace ?? 'default'
    }/${entity.kind.toLowerCase()}/${entity.metadata.name}`;
    await goto(path);
    await page
      .getByRole('heading', { level: 1 })
      .first()
      .waitFor({ timeout: 30_000 });
    // The entity's tabs, read on its Overview (a release's details have tabs of their own).
    await page
      .getByRole('tab')
      .or(page.getByRole('navigation', { name: 'Content navigation' }))
      .filter({ visible: true })
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    // Each content: its tab, its link, or its item in a group's menu.
    const check = (tabName: string) =>
      checkEntityContent(entity, tabName, problems, visited);
    const contents = await visitEntityContents(page, check);
    if (!contents.length) await check('Overview');
  }
  findings['entity pages visited'] = visited;
  findings['entity page errors'] = problems;
  expect(problems).toEqual([]);
});

/** Presses Tab until `target` has the focus, as a keyboard user would; fails after `limit` presses. */
async function tabTo(target: Locator, limit = 150): Promise<number> {
  const handle = await target.elementHandle();
  for (let presses = 1; presses <= limit; presses++) {
    await page.keyboard.press('Tab');
    if (await handle!.evaluate(element => element === document.activeElement)) {
      return presses;
    }
  }
  throw new Error(
    `${await target.innerText()} not reached after ${limit} presses of Tab`,
  );
}

/** Whether the focus is inside the open dialog's modal (MUI's focus trap includes its container). */
const focusInDialog = () =>
  page.evaluate(() =>
    Boolean(
      document.activeElement
        ?.closest('[role="presentation"]')
        ?.querySelector('[role="dialog"]'),
    ),
  );
const dialogModal = () =>
  page.locator('[role="presentation"]', { has: page.getByRole('dialog') });

async function decideByKeyboard(
  target: Locator,
  action: string,
  comment: string,
  serious: Record<string, AxeViolation[]>,
) {
  const button = target.getByRole('button', { name: action, exact: true });
  await button.waitFor({ timeout: 60_000 });
  await page.evaluate(() =>
    (document.activeElement as HTMLElement | null)?.blur(),
  );
  const presses = await tabTo(button);
  findings[`Tab presses to reach ${action}`] = presses;

  // Escape closes the dialog and gives the focus back.
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await eventually(
    'the focus in the dialog',
    async () => (await focusInDialog()) || undefined,
    { timeoutMs: 5000, intervalMs: 100 },
  );
  // axe reads colours as drawn: wait until the dialog's fade-in has ended (every ancestor opaque).
  await eventually(
    'the dialog fully faded in',
    async () =>
      (await dialog.evaluate(element => {
        for (
          let node: Element | null = element;
          node;
          node = node.parentElement
        ) {
          if (getComputedStyle(node).opacity !== '1') return false;
        }
        return true;
      })) || undefined,
    { timeoutMs: 5000, intervalMs: 50 },
  );
  serious[`dialog: ${action}`] = await axe(`dialog-${action}`, dialogModal());
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await expect(
    button.evaluate(element => element === document.activeElement),
  ).resolves.toBe(true);

  // Enter opens it again; Tab stays inside; type the comment, Tab to the action, Enter.
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await eventually(
    'the focus in the dialog again',
    async () => (await focusInDialog()) || undefined,
    { timeoutMs: 5000, intervalMs: 100 },
  );
  for (let i = 1; i <= 6; i++) {
    await page.keyboard.press('Tab');
    // Where the focus went when it left the dialog says which element's focus handling is wrong.
    const focus = (await focusInDialog())
      ? 'in the dialog'
      : await page.evaluate(
          () => document.activeElement?.outerHTML.slice(0, 300) ?? 'nowhere',
        );
    expect({ tab: i, focus }).toEqual({ tab: i, focus: 'in the dialog' });
  }
  const field = dialog.getByLabel(/Comment/);
  const confirm = dialog.getByRole('button', { name: action, exact: true });
  await tabTo(field, 10);
  await page.keyboard.type(comment);
  await tabTo(confirm, 5);
  const answered = page.waitForResponse(
    response =>
      response.request().method() === 'POST' &&
      response.url().includes('/actions/'),
    { timeout: 30_000 },
  );
  await page.keyboard.press('Enter');
  // On failure, say what the dialog shows and where the focus is, not just that it timed out.
  const explain = async (what: string, error: unknown) => {
    const shown = await dialog.innerText().catch(() => '(gone)');
    const focused = await page.evaluate(() =>
      document.activeElement?.outerHTML.slice(0, 200),
    );
    return new Error(
      `${action}: ${what}; the dialog shows "${shown}", the focus is on ${focused}. ${error}`,
    );
  };
  const answer = await answered.catch(async error => {
    throw await explain('Enter on the dialog button sent no request', error);
  });
  expect({ action, status: answer.status() }).toEqual({ action, status: 200 });
  await dialog
    .waitFor({ state: 'detached', timeout: 30_000 })
    .catch(async error => {
      throw await explain(
        `the dialog stayed open after ${answer.status()}`,
        error,
      );
    });
}

test('promote and roll back with the keyboard alone', async () => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  const serious: Record<string, AxeViolation[]> = {};
  const gated = row('hello-gated', 'dev');

  // Roll back: approve the start, then roll back during the analysis. A release another
  // test left waiting for approval will do as well as a new one.
  if (
    (await readCanary('dev', NS, 'hello-gated')).status?.phase !== 'Waiting'
  ) {
    const api = PortalApi.withToken(portal.url, token);
    await settledThroughPortal('dev', NS, 'hello-gated', action =>
      api.act('dev', NS, 'hello-gated', action, {
        entity: 'hello-gated',
        comment: 'ending a release another test left in flight',
      }),
    );
    await release('hello-gated', { cluster: 'dev' });
  }
  await openTab('hello-gated');
  await eventually(
    'hello-gated to wait for approval',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase ===
        'Waiting' || undefined,
    { timeoutMs: 3 * MINUTE },
  );
  await decideByKeyboard(gated, 'Approve rollout', 'start - keyboard', serious);
  await eventually(
    'hello-gated to progress',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase ===
        'Progressing' || undefined,
    { timeoutMs: 3 * MINUTE },
  );
  await decideByKeyboard(gated, 'Roll back', 'roll back - keyboard', serious);
  await screenshot(page, artifactsDir, 'keyboard-rollback-recorded');
  await eventually(
    'hello-gated to fail',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase === 'Failed' ||
      undefined,
    { timeoutMs: 4 * MINUTE },
  );
  await gated
    .getByText(/You rolled this release back|Roll back: Flagger applied it/)
    .first()
    .waitFor({ timeout: 60_000 });
  await screenshot(page, artifactsDir, 'keyboard-rolled-back');

  // Promote: approve the start, then promote once it waits for promotion.
  await release('hello-gated', { cluster: 'dev' });
  await eventually(
    'hello-gated to wait for approval again',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase ===
        'Waiting' || undefined,
    { timeoutMs: 3 * MINUTE },
  );
  await decideByKeyboard(
    gated,
    'Approve rollout',
    'start again - keyboard',
    serious,
  );
  await eventually(
    'hello-gated to wait for promotion',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase ===
        'WaitingPromotion' || undefined,
    { timeoutMs: 6 * MINUTE },
  );
  await decideByKeyboard(gated, 'Promote', 'promote - keyboard', serious);
  await eventually(
    'hello-gated to succeed',
    async () =>
      (await readCanary('dev', NS, 'hello-gated')).status?.phase ===
        'Succeeded' || undefined,
    { timeoutMs: 5 * MINUTE },
  );
  await gated
    .getByText(/You promoted this release|Promote: Flagger applied it/)
    .first()
    .waitFor({ timeout: 60_000 });
  await screenshot(page, artifactsDir, 'keyboard-promoted');
  expect(
    Object.fromEntries(Object.entries(serious).filter(([, v]) => v.length > 0)),
  ).toEqual({});
});

test("the tab's own content fits at 1024, 1280, 1440 and 1920 px, also with a release's history open", async () => {
  const problems: Record<string, string[]> = {};
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 1000 });
    const tab = await openTab(MANY_CANARIES_ENTITY);
    await tab
      .getByRole('table', { name: /releases in \d+ clusters/ })
      .waitFor();
    const overview = await contentOverflow(tab);
    await openDetails('hello-gated', 'dev', 'History');
    await row('hello-gated', 'dev')
      .getByRole('table', { name: /Rollout history/ })
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    const history = await contentOverflow(tab);
    await row('hello-gated', 'dev')
      .getByRole('tab', { name: 'Analysis' })
      .click();
    const analysis = await contentOverflow(tab);
    problems[`${width}px`] = [...overview, ...history, ...analysis];
    if (SCREENSHOT_WIDTHS.includes(width)) {
      await row('hello-gated', 'dev')
        .getByRole('tab', { name: 'History' })
        .click();
      await scrollTo(
        page.locator(TAB).getByRole('table', { name: /releases in/ }),
      );
      await screenshot(page, artifactsDir, `many-canaries-overview-${width}`);
      await scrollTo(
        row('hello-gated', 'dev').getByRole('tab', { name: 'History' }),
        400,
      );
      await screenshot(page, artifactsDir, `history-${width}`);
    }
  }
  findings['tab content overflow'] = problems;
  expect(problems).toEqual(
    Object.fromEntries(WIDTHS.map(width => [`${width}px`, []])),
  );
});

test('a tab of many canaries shows each release whole once it is scrolled to', async () => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  const tab = await openTab(MANY_CANARIES_ENTITY);
  const rows = tab.getByRole('region', { name: / in (dev|prod)$/ });
  const names = await rows.evaluateAll(elements =>
    elements.map(element => element.getAttribute('aria-label') ?? ''),
  );
  const notWhole: string[] = [];
  for (const name of names) {
    const region = tab.getByRole('region', { name, exact: true });
    await region.scrollIntoViewIfNeeded();
    const details = region.getByRole('button', { name: `Details of ${name}` });
    if (
      !(await details
        .waitFor({ timeout: 10_000 })
        .then(() => true)
        .catch(() => false))
    ) {
      notWhole.push(name);
    }
  }
  expect(names).toHaveLength(6);
  expect(notWhole).toEqual([]);
});

test('the page itself does not scroll sideways at 1024, 1280, 1440 and 1920 px', async () => {
  const overflow: Record<string, number> = {};
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 1000 });
    await openTab('hello-gated');
    overflow[`${width}px`] = await pageOverflow();
  }
  findings['page overflow (scrollWidth - clientWidth)'] = overflow;
  expect(overflow).toEqual(
    Object.fromEntries(WIDTHS.map(width => [`${width}px`, 0])),
  );
});

test('axe-core finds no serious or critical violation on the tab, the details and the overview card, light and dark', async () => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  const serious: Record<string, AxeViolation[]> = {};
  for (const theme of ['light', 'dark'] as const) {
    await openTab('hello-gated');
    await setTheme(theme);
    const tab = await openTab(MANY_CANARIES_ENTITY);
    serious[`${theme}: tab with the overview`] = await axe(`${theme}-tab`, tab);
    const details = await openDetails('hello-gated', 'dev');
    await details.getByText('PromQL query').first().click();
    serious[`${theme}: details, analysis`] = await axe(
      `${theme}-analysis`,
      details,
    );
    for (const detailsTab of ['Events', 'History', 'YAML']) {
      await details.getByRole('tab', { name: detailsTab }).click();
      await page.waitForTimeout(500);
      serious[`${theme}: details, ${detailsTab}`] = await axe(
        `${theme}-${detailsTab}`,
        details,
      );
    }
    const more = row('hello-contour', 'prod').getByRole('button', {
      name: /Other actions/,
    });
    if (await more.count()) {
      await more.first().click();
      serious[`${theme}: menu of actions not possible now`] = await axe(
        `${theme}-menu`,
        page.getByRole('menu'),
      );
      await page.keyboard.press('Escape');
    }
    await details.getByRole('tab', { name: 'History' }).click();
    await scrollTo(details, 120);
    await screenshot(page, artifactsDir, `${theme}-details-1440`);

    await goto('/catalog/default/component/hello-gated');
    // Production builds number MUI's class names (MuiCard-root-12).
    const card = page
      .locator('[class*="MuiCard-root"]')
      .filter({ has: page.getByText('Progressive delivery', { exact: true }) });
    await card
      .getByText(/hello-gated/)
      .first()
      .waitFor({ timeout: 60_000 });
    serious[`${theme}: overview card`] = await axe(`${theme}-card`, card);
    await screenshot(page, artifactsDir, `${theme}-overview-1440`);
  }
  await setTheme('dark');
  await openTab(MANY_CANARIES_ENTITY);
  await scrollTo(page.locator(TAB), 100);
  await screenshot(page, artifactsDir, 'dark-tab-1440');
  await setTheme('light');
  expect(
    Object.fromEntries(Object.entries(serious).filter(([, v]) => v.length > 0)),
  ).toEqual({});
});
