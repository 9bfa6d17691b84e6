/*
 * Runs the hosts of packages/hosts/* (real Backstage apps that install the plugins from their
 * tarballs) through the host contract of packages/hosts/README.md: `node host.mjs install`,
 * `build`, and `start --config ...` with the configuration the portal harness uses.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// packages/hosts is deliberately no workspace (its hosts have their own lock files); its
// host.json reader is shared with the hosts' host.mjs and npm test by path.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  type Host,
  listHosts as listHostsIn,
} from '../../../hosts/hostDescription.mjs';
import { portalUrl, repoRoot, RunningPortal } from './portal';

// eslint-disable-next-line @backstage/no-relative-monorepo-imports
export type { Host, HostDescription } from '../../../hosts/hostDescription.mjs';

export const hostsDir = join(repoRoot, 'packages', 'hosts');

/** Every directory of packages/hosts with a host.json, by name. */
export function listHosts(): Host[] {
  return listHostsIn(hostsDir);
}

/** Runs `node host.mjs <command>` to its end; returns how long it took, in seconds. */
export function runHostCommand(
  host: Host,
  command: 'install' | 'build',
  logFile: string,
): number {
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [join(host.dir, 'host.mjs'), command],
    {
      cwd: host.dir,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  writeFileSync(logFile, `${result.stdout ?? ''}\n${result.stderr ?? ''}`, {
    flag: 'a',
  });
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.split('\n').slice(-40);
    throw new Error(
      `host ${host.name}: \`node host.mjs ${command}\` exited with ${
        result.status ?? result.signal
      }; see ${logFile}:\n${tail.join('\n')}`,
    );
  }
  return (Date.now() - started) / 1000;
}

export interface RunningHost extends RunningPortal {
  /** Seconds from the start command until the plugin's health check answered. */
  startSeconds: number;
}

/**
 * Starts the host's backend (serving its app) on 127.0.0.1:7007 with the repository's
 * app-config.yaml and the portal harness's overrides, a fresh database, and waits until our
 * plugin answers.
 */
export async function startHost(
  host: Host,
  options: {
    artifactsDir: string;
    env?: Record<string, string>;
    /** Catalog files read beside the repository's catalog-info.yaml. */
    catalogFiles?: string[];
    timeoutMs?: number;
  },
): Promise<RunningHost> {
  const { artifactsDir } = options;
  mkdirSync(artifactsDir, { recursive: true });
  const dataDir = join(artifactsDir, 'db');
  mkdirSync(dataDir, { recursive: true });
  const overrides = join(artifactsDir, `app-config.host-${host.name}.yaml`);
  // The repository's config names its files relative to packages/backend; a host's backend
  // runs elsewhere, so they are given here as absolute paths.
  writeFileSync(
    overrides,
    [
      'app:',
      `  baseUrl: ${portalUrl}`,
      'backend:',
      `  baseUrl: ${portalUrl}`,
      '  listen:',
      '    port: 7007',
      '  cors:',
      `    origin: ${portalUrl}`,
      'catalog:',
      '  locations:',
      ...[join(repoRoot, 'catalog-info.yaml'), ...(options.catalogFiles ?? [])]
        .map(file => ['    - type: file', `      target: ${file}`])
        .flat(),
      '',
    ].join('\n'),
  );
  const logFile = join(artifactsDir, `host-${host.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const started = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(host.dir, 'host.mjs'),
      'start',
      '--config',
      join(repoRoot, 'app-config.yaml'),
      '--config',
      overrides,
    ],
    {
      cwd: host.dir,
      env: { ...process.env, ...options.env, PD_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>(done => child.on('exit', () => done()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };

  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let ready = false;
  while (!ready && Date.now() < deadline) {
    if (!running()) {
      throw new Error(
        `host ${host.name}: the backend exited with ${child.exitCode}; see ${logFile}`,
      );
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
    await stop();
    throw new Error(
      `host ${host.name}: the backend was not ready in time; see ${logFile}`,
    );
  }
  const index = await fetch(portalUrl);
  if (!index.ok || !(await index.text()).includes('<div id="root">')) {
    await stop();
    throw new Error(
      `host ${host.name}: the backend does not serve the app at ${portalUrl}; see ${logFile}`,
    );
  }
  return {
    url: portalUrl,
    logFile,
    stop,
    startSeconds: (Date.now() - started) / 1000,
  };
}

/**
 * The repository's own app and backend as a user installs the plugins (the host whose host.json
 * has `allJourneys`, packages/hosts/current), installed, built and started. npm test installs
 * and builds it before the tests; the commands answer at once then.
 */
export async function startRepositoryApp(options: {
  artifactsDir: string;
  env?: Record<string, string>;
  catalogFiles?: string[];
}): Promise<RunningHost> {
  const host = listHosts().find(candidate => candidate.allJourneys);
  if (!host) throw new Error('no host in packages/hosts has "allJourneys"');
  mkdirSync(options.artifactsDir, { recursive: true });
  const logFile = join(options.artifactsDir, 'host-commands.log');
  // A test run on its own sees the plugins as they are now (nothing is packed when unchanged).
  const pack = spawnSync(
    process.execPath,
    [join(repoRoot, 'packages', 'devtools', 'bin', 'pack.mjs')],
    { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (pack.status !== 0) {
    throw new Error(
      `packing the plugins failed:\n${pack.stdout}\n${pack.stderr}`,
    );
  }
  runHostCommand(host, 'install', logFile);
  runHostCommand(host, 'build', logFile);
  return startHost(host, options);
}
