// Builds the three plugin packages and packs them as a user would install them:
// <repo>/.packs/progressive-delivery-common.tgz, progressive-delivery-backend.tgz and
// progressive-delivery.tgz (stable names, for the hosts' `file:` dependencies). Skips all of it
// when the plugins' sources and the tarballs are as at the last pack. `--force` packs anyway.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { log, repoRoot, run } from './lib.mjs';

export const packsDir = join(repoRoot, '.packs');

/** In build order: the common package first, then those that depend on it. */
export const packedPlugins = [
  {
    dir: 'plugins/progressive-delivery-common',
    tarball: 'progressive-delivery-common.tgz',
  },
  {
    dir: 'plugins/progressive-delivery-backend',
    tarball: 'progressive-delivery-backend.tgz',
  },
  { dir: 'plugins/progressive-delivery', tarball: 'progressive-delivery.tgz' },
];

const markerFile = join(packsDir, '.inputs.sha256');
const skippedDirs = new Set(['node_modules', 'dist', 'dist-types', 'coverage']);

function addTree(hash, dir) {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  for (const entry of entries) {
    if (skippedDirs.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      addTree(hash, path);
    } else {
      hash.update(relative(repoRoot, path));
      hash.update(readFileSync(path));
    }
  }
}

/** A hash of everything that goes into the tarballs. */
function inputsHash() {
  const hash = createHash('sha256');
  for (const plugin of packedPlugins) addTree(hash, join(repoRoot, plugin.dir));
  for (const file of [
    'tsconfig.json',
    'package-lock.json',
    'packages/devtools/bin/pack.mjs',
  ]) {
    hash.update(file);
    hash.update(readFileSync(join(repoRoot, file)));
  }
  return hash.digest('hex');
}

export function packPlugins({ force = false } = {}) {
  const inputs = inputsHash();
  const allPresent = packedPlugins.every(p =>
    existsSync(join(packsDir, p.tarball)),
  );
  if (
    !force &&
    allPresent &&
    existsSync(markerFile) &&
    readFileSync(markerFile, 'utf8') === inputs
  ) {
    log('the plugin tarballs in .packs are up to date');
    return;
  }
  const started = Date.now();
  mkdirSync(packsDir, { recursive: true });
  log('type-checking (tsc), for the type definitions in the tarballs');
  run('npx', ['tsc']);
  for (const plugin of packedPlugins) {
    log(`building ${plugin.dir}`);
    run('npx', ['backstage-cli', 'package', 'build'], {
      cwd: join(repoRoot, plugin.dir),
    });
  }
  for (const plugin of packedPlugins) {
    // npm pack runs the package's prepack (backstage-cli package prepack: publishConfig and
    // the export map pointed at dist) and postpack (restores package.json).
    const result = spawnSync(
      'npm',
      [
        'pack',
        '--json',
        '--pack-destination',
        packsDir,
        '--workspace',
        plugin.dir,
      ],
      { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (result.status !== 0) {
      throw new Error(`npm pack of ${plugin.dir} failed:\n${result.stdout}`);
    }
    const [packed] = JSON.parse(
      result.stdout.slice(result.stdout.indexOf('[')),
    );
    renameSync(join(packsDir, packed.filename), join(packsDir, plugin.tarball));
    log(
      `${plugin.tarball}: ${packed.entryCount} files, ${(
        packed.size / 1024
      ).toFixed(0)} kB packed, ${(packed.unpackedSize / 1024).toFixed(
        0,
      )} kB unpacked`,
    );
  }
  writeFileSync(markerFile, inputs);
  log(`packed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  packPlugins({ force: process.argv.includes('--force') });
}
