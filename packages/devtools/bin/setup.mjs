// Installs what the portal and the tests need on a fresh machine, and nothing twice:
// npm dependencies (with the native better-sqlite3 build), Debian packages (prometheus,
// chromium, postgresql) and the sandbox's Go binaries (kube-apiserver, etcd, flagger).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { commandExists, isNewer, log, repoRoot, run } from './lib.mjs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) {
  throw new Error(`Node ${process.versions.node} is too old: use Node 20, 22 or 24.`);
}

function ensureNodeModules() {
  const marker = join(repoRoot, 'node_modules', '.package-lock.json');
  if (!existsSync(marker) || isNewer(join(repoRoot, 'package-lock.json'), marker)) {
    log('installing npm dependencies (first time: about 5 minutes)');
    // `npm ci` rejects lock files made where some platform-only optional binaries are
    // unreachable; `npm install` from the lock file installs the same tree.
    run('npm', ['install', '--no-audit', '--no-fund']);
  }
  const require = createRequire(join(repoRoot, 'packages', 'backend', 'package.json'));
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
  } catch {
    log('building better-sqlite3 from source (about a minute)');
    run('npm', ['rebuild', 'better-sqlite3']);
  }
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
  const asRoot = (args) =>
    process.getuid?.() === 0 ? ['apt-get', args] : ['sudo', ['apt-get', ...args]];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    run(...asRoot(['install', '-y', '--no-install-recommends', ...names]), { env });
  try {
    install();
  } catch {
    run(...asRoot(['update']), { env });
    install();
  }
}

function ensureSandboxBinaries() {
  run('bash', [join(repoRoot, 'packages', 'sandbox', 'scripts', 'build-binaries.sh'), 'all']);
}

ensureNodeModules();
ensureDebianPackages();
ensureSandboxBinaries();
log('setup complete');
