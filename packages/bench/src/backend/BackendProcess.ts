/*
 * The real portal backend as a child process with an IPC channel to a preloaded probe, which
 * reports the backend's own memory and CPU.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ProbeReply, ProbeRequest } from './probeMessages';

export interface BackendMeasurement {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  cpuSeconds: number;
  /** Event-loop delay since the previous `measure({ resetEventLoopDelay: true })`. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

export interface BackendStartOptions {
  repoRoot: string;
  port: number;
  configFiles: string[];
  dataDir: string;
  logFile: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Where to write a V8 CPU profile of the backend when it exits (for finding a slow path). */
  cpuProfileDir?: string;
}

const MB = 1024 * 1024;
// The benchmark always runs from its sources (bin/bench.mjs), never from a build, so this is
// the directory of the probe and the standalone entry point.
// eslint-disable-next-line no-restricted-syntax
const sourceDir = __dirname;

/** Whether our backend plugin has an entry point yet (it is written in parallel with the benchmark). */
export class BackendProcess {
  #nextId = 1;
  readonly #pending = new Map<number, (reply: ProbeReply) => void>();
  readonly #exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly logFile: string,
  ) {
    this.#exited = new Promise(resolve =>
      child.on('exit', code => resolve(code)),
    );
    child.on('message', (message: ProbeReply) => {
      if (message?.type !== 'bench:measurement') return;
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
  }

  static async start(options: BackendStartOptions): Promise<BackendProcess> {
    const { repoRoot } = options;
    const entry = join(repoRoot, 'packages/backend/src/index.ts');
    const log = createWriteStream(options.logFile);
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        // --cpu-prof is refused in NODE_OPTIONS, so profiling is a knob of its own.
        ...(options.cpuProfileDir
          ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]
          : []),
        '--require',
        join(
          repoRoot,
          'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
        ),
        '--require',
        join(sourceDir, 'probe.ts'),
        entry,
        ...options.configFiles.flatMap(file => ['--config', file]),
      ],
      {
        cwd: join(repoRoot, 'packages', 'backend'),
        env: {
          ...process.env,
          ...options.env,
          PD_DATA_DIR: options.dataDir,
          NODE_ENV: 'production',
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      },
    );
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const backend = new BackendProcess(
      child,
      `http://127.0.0.1:${options.port}`,
      options.logFile,
    );
    const deadline = Date.now() + (options.timeoutMs ?? 180_000);
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(
          `the backend exited with code ${child.exitCode}; see ${options.logFile}`,
        );
      }
      try {
        const response = await fetch(
          `${backend.url}/.backstage/health/v1/readiness`,
        );
        if (response.ok) return backend;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await backend.stop();
        throw new Error(
          `the backend was not ready within ${
            (options.timeoutMs ?? 180_000) / 1000
          } s; see ${options.logFile}`,
        );
      }
      await new Promise(resolve => setTimeout(resolve, 500));
    }
  }

  /**
   * The backend's RSS, heap (after a full GC when `collectGarbage`) and CPU time so far, and
   * its event-loop delay since the last reset (`resetEventLoopDelay` starts a new window).
   */
  measure(
    options: { collectGarbage?: boolean; resetEventLoopDelay?: boolean } = {},
  ): Promise<BackendMeasurement> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error('the backend probe did not answer within 10 s'));
      }, 10_000);
      this.#pending.set(id, reply => {
        clearTimeout(timer);
        resolve({
          rssMb: reply.memory.rss / MB,
          heapUsedMb: reply.memory.heapUsed / MB,
          heapTotalMb: reply.memory.heapTotal / MB,
          cpuSeconds: (reply.cpu.user + reply.cpu.system) / 1e6,
          eventLoopDelayP99Ms: reply.eventLoopDelay.p99Ms,
          eventLoopDelayMaxMs: reply.eventLoopDelay.maxMs,
        });
      });
      const request: ProbeRequest = {
        type: 'bench:measure',
        id,
        ...options,
      };
      this.child.send(request);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
