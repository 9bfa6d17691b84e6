// A throwaway PostgreSQL on 127.0.0.1 for the database tests (Debian's postgresql package).
// PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { log } from './lib.mjs';

const port = Number(process.env.PD_TEST_POSTGRES_PORT ?? 15432);
// Outside the repository: .sandbox/ holds keys and is private to its owner.
const dataDir = join(tmpdir(), `progressive-delivery-test-postgres-${port}`);

function pgBin(name) {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const candidate = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (existsSync(candidate)) return candidate;
  }
  return name;
}

function asDatabaseUser(command, args) {
  const isRoot = process.getuid?.() === 0;
  const [cmd, cmdArgs] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return spawnSync(cmd, cmdArgs, { encoding: 'utf8' });
}

function ownedByDatabaseUser(dir) {
  if (process.getuid?.() !== 0) return;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
}

/** Starts the test PostgreSQL if needed and returns its connection string, or undefined. */
export function startPostgres() {
  const initdb = pgBin('initdb');
  if (!existsSync(initdb) && initdb === 'initdb') {
    log(
      'PostgreSQL is not installed; the PostgreSQL variants of the database tests will fail',
    );
    return undefined;
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    ownedByDatabaseUser(dataDir);
    const init = asDatabaseUser(initdb, [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
    ]);
    if (init.status !== 0) {
      log(`initdb failed: ${init.stderr}`);
      return undefined;
    }
  }
  const status = asDatabaseUser(pgBin('pg_ctl'), ['-D', dataDir, 'status']);
  if (status.status !== 0) {
    const start = asDatabaseUser(pgBin('pg_ctl'), [
      '-D',
      dataDir,
      '-l',
      join(dataDir, 'server.log'),
      '-w',
      'start',
      '-o',
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dataDir} -c fsync=off -c max_connections=200`,
    ]);
    if (start.status !== 0) {
      log(`PostgreSQL did not start: ${start.stderr || start.stdout}`);
      return undefined;
    }
  }
  return `postgresql://postgres@127.0.0.1:${port}`;
}

export function stopPostgres() {
  if (existsSync(join(dataDir, 'postmaster.pid'))) {
    asDatabaseUser(pgBin('pg_ctl'), [
      '-D',
      dataDir,
      '-m',
      'fast',
      '-w',
      'stop',
    ]);
  }
}

if (
  process.argv[1] &&
  import.meta.url.endsWith(process.argv[1].split('/').pop())
) {
  const command = process.argv[2];
  if (command === 'start') console.log(startPostgres() ?? 'not started');
  else if (command === 'stop') stopPostgres();
  else console.error('usage: postgres.mjs start|stop');
}
