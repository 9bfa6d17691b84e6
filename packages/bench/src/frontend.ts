/*
 * Frontend figures: the plugin's bundle size and the time to render an entity's tab with many
 * canaries in Debian's chromium.
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
import { chromium } from 'playwright-core';
import { percentile } from './stats';

export interface BundleSize {
  files: number;
  rawBytes: number;
  gzipBytes: number;
  buildSeconds: number;
}

export interface RenderTiming {
  canaries: number;
  /** Median, from navigation start (a full page load of the app) to every canary section visible. */
  renderMs: number;
  /** Every navigation's time; the first already has the bundle cached by the sign-in page. */
  samplesMs: number[];
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

/**
 * Opens the entity's Progressive Delivery tab in chromium (signed in as guest) and measures
 * the time from navigation start until all `expected` canary sections (`<section
 * aria-label="<canary> in <cluster>">`, role region) are visible; twice, cold and warm.
 */
export async function measureTabRender(options: {
  portalUrl: string;
  entityName: string;
  canaryPrefix: string;
  expected: number;
  timeoutMs?: number;
}): Promise<RenderTiming> {
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
    const tabUrl = `${options.portalUrl}/catalog/default/component/${options.entityName}/progressive-delivery`;
    await page.goto(options.portalUrl);
    const enter = page.getByRole('button', { name: 'Enter' });
    // isVisible does not wait, whatever timeout it is given: wait for the sign-in page or the app.
    await enter
      .or(page.getByRole('navigation'))
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(() => undefined);
    if (await enter.isVisible()) {
      await enter.click();
    }
    await page.waitForLoadState('networkidle');

    const once = async () => {
      await page.goto('about:blank');
      await page.goto(tabUrl, { waitUntil: 'commit' });
      const done = await page.waitForFunction(
        ({ prefix, expected }) => {
          const sections = Array.from(
            document.querySelectorAll('section[aria-label]'),
          ).filter(
            section =>
              (section.getAttribute('aria-label') ?? '').startsWith(prefix) &&
              / in \S+$/.test(section.getAttribute('aria-label') ?? ''),
          );
          const visible = sections.filter(section => {
            const box = section.getBoundingClientRect();
            return box.width > 0 && box.height > 0;
          });
          // performance.now() in the page counts from its navigation start.
          return visible.length >= expected ? performance.now() : false;
        },
        { prefix: options.canaryPrefix, expected: options.expected },
        { timeout: options.timeoutMs ?? 60_000, polling: 50 },
      );
      return (await done.jsonValue()) as number;
    };
    const samplesMs: number[] = [];
    for (let i = 0; i < 3; i++) samplesMs.push(await once());
    return {
      canaries: options.expected,
      renderMs: percentile(samplesMs, 50),
      samplesMs,
    };
  } finally {
    await browser.close();
  }
}
