// Runs every test of the repository in one jest run (unit, integration on the sandbox,
// end-to-end in chromium), then prints one plain closing line: "N passed, N failed".
// The sandbox is brought up first when it is not running, and stopped again afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listHosts } from '../../hosts/hostDescription.mjs';
import { log, node22Binary, repoRoot } from './lib.mjs';
import { startPostgres, stopPostgres } from './postgres.mjs';
import { packPlugins } from './pack.mjs';

const stateDir = join(repoRoot, '.sandbox');
const summaryFile = join(stateDir, 'test-summary.txt');
const sandboxCli = join(repoRoot, 'packages', 'sandbox', 'bin', 'sandbox.mjs');

function sandbox(command) {
  return spawnSync(process.execPath, [sandboxCli, command], {
    cwd: repoRoot,
    stdio: 'inherit',
  }).status;
}

const startedAt = Date.now();
mkdirSync(stateDir, { recursive: true });
// The hosts (packages/hosts/*) install the plugins from these tarballs, never from workspaces.
try {
  packPlugins();
} catch (error) {
  log(
    `packing the plugins failed (${error.message}); the packing test and the hosts' journeys will fail`,
  );
}

/** Runs `node host.mjs <command>` for a host; resolves with its exit status and seconds. */
function hostCommand({ name, dir }, command) {
  log(`host ${name}: ${command}`);
  const started = Date.now();
  return new Promise(resolve => {
    const child = spawn(process.execPath, [join(dir, 'host.mjs'), command], {
      cwd: dir,
      stdio: 'inherit',
    });
    child.on('error', () => resolve({ status: 1, seconds: 0 }));
    child.on('exit', status =>
      resolve({ status, seconds: Math.round((Date.now() - started) / 1000) }),
    );
  });
}

/**
 * Installs and builds every host through its host.mjs, before the journeys run in them. The
 * installs (mostly waiting on the registry) run side by side; the builds, which want both
 * CPUs, one after the other.
 */
async function prepareHosts() {
  const hosts = [];
  for (const host of listHosts(join(repoRoot, 'packages', 'hosts'))) {
    if (host.knownBroken) {
      log(`host ${host.name}: not prepared, known broken: ${host.knownBroken}`);
    } else {
      hosts.push(host);
    }
  }
  const times = {};
  const installs = await Promise.all(
    hosts.map(host => hostCommand(host, 'install')),
  );
  for (const [index, host] of hosts.entries()) {
    times[host.name] = { installSeconds: installs[index].seconds };
    if (installs[index].status !== 0) {
      log(
        `host ${host.name}: install failed; its journeys will fail and say why`,
      );
      continue;
    }
    const build = await hostCommand(host, 'build');
    times[host.name].buildSeconds = build.seconds;
    if (build.status !== 0) {
      log(
        `host ${host.name}: build failed; its journeys will fail and say why`,
      );
    }
  }
  writeFileSync(
    join(stateDir, 'host-times.json'),
    `${JSON.stringify(times, null, 2)}\n`,
  );
  log(`hosts prepared: ${JSON.stringify(times)}`);
}

await prepareHosts();

const sandboxWasUp = sandbox('status') === 0;
if (!sandboxWasUp) {
  log('bringing the sandbox up for the integration and end-to-end tests');
  if (sandbox('up') !== 0) {
    log(
      'the sandbox did not come up; the tests that need it will fail and say why',
    );
  }
}

// The database tests run on SQLite and on this PostgreSQL (TestDatabases reads the variable).
const postgres = startPostgres();
const databaseEnv = postgres
  ? { BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING: postgres }
  : {};

const jestArgs = process.argv.slice(2);
const jestEnv = {
  ...process.env,
  ...databaseEnv,
  CI: 'true',
  PD_SANDBOX_REQUIRED: '1',
  BACKSTAGE_TEST_DISABLE_DOCKER: '1',
};

