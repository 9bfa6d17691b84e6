// `npm start`: the sandbox control plane, then the backend (127.0.0.1:7007) and the app
// (127.0.0.1:3000) with the plugins. Ctrl-C stops backend and app; the sandbox keeps
// running until `npm run sandbox -- down`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { log, repoRoot, sandboxCredentialsEnv, startPrefixed } from './lib.mjs';

const sandboxCli = join(repoRoot, 'packages', 'sandbox', 'bin', 'sandbox.mjs');
if (
  spawnSync(process.execPath, [sandboxCli, 'up'], {
    cwd: repoRoot,
    stdio: 'inherit',
  }).status !== 0
) {
  log('the sandbox did not come up: see `npm run sandbox -- status`');
  process.exit(1);
}

const dataDir = join(repoRoot, '.sandbox', 'backstage-db');
mkdirSync(dataDir, { recursive: true });
const env = {
  ...process.env,
  ...sandboxCredentialsEnv(),
  PD_DATA_DIR: dataDir,
};

const children = [
  // Each in a process group of its own, stopped as a group: npx does not pass a signal on to
  // backstage-cli, so stopping npx alone left the portal running when only this script was
  // signalled (a terminal's Ctrl-C reaches them all, a supervisor's SIGTERM does not).
  startPrefixed('backend', 'npx', ['backstage-cli', 'package', 'start'], {
    cwd: join(repoRoot, 'packages', 'backend'),
    env,
    detached: true,
  }),
  startPrefixed('app    ', 'npx', ['backstage-cli', 'package', 'start'], {
    cwd: join(repoRoot, 'packages', 'app'),
    env,
    detached: true,
  }),
];
log(
  'portal starting: app on http://127.0.0.1:3000, backend on http://127.0.0.1:7007',
);

function stop() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  log(
    'stopped backend and app; the sandbox is still up (`npm run sandbox -- down` stops it)',
  );
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) {
  child.on('exit', code => {
    if (code !== 0 && code !== null) {
      log(`a portal process exited with code ${code}; stopping`);
      stop();
    }
  });
}
