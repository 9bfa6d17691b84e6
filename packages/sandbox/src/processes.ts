/*
 * Background processes tracked by PID files. A PID file holds `{pid, command, startedAt}`; a
 * process counts as ours only while /proc/<pid>/cmdline still starts with the recorded command,
 * so a recycled PID is never signalled.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface PidRecord {
  pid: number;
  command: string;
  args: string[];
  startedAt: string;
}

export interface StartOptions {
  command: string;
  args: string[];
  pidFile: string;
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function readPidFile(pidFile: string): PidRecord | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    const record = JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
    return typeof record.pid === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `record` names a live process that still runs the recorded command. */
export function isRunning(record: PidRecord | undefined): boolean {
  if (!record) return false;
  try {
    process.kill(record.pid, 0);
  } catch (e: any) {
    if (e.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    // state is the field after the parenthesised command name: Z = zombie, X = dead
    const state = stat.slice(
      stat.lastIndexOf(')') + 2,
      stat.lastIndexOf(')') + 3,
    );
    if (state === 'Z' || state === 'X') return false;
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    // Empty while the kernel is still setting up a just-started process (spawn returns once
    // exec has begun, before the new image has its arguments; seen with the 95 MB controller
    // manager on a busy machine). A live process that is no zombie is then ours.
    if (cmdline === '') return true;
    return cmdline.split('\0')[0] === record.command;
  } catch {
    return false;
  }
}

/** Starts a detached process (its own process group) with stdout/stderr appended to logFile. */
export function startProcess(options: StartOptions): PidRecord {
  mkdirSync(dirname(options.pidFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const out = openSync(options.logFile, 'a');
  writeFileSync(
    out,
    `\n---- ${new Date().toISOString()} ${options.command} ${options.args.join(
      ' ',
    )}\n`,
  );
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${options.command}`);
    }
    child.unref();
    const record: PidRecord = {
      pid: child.pid,
      command: options.command,
      args: options.args,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(options.pidFile, `${JSON.stringify(record)}\n`);
    return record;
  } finally {
    closeSync(out);
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Stops the process of a PID file: SIGTERM, then SIGKILL after `timeoutMs`. Removes the PID
 * file. Returns what happened, for the log.
 */
export async function stopProcess(
  pidFile: string,
  timeoutMs = 10_000,
): Promise<'not-running' | 'terminated' | 'killed'> {
  const record = readPidFile(pidFile);
  if (!isRunning(record)) {
    rmSync(pidFile, { force: true });
    return 'not-running';
  }
  const pid = record!.pid;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(record)) {
      rmSync(pidFile, { force: true });
      return 'terminated';
    }
    await sleep(100);
  }
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isRunning(record); i++) await sleep(100);
  rmSync(pidFile, { force: true });
  return 'killed';
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
