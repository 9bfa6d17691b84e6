#!/usr/bin/env node
// Launcher for the benchmark: runs src/bench.ts through Backstage's TypeScript transform.
//   npm run bench        (from the repository root; brings the sandbox up if it is not)
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
      'bench: @backstage/cli-node is not installed; run `npm run setup` at the repository root first',
    );
    process.exit(1);
  }
}
const result = spawnSync(
  process.execPath,
  [
    '--require',
    transform,
    join(packageDir, 'src', 'bench.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
