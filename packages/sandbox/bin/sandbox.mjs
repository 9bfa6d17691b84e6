#!/usr/bin/env node
// Launcher for the sandbox CLI: runs src/cli.ts through Backstage's TypeScript transform.
//   npm run sandbox -- <up|down|status|info|release|stop-component|start-component> ...
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = dirname(dirname(packageDir));
let transform = join(
  repoRoot,
  'node_modules/@backstage/cli-node/config/nodeTransform.cjs',
);
if (!existsSync(transform)) {
  try {
    transform = createRequire(import.meta.url).resolve(
      '@backstage/cli-node/config/nodeTransform.cjs',
    );
  } catch {
    console.error(
      'sandbox: @backstage/cli-node is not installed; run `npm install` at the repository root first',
    );
    process.exit(1);
  }
}
const result = spawnSync(
  process.execPath,
  [
    '--require',
    transform,
    join(packageDir, 'src', 'cli.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
