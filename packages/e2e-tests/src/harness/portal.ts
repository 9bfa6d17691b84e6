import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sandboxPaths } from '@progressive-delivery/sandbox';

export const repoRoot = sandboxPaths().repoRoot;
export const portalUrl = 'http://127.0.0.1:7007';

export interface RunningPortal {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface BackendMemory {
  rssMb: number;
  heapUsedMb: number;
}

export interface RunningBackend extends RunningPortal {
  pid: number;
  port: number;
  /** Ends the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /**
   * The backend's own RSS and heap, after full garbage collections; only with `memoryProbe`.
   */
  measureMemory(): Promise<BackendMemory>;
}

export interface BackendOptions {
  artifactsDir: string;
  /** Default 7007, the port the sandbox's Flagger gate webhooks call. */
  port?: number;
  /** Where the databases live; pass the same one to restart on the same data. Default <artifactsDir>/db. */
  dataDir?: string;
  env?: Record<string, string>;
  /** YAML appended to the generated config (after `backend:` settings). */
  extraConfig?: string;
  timeoutMs?: number;
  /** Names the config and log files, so that the logs of restarts are kept apart. Default "backend". */
  name?: string;
  /** Preloads a probe answering memory questions over IPC, and exposes gc (see measureMemory). */
  memoryProbe?: boolean;
}

const MB = 1024 * 1024;
let nextProbeId = 1;

/**
 * Starts the real backend (packages/backend) on 127.0.0.1:`port` against the sandbox and waits
 * until our plugin answers. It serves the app bundle only if one was built.
 */
export async function startBackend(
  options: BackendOptions,
): Promise<RunningBackend> {
  const { artifactsDir } = options;
  const port = options.port ?? 7007;
  const url = `http://127.0.0.1:${port}`;
  const name = options.name ?? 'backend';
  mkdirSync(artifactsDir, { recursive: true });
  const dataDir = options.dataDir ?? join(artifactsDir, 'db');
  mkdirSync(dataDir, { recursive: true });
  const overrides = join(artifactsDir, `app-config.${name}.yaml`);
  writeFileSync(
    overrides,
    [
      'backend:',
      `  baseUrl: ${url}`,
      '  listen:',
      `    port: ${port}`,
      options.extraConfig ?? '',
    ].join('\n'),
  );
  const logFile = join(artifactsDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const probeArgs = options.memoryProbe
    ? // The tests run from their sources, next to the probe.
      // eslint-disable-next-line no-restricted-syntax
      ['--expose-gc', '--require', join(__dirname, 'memoryProbe.ts')]
    : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      join(
        repoRoot,
        'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
      ),
      ...probeArgs,
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
      stdio: options.memoryProbe
        ? ['ignore', 'pipe', 'pipe', 'ipc']
        : ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<void>(done => child.on('exit', () => done()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async (signal: NodeJS.Signals) => {
    if (running()) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    log.end();
  };

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let ready = false;
  while (!ready && Date.now() < deadline) {
    if (!running()) {
      throw new Error(
        `The backend exited with ${child.exitCode}; see ${logFile}`,
      );
    }
    try {
      const response = await fetch(`${url}/api/progressive-delivery/health`);
      ready = response.ok;
    } catch {
      // not listening yet
    }
    if (!ready) await new Promise(r => setTimeout(r, 500));
  }
  if (!ready) {
    await stop('SIGKILL');
    throw new Error(`The backend was not ready in time; see ${logFile}`);
  }

  return {
    url,
    port,
    pid: child.pid!,
    logFile,
    stop: () => stop('SIGTERM'),
    kill: () => stop('SIGKILL'),
    measureMemory() {
      if (!options.memoryProbe) {
        return Promise.reject(new Error('Started without memoryProbe'));
      }
      const id = nextProbeId++;
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined = undefined;
        const onMessage = (message: any) => {
          if (message?.type !== 'e2e:memory' || message.id !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve({
            rssMb: message.memory.rss / MB,
            heapUsedMb: message.memory.heapUsed / MB,
          });
        };
        timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error('The memory probe did not answer within 10 s'));
        }, 10_000);
        child.on('message', onMessage);
        child.send({ type: 'e2e:measure-memory', id });
      });
    },
  };
}
