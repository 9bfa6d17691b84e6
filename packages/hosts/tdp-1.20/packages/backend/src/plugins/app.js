const { createRouter } = require('@backstage/plugin-app-backend');

module.exports = async function createPlugin(env) {
  return createRouter({
    logger: env.logger,
    config: env.config,
    database: env.database,
    appPackageName: 'app',
  });
};