// Unit tests run in parallel; the integration and end-to-end tests share one sandbox whose
// sample apps they release, so they run one file at a time.
const serialPattern = '\\.(integration|e2e)\\.test\\.[jt]sx?$';
const backstageCli = join(
  repoRoot,
  'node_modules',
  '@backstage',
  'cli',
  'bin',
  'backstage-cli',
);
// Beside the tab-layout suite (a browser on the repository's app, which neither stops an API
// server nor releases anything outside the sample apps), the suites that work in namespaces of
// their own run at the same time: mostly waiting on Flagger, they cost it little CPU.
const besideTheLayout = '(sandbox|flaggerDocs)\\.integration\\.test\\.ts$';
const layout = 'tabLayout\\.e2e\\.test\\.ts$';
/** Steps run one after the other; the phases of a step run side by side. */
const steps = [
  [{ name: 'unit', args: [`--testPathIgnorePatterns=${serialPattern}`] }],
  // The plugins support Node 22 as well as the repository's Node 24: their tests run on both.
  [
    {
      name: 'plugins-on-node-22',
      node: node22Binary,
      args: [
        `--testPathIgnorePatterns=${serialPattern}`,
        `--testPathPatterns=${join(repoRoot, 'plugins')}/`,
      ],
    },
  ],
  [
    {
      name: 'integration-tab-layout',
      args: ['--runInBand', `--testPathPatterns=${layout}`],
    },
    {
      name: 'integration-own-namespaces',
      args: ['--runInBand', `--testPathPatterns=${besideTheLayout}`],
    },
  ],
  [
    {
      name: 'integration',
      args: [
        '--runInBand',
        `--testPathPatterns=${serialPattern}`,
        `--testPathIgnorePatterns=${layout}`,
        `--testPathIgnorePatterns=${besideTheLayout}`,
      ],
    },
  ],
];
const phases = steps.flat();

/** Runs one phase's jest; resolves with its exit status. */
function runPhase(phase) {
  log(`running the ${phase.name} tests`);
  const node = phase.node ?? process.execPath;
  if (!existsSync(node)) {
    log(`${node} is missing: run \`npm run setup\``);
    return Promise.resolve(1);
  }
  return new Promise(resolve => {
    const child = spawn(
      node,
      [
        backstageCli,
        'repo',
        'test',
        '--json',
        '--passWithNoTests',
        `--outputFile=${join(stateDir, `jest-results-${phase.name}.json`)}`,
        ...phase.args,
        ...jestArgs,
      ],
      {
        cwd: repoRoot,
        stdio: 'inherit',
        env: { ...jestEnv, PATH: `${dirname(node)}:${process.env.PATH}` },
      },
    );
    child.on('error', () => resolve(1));
    child.on('exit', status => resolve(status ?? 1));
  });
}

const exitCodes = [];
for (const step of steps) {
  exitCodes.push(...(await Promise.all(step.map(runPhase))));
}

stopPostgres();
if (!sandboxWasUp) {
  sandbox('down');
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const durations = [];
for (const phase of phases) {
  const file = join(stateDir, `jest-results-${phase.name}.json`);
  if (!existsSync(file)) {
    failed += 1;
    failures.push(`${phase.name}: jest wrote no results (${file})`);
    continue;
  }
  const results = JSON.parse(readFileSync(file, 'utf8'));
  passed += results.numPassedTests;
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
  // A suite that fails to load or crashes has no failing test of its own; count it.
  failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  for (const suite of results.testResults) {
    const file = suite.name.replace(`${repoRoot}/`, '');
    const where = phase.node ? `${file} (${phase.name})` : file;
    durations.push({
      file: where,
      seconds: (suite.endTime - suite.startTime) / 1000,
    });
    if (suite.status === 'failed' && suite.assertionResults.length === 0) {
      failures.push(`${where}: ${firstLine(suite.message)}`);
    }
    for (const test of suite.assertionResults) {
      if (test.status === 'failed') {
        failures.push(
          `${where} › ${test.fullName}: ${firstLine(
            test.failureMessages?.[0],
          )}`,
        );
      }
    }
  }
}

function firstLine(message = '') {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  return (
    plain
      .split('\n')
      .map(line => line.trim())
      .find(line => line && !line.startsWith('●')) ?? ''
  ).slice(0, 300);
}

// What a reader of the last lines of the log needs: where the time went and what failed.
const slowest = durations.sort((a, b) => b.seconds - a.seconds).slice(0, 20);
console.log('\nslowest test files (seconds):');
for (const { file, seconds } of slowest) {
  console.log(`  ${seconds.toFixed(0).padStart(5)}  ${file}`);
}
if (failures.length > 0) {
  console.log(`\nfailed (${failures.length}):`);
  for (const failure of failures) console.log(`  ${failure}`);
}
if (skipped > 0) console.log(`\n${skipped} skipped`);
console.log(
  `\nnpm test took ${Math.round(
    (Date.now() - startedAt) / 60_000,
  )} min after setup`,
);
const summary = `${passed} passed, ${failed} failed`;
writeFileSync(summaryFile, `${summary}\n`);
console.log(summary);
process.exit(failed > 0 || exitCodes.some(code => code !== 0) ? 1 : 0);
