/*
 * The README's Tanzu Developer Portal backend wrapper, minus its surface calls (the
 * `@vmware-tanzu/core-backend` surfaces are not on the public registry): the same
 * `createRouter` call over the same `PluginEnvironment` members, mounted by this legacy backend
 * where TDP's `BackendPluginSurface.addPlugin({ name: 'progressive-delivery', pluginFn })` does.
 */
const {
  createRouter,
} = require('@progressive-delivery/plugin-progressive-delivery-backend');

module.exports = function pluginFn(env) {
  return createRouter({
    logger: env.logger,
    config: env.config,
    database: env.database,
    discovery: env.discovery,
    permissions: env.permissions,
    identity: env.identity,
    tokenManager: env.tokenManager,
  });
};
