/*
 * The backend's layers, bottom to top; a file may import from its own layer and the layers
 * below it, never from above (and the three cluster-side folders not from each other):
 *
 *   0  config.ts, types.ts          what is configured, the contract between the two sides
 *   1  flagger/                     what Flagger's spec means
 *   2  clusters/ prometheus/ database/   watch caches, metric readings, the plugin's tables
 *   3  summary/                     the domain model from what was watched and read
 *   4  service/                     the use cases
 *   5  router.ts, createServices.ts the HTTP API and the composition root
 *   6  plugin.ts, legacy/, index.ts the entry points
 *
 * Tests and test helpers may assemble any layers (a test of the store builds it the way the
 * composition root does), so the rule leaves them out.
 */
const LAYERS = [
  ['./src/config.ts', './src/types.ts'],
  ['./src/flagger'],
  ['./src/clusters', './src/prometheus', './src/database'],
  ['./src/summary'],
  ['./src/service'],
  ['./src/router.ts', './src/agentActions.ts', './src/createServices.ts'],
  ['./src/plugin.ts', './src/legacy', './src/index.ts'],
];

const zones = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flat();
  return layer.map(target => ({
    target,
    from: [
      ...above,
      // Siblings of the cluster side stay independent of each other.
      ...(index === 2 ? layer.filter(other => other !== target) : []),
    ],
    message: `${target.replace(
      './src/',
      '',
    )} is in layer ${index} of the backend; it may not import from a layer above it or a sibling (see .eslintrc.js).`,
  }));
});

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // The rule needs to resolve the TypeScript sources it compares (eslint-import-resolver-node).
  settings: {
    'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
  },
  rules: {
    'import/no-restricted-paths': ['error', { zones }],
  },
  overrides: [
    {
      files: [
        'src/**/*.test.ts',
        'src/**/testing/**',
        'src/__testUtils__/**',
        'src/__fixtures__/**',
      ],
      rules: { 'import/no-restricted-paths': 'off' },
    },
  ],
});
