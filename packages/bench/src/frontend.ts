/*
 * Frontend figures: the plugin's bundle size, and the time to show an entity's tab with many
 * canaries, the same entity's Overview and the "Waiting for you" page in Debian's chromium.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type CDPSession } from 'playwright-core';
import { percentile } from './stats';

export interface BundleSize {
  files: number;
  rawBytes: number;
  gzipBytes: number;
  buildSeconds: number;
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: env ?? process.env,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}\n${
        result.stderr
      }`,
    );
  }
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return /\.(m|c)?js$/.test(entry.name) ? [path] : [];
  });
}

/** Bytes of the given JS files, raw and gzipped one by one (as a server would send them). */
export function gzipSum(files: string[]): {
  rawBytes: number;
  gzipBytes: number;
} {
  let rawBytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const content = readFileSync(file);
    rawBytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { rawBytes, gzipBytes };
}

/**
 * Builds a copy of the frontend plugin with `backstage-cli package build` (the package's own
 * code; its dependencies stay external, as the app bundler sees them) and sums its JS. The copy
 * lives under `workDir` inside the repository, so the root node_modules resolve; the
 * declarations the build needs are emitted by tsc first and removed afterwards.
 */
export function measurePluginBundle(
  repoRoot: string,
  workDir: string,
): BundleSize {
  const started = performance.now();
  const copy = join(workDir, 'progressive-delivery');
  rmSync(copy, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  cpSync(join(repoRoot, 'plugins', 'progressive-delivery'), copy, {
    recursive: true,
    filter: source => !/[/\\](node_modules|dist)$/.test(source),
  });
  writeFileSync(
    join(copy, 'tsconfig.bench.json'),
    JSON.stringify({
      extends: relative(copy, join(repoRoot, 'tsconfig.json')),
      include: ['src'],
      exclude: ['**/*.test.ts', '**/*.test.tsx'],
      compilerOptions: {
        rootDir: relative(copy, repoRoot),
        outDir: relative(copy, join(repoRoot, 'dist-types')),
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: true,
        incremental: false,
        skipLibCheck: true,
      },
    }),
  );
  try {
    run(
      join(repoRoot, 'node_modules/.bin/tsc'),
      ['-p', 'tsconfig.bench.json'],
      copy,
    );
    run(
      join(repoRoot, 'node_modules/.bin/backstage-cli'),
      ['package', 'build'],
      copy,
    );
    const files = jsFiles(join(copy, 'dist'));
    return {
      files: files.length,
      ...gzipSum(files),
      buildSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    // Everything tsc wrote lives under dist-types/<the copy's path>; remove it up to the first
    // directory of that path, which only the benchmark uses.
    const [topLevel] = relative(repoRoot, copy).split(sep);
    rmSync(join(repoRoot, 'dist-types', topLevel), {
      recursive: true,
      force: true,
    });
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

/**
 * Builds the app bundle the backend serves when its sources (or the plugin's) changed since
 * the last build, as the end-to-end harness does.
 */
export function buildAppIfNeeded(
  repoRoot: string,
  log: (line: string) => void,
) {
  const appDir = join(repoRoot, 'packages', 'app');
  const builtIndex = join(appDir, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(join(appDir, 'src')),
    newestMtime(join(repoRoot, 'plugins', 'progressive-delivery', 'src')),
    newestMtime(
      join(repoRoot, 'plugins', 'progressive-delivery-common', 'src'),
    ),
  );
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs > sources) return;
  log('building the app bundle (a few minutes on 2 cores)');
  run(
    join(repoRoot, 'node_modules/.bin/backstage-cli'),
    ['package', 'build'],
    appDir,
    {
      ...process.env,
      NODE_OPTIONS: '--max-old-space-size=4096',
    },
  );
}

export const CHROMIUM_PATH =
  process.env.PD_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What marks a page as shown: checked in the page, so it must be plain data. */
export type PageReady =
  /**
   * Every canary section of the tab (`<section aria-label="<canary> in <cluster>">`) is on the
   * page, and each one in view shows its whole row (its Details button), not only its header.
   */
  | { kind: 'canary-sections'; prefix: string; expected: number }
  /** The entity's About card and a canary of our overview card. */
  | { kind: 'overview'; prefix: string }
  /** The "Waiting for you" page's sections, each with its count. */
  | { kind: 'waiting-sections'; sections: number };

export interface PageProbe {
  name: string;
  /** Below the portal's URL, e.g. `/catalog/default/component/x/progressive-delivery`. */
  path: string;
  ready: PageReady;
}

export interface PageTiming {
  name: string;
  path: string;
  /** Median, from navigation start (a full page load of the app) until the page is shown. */
  medianMs: number;
  samplesMs: number[];
  /** Where the renderer's time went until shown (medians): script, style and layout. */
  work?: { scriptMs: number; styleMs: number; layoutMs: number };
}

type RendererWork = NonNullable<PageTiming['work']>;

/** The renderer's cumulative script, style and layout time (Chromium's Performance domain). */
async function rendererWork(cdp: CDPSession): Promise<RendererWork> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  const seconds = (name: string) =>
    metrics.find(metric => metric.name === name)?.value ?? 0;
  return {
    scriptMs: seconds('ScriptDuration') * 1000,
    styleMs: seconds('RecalcStyleDuration') * 1000,
    layoutMs: seconds('LayoutDuration') * 1000,
  };
}

/** Runs in the page: the page's navigation-relative time once `ready` holds, else false. */
function pageShown(ready: PageReady): number | false {
  const shown = (element: Element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  let done = false;
  if (ready.kind === 'canary-sections') {
    const sections = Array.from(
      document.querySelectorAll('section[aria-label]'),
    ).filter(section => {
      const label = section.getAttribute('aria-label') ?? '';
      return label.startsWith(ready.prefix) && / in \S+$/.test(label);
    });
    const inView = (element: Element) => {
      const box = element.getBoundingClientRect();
      return box.bottom > 0 && box.top < window.innerHeight;
    };
    done =
      sections.filter(shown).length >= ready.expected &&
      sections
        .filter(inView)
        .every(section => section.querySelector('[aria-controls$="-details"]'));
  } else if (ready.kind === 'overview') {
    // The About card's title is no heading element in every frontend system: its own text.
    const about = Array.from(document.querySelectorAll('body *')).some(
      element =>
        element.childElementCount === 0 &&
        element.textContent?.trim() === 'About' &&
        shown(element),
    );
    done =
      about &&
      Array.from(document.querySelectorAll('h3')).some(
        h => (h.textContent ?? '').startsWith(ready.prefix) && shown(h),
      );
  } else {
    const counted = Array.from(
      document.querySelectorAll('section[aria-labelledby] > h3'),
    ).filter(h => /\(\d+\)$/.test(h.textContent ?? '') && shown(h));
    done = counted.length >= ready.sections;
  }
  // performance.now() in the page counts from its navigation start.
  return done ? performance.now() : false;
}

/**
 * Opens each page in one chromium (signed in as guest) three times, the pages taking turns, and
 * measures the time from navigation start of a full page load until the page is shown.
 */
export async function measurePages(options: {
  portalUrl: string;
  pages: PageProbe[];
  timeoutMs?: number;
  /** Where a page that was not shown is photographed. */
  screenshotDir?: string;
}): Promise<PageTiming[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
    });
    const page = await context.newPage();
    await page.goto(options.portalUrl);
    const enter = page.getByRole('button', { name: 'Enter' });
    // isVisible does not wait, whatever timeout it is given: wait for the sign-in page or the app.
    await enter
      .or(page.getByRole('navigation').filter({ visible: true }))
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    if (await enter.isVisible()) {
      await enter.click();
    }
    // The app remembers the sign-in only once it has its identity: leaving earlier meets the
    // sign-in page again on every probe.
    await enter.waitFor({ state: 'hidden', timeout: 30_000 });
    await page.waitForLoadState('networkidle');

    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const once = async (probe: PageProbe) => {
      await page.goto('about:blank');
      const before = await rendererWork(cdp);
      await page.goto(`${options.portalUrl}${probe.path}`, {
        waitUntil: 'commit',
      });
      const done = await page
        .waitForFunction(pageShown, probe.ready, {
          timeout: options.timeoutMs ?? 60_000,
          polling: 50,
        })
        .catch(async error => {
          const shot = options.screenshotDir
            ? join(options.screenshotDir, `page-${probe.name}.png`)
            : undefined;
          if (shot) await page.screenshot({ path: shot }).catch(() => {});
          const text = await page
            .evaluate(() => document.body?.innerText ?? '')
            .catch(() => '');
          throw new Error(
            `the ${probe.name} page (${probe.path}) was not shown: ${
              (error as Error).message.split('\n')[0]
            }; it read "${text.replace(/\s+/g, ' ').slice(0, 300)}"${
              shot ? ` (screenshot ${shot})` : ''
            }`,
          );
        });
      const shownAtMs = (await done.jsonValue()) as number;
      const after = await rendererWork(cdp);
      return {
        shownAtMs,
        work: {
          scriptMs: after.scriptMs - before.scriptMs,
          styleMs: after.styleMs - before.styleMs,
          layoutMs: after.layoutMs - before.layoutMs,
        },
      };
    };
    const samples = new Map(
      options.pages.map(probe => [
        probe.name,
        [] as Awaited<ReturnType<typeof once>>[],
      ]),
    );
    for (let i = 0; i < 3; i++) {
      for (const probe of options.pages) {
        samples.get(probe.name)!.push(await once(probe));
      }
    }
    return options.pages.map(probe => {
      const taken = samples.get(probe.name)!;
      const median = (of: (sample: (typeof taken)[number]) => number) =>
        percentile(taken.map(of), 50);
      return {
        name: probe.name,
        path: probe.path,
        medianMs: median(sample => sample.shownAtMs),
        samplesMs: taken.map(sample => sample.shownAtMs),
        work: {
          scriptMs: median(sample => sample.work.scriptMs),
          styleMs: median(sample => sample.work.styleMs),
          layoutMs: median(sample => sample.work.layoutMs),
        },
      };
    });
  } finally {
    await browser.close();
  }
}
