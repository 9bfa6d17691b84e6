/*
 * The tarballs `npm run pack:plugins` makes carry what a user of the plugins needs: every entry
 * point of the export map (the ones the API reports describe) with its types, the config
 * schema (compiled from config.d.ts) and the database migrations, and no sources.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = join(__dirname, '..', '..', '..');
const packsDir = join(repoRoot, '.packs');

const plugins = [
  {
    tarball: 'progressive-delivery-common.tgz',
    dir: 'plugins/progressive-delivery-common',
  },
  {
    tarball: 'progressive-delivery-backend.tgz',
    dir: 'plugins/progressive-delivery-backend',
  },
  { tarball: 'progressive-delivery.tgz', dir: 'plugins/progressive-delivery' },
];

function filesIn(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', join(packsDir, tarball)], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(line => line && !line.endsWith('/'))
    .map(line => line.replace(/^package\//, ''));
}

function manifestIn(tarball: string) {
  return JSON.parse(
    execFileSync(
      'tar',
      ['-xOzf', join(packsDir, tarball), 'package/package.json'],
      { encoding: 'utf8' },
    ),
  );
}

/**
 * Every file an export map (or one condition of it) points at; Backstage's own conditions
 * such as `"backstage": "@backstage/FrontendPlugin"` name no file.
 */
function targetsOf(exported: unknown): string[] {
  if (typeof exported === 'string') {
    return exported.startsWith('./') ? [exported] : [];
  }
  if (exported && typeof exported === 'object') {
    return Object.values(exported).flatMap(targetsOf);
  }
  return [];
}

const relativePath = (path: string) => path.replace(/^\.\//, '');

/** The entry points the API reports describe: report.api.md is ".", report-alpha.api.md "./alpha". */
function reportedEntryPoints(dir: string): string[] {
  return readdirSync(join(repoRoot, dir))
    .map(file => /^report(?:-(.+))?\.api\.md$/.exec(file))
    .filter((match): match is RegExpExecArray => Boolean(match))
    .map(match => (match[1] ? `./${match[1]}` : '.'));
}

beforeAll(() => {
  // Packs when the sources changed since the last pack; answers at once otherwise.
  execFileSync(
    process.execPath,
    [join(repoRoot, 'packages/devtools/bin/pack.mjs')],
    { cwd: repoRoot, stdio: 'inherit' },
  );
}, 15 * 60_000);

describe.each(plugins)('$tarball', ({ tarball, dir }) => {
  test('has every reported entry point, with its code and its types', () => {
    const files = new Set(filesIn(tarball));
    const manifest = manifestIn(tarball);
    const entryPoints = reportedEntryPoints(dir);
    expect(entryPoints).toContain('.');
    for (const field of ['main', 'types']) {
      expect(files).toContain(relativePath(manifest[field]));
    }
    if (manifest.module) expect(files).toContain(relativePath(manifest.module));
    if (manifest.exports) {
      for (const entryPoint of entryPoints) {
        const targets = targetsOf(manifest.exports[entryPoint]);
        expect(targets.some(target => target.endsWith('.d.ts'))).toBe(true);
        expect(targets.some(target => /\.(c|m)?js$/.test(target))).toBe(true);
        for (const target of targets) {
          expect(files).toContain(relativePath(target));
        }
      }
      for (const paths of Object.values<string[]>(
        manifest.typesVersions?.['*'] ?? {},
      )) {
        for (const path of paths) expect(files).toContain(relativePath(path));
      }
    } else {
      expect(entryPoints).toEqual(['.']);
    }
  });

  test('carries what its files list says and no sources or tests', () => {
    const files = filesIn(tarball);
    const manifest = manifestIn(tarball);
    for (const entry of manifest.files) {
      expect(
        files.some(file => file === entry || file.startsWith(`${entry}/`)),
      ).toBe(true);
    }
    expect(files.filter(file => file.startsWith('src/'))).toEqual([]);
    expect(files.filter(file => /\.test\.[jt]sx?$/.test(file))).toEqual([]);
    expect(manifest.main).not.toMatch(/^\.?\/?src\//);
  });
});

test('the backend tarball carries its config schema and every migration', () => {
  const tarball = 'progressive-delivery-backend.tgz';
  const files = filesIn(tarball);
  const manifest = manifestIn(tarball);
  // backstage-cli prepack compiles config.d.ts to the JSON schema the config loader reads,
  // as Backstage's own packages ship it.
  expect(manifest.configSchema).toBe('config.schema.json');
  expect(files).toContain('config.schema.json');
  const schema = JSON.parse(
    execFileSync(
      'tar',
      ['-xOzf', join(packsDir, tarball), 'package/config.schema.json'],
      {
        encoding: 'utf8',
      },
    ),
  );
  expect(Object.keys(schema.properties)).toEqual(['progressiveDelivery']);
  expect(Object.keys(schema.properties.progressiveDelivery.properties)).toEqual(
    expect.arrayContaining(['webhooks', 'clusters']),
  );
  const migrations = readdirSync(
    join(repoRoot, 'plugins/progressive-delivery-backend/migrations'),
  );
  expect(migrations.length).toBeGreaterThan(0);
  for (const migration of migrations) {
    expect(files).toContain(`migrations/${migration}`);
  }
});

test('the tarballs depend on each other by the version they carry', () => {
  const common = manifestIn('progressive-delivery-common.tgz');
  for (const tarball of [
    'progressive-delivery-backend.tgz',
    'progressive-delivery.tgz',
  ]) {
    const range: string = manifestIn(tarball).dependencies[common.name];
    expect(range).toBe(`^${common.version}`);
  }
});
