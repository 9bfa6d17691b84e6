import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sandboxPaths } from '@progressive-delivery/sandbox';

export const repoRoot = sandboxPaths().repoRoot;
export const portalUrl = 'http://127.0.0.1:7007';

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
 * Builds the app bundle when its sources (or the frontend plugin's) changed since the last
 * build; the backend's app plugin serves it, as in production.
 */
export function buildAppIfNeeded(log: (line: string) => void) {
  const appDir = join(repoRoot, 'packages', 'app');
  const builtIndex = join(appDir, 'dist', 'index.html');
  const sources = Math.max(
    newestMtime(join(appDir, 'src')),
    newestMtime(join(repoRoot, 'plugins', 'progressive-delivery', 'src')),
    newestMtime(join(repoRoot, 'plugins', 'progressive-delivery-common', 'src')),
  );
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs > sources) {
    return;
  }
  log('building the app bundle (a few minutes on 2 cores)');
  const build = spawnSync('npx', ['backstage-cli', 'package', 'build'], {
    cwd: appDir,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=4096' },
  });
  if (build.status !== 0) {
    throw new Error(`App build failed:\n${build.stdout}\n${build.stderr}`);
  }
}

export interface RunningPortal {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the real backend (with the app bundle) on 127.0.0.1:7007 against the sandbox,
 * with a fresh database, and waits until it is ready.
 */
export async function startPortal(options: {
  artifactsDir: string;
  env?: Record<string, string>;
  extraConfig?: string;
  timeoutMs?: number;
}): Promise<RunningPortal> {
  const { artifactsDir } = options;
  mkdirSync(artifactsDir, { recursive: true });
  const dataDir = join(artifactsDir, 'db');
  mkdirSync(dataDir, { recursive: true });
  const overrides = join(artifactsDir, 'app-config.e2e.yaml');
  writeFileSync(
    overrides,
    [
      'app:',
      `  baseUrl: ${portalUrl}`,
      'backend:',
      `  baseUrl: ${portalUrl}`,
      '  cors:',
      `    origin: ${portalUrl}`,
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const logFile = join(artifactsDir, 'backend.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      join(repoRoot, 'node_modules/@backstage/cli-node/config/nodeTransform.cjs'),
      'src/index.ts',
      '--config',
      join(repoRoot, 'app-config.yaml'),
      '--config',
      overrides,
    ],
    {
      cwd: join(repoRoot, 'packages', 'backend'),
      env: {
        ...process.env,
        ...options.env,
        PD_DATA_DIR: dataDir,
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>(done => child.on('exit', done));

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let ready = false;
  while (!ready && Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The backend exited with ${child.exitCode}; see ${logFile}`);
    }
    try {
      const response = await fetch(
        `${portalUrl}/api/progressive-delivery/health`,
      );
      ready = response.ok;
    } catch {
      // not listening yet
    }
    if (!ready) await new Promise(r => setTimeout(r, 500));
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`The backend was not ready in time; see ${logFile}`);
  }

  return {
    url: portalUrl,
    logFile,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}
