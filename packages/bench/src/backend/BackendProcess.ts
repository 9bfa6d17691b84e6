/*
 * The real portal backend (with the benchmark's floor plugin beside its plugins: see
 * benchBackend.ts) as a child process with an IPC channel to a preloaded probe, which reports
 * the backend's own memory and CPU and profiles it on request.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type {
  MeasurementReply,
  ProbeReply,
  ProbeRequest,
  ProfileReply,
  ProfileSummary,
} from './probeMessages';

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
/** A request as the caller gives it; the id is added when it is sent. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
// The benchmark always runs from its sources (bin/bench.mjs), never from a build, so this is
// the directory of the probe and the standalone entry point.
// eslint-disable-next-line no-restricted-syntax
const sourceDir = __dirname;

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
      if (
        message?.type !== 'bench:measurement' &&
        message?.type !== 'bench:profile-result'
      ) {
        return;
      }
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
  }

  static async start(options: BackendStartOptions): Promise<BackendProcess> {
    const { repoRoot } = options;
    // packages/backend's own plugins and modules (createPortalBackend), plus the floor plugin.
    const entry = join(sourceDir, 'benchBackend.ts');
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
          // The probe names profiled files relative to it.
          PD_BENCH_REPO_ROOT: repoRoot,
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

  /** Sends a request to the probe and waits for its answer (of the same id). */
  #ask<T extends ProbeReply>(
    request: WithoutId<ProbeRequest>,
    timeoutMs: number,
  ): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new Error(
            `the backend probe did not answer within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, reply => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      this.child.send({ ...request, id } as ProbeRequest);
    });
  }

  /**
   * The backend's RSS, heap (after a full GC when `collectGarbage`) and CPU time so far, and
   * its event-loop delay since the last reset (`resetEventLoopDelay` starts a new window).
   */
  async measure(
    options: { collectGarbage?: boolean; resetEventLoopDelay?: boolean } = {},
  ): Promise<BackendMeasurement> {
    const reply = await this.#ask<MeasurementReply>(
      { type: 'bench:measure', ...options },
      10_000,
    );
    return {
      rssMb: reply.memory.rss / MB,
      heapUsedMb: reply.memory.heapUsed / MB,
      heapTotalMb: reply.memory.heapTotal / MB,
      cpuSeconds: (reply.cpu.user + reply.cpu.system) / 1e6,
      eventLoopDelayP99Ms: reply.eventLoopDelay.p99Ms,
      eventLoopDelayMaxMs: reply.eventLoopDelay.maxMs,
    };
  }

  /** Starts a CPU profile of the backend in its own process (node:inspector). */
  async startProfile(): Promise<void> {
    const reply = await this.#ask<ProfileReply>(
      { type: 'bench:profile', action: 'start' },
      10_000,
    );
    if (reply.error) throw new Error(`profiler: ${reply.error}`);
  }

  /** Stops the profile and returns its top functions by self time. */
  async stopProfile(top = 15): Promise<ProfileSummary> {
    // Stopping serializes and summarizes the whole profile in the backend: give it time.
    const reply = await this.#ask<ProfileReply>(
      { type: 'bench:profile', action: 'stop', top },
      60_000,
    );
    if (reply.error || !reply.summary) {
      throw new Error(`profiler: ${reply.error ?? 'no summary'}`);
    }
    return reply.summary;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(timer);
  }
}
