#!/usr/bin/env node
// The host contract (../README.md): `node host.mjs install | build | start [--config <file>]...`
// for the repository's own app and backend (packages/app, packages/backend: Backstage 1.57, the
// new frontend and backend systems), installed as a user installs the plugins: from the tarballs
// in <repo>/.packs, never as workspace links. Its packages are staged from the repository's on
// every install and build, so there is one app to change; its lock starts as the repository's.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildBackendAndApp, runHostCommand } from '../hostCommands.mjs';

/** Our packages as the repository's workspaces name them, and the tarball each is packed to. */
const tarballOf = {
  '@progressive-delivery/plugin-progressive-delivery':
    'progressive-delivery.tgz',
  '@progressive-delivery/plugin-progressive-delivery-backend':
    'progressive-delivery-backend.tgz',
  '@progressive-delivery/plugin-progressive-delivery-common':
    'progressive-delivery-common.tgz',
};
const staged = ['app', 'backend'];

function stageRepositoryPackages({ hostDir, log, fail }) {
  const repoRoot = join(hostDir, '..', '..', '..');
  for (const name of staged) {
    const from = join(repoRoot, 'packages', name);
    const to = join(hostDir, 'packages', name);
    const manifest = JSON.parse(
      readFileSync(join(from, 'package.json'), 'utf8'),
    );
    for (const field of ['dependencies', 'devDependencies']) {
      for (const dependency of Object.keys(manifest[field] ?? {})) {
        if (!dependency.startsWith('@progressive-delivery/')) continue;
        if (!tarballOf[dependency]) {
          fail(
            `packages/${name} depends on ${dependency}, which is not packed`,
          );
        }
        // five ../ from packages/hosts/current/packages/<name> to the repository's root
        manifest[field][
          dependency
        ] = `file:../../../../../.packs/${tarballOf[dependency]}`;
      }
    }
    mkdirSync(to, { recursive: true });
    for (const entry of ['src', 'public']) {
      rmSync(join(to, entry), { recursive: true, force: true });
      if (existsSync(join(from, entry))) {
        // Timestamps kept: the host's build is redone only when the repository's sources change.
        cpSync(join(from, entry), join(to, entry), {
          recursive: true,
          preserveTimestamps: true,
          filter: path => !/\.test\.tsx?$/.test(path),
        });
      }
    }
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    const target = join(to, 'package.json');
    if (!existsSync(target) || readFileSync(target, 'utf8') !== text) {
      writeFileSync(target, text);
    }
  }
  // The repository's lock is where the host's versions start; npm then drops its workspaces'
  // entries and adds the tarballs. It is copied again only when the repository's changes.
  const rootLock = readFileSync(join(repoRoot, 'package-lock.json'));
  const rootLockHash = createHash('sha256').update(rootLock).digest('hex');
  const lockMarker = join(hostDir, 'packages', '.repository-lock.sha256');
  if (
    !existsSync(lockMarker) ||
    readFileSync(lockMarker, 'utf8') !== rootLockHash
  ) {
    log("the repository's package-lock.json is the host's starting lock");
    writeFileSync(join(hostDir, 'package-lock.json'), rootLock);
    writeFileSync(lockMarker, rootLockHash);
  }
}

runHostCommand({
  hostModuleUrl: import.meta.url,
  buildInputs: ['packages/app', 'packages/backend'],
  prepare: stageRepositoryPackages,
  build: tools =>
    buildBackendAndApp(tools, {
      appConfigs: [join(tools.hostDir, '..', '..', '..', 'app-config.yaml')],
    }),
  backendEntry: '.',
});
