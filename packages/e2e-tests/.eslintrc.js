module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The journeys shared by the portal and the hosts (src/harness/journeys.ts) assert inside.
    'jest/expect-expect': [
      'warn',
      {
        assertFunctionNames: [
          'expect',
          'watchAReleaseMove',
          'promoteAGatedRelease',
          'anotherTeamsReleaseIsReadOnly',
        ],
      },
    ],
  },
});
