/*
 * The backend of a Backstage 1.20 app as `@backstage/create-app` 0.5.7 made it: the legacy
 * backend system, one router per plugin made from a `PluginEnvironment`, mounted under /api,
 * and the app backend serving the built frontend.
 */
const {
  CacheManager,
  DatabaseManager,
  HostDiscovery,
  ServerTokenManager,
  UrlReaders,
  createServiceBuilder,
  getRootLogger,
  loadBackendConfig,
  notFoundHandler,
  useHotMemoize,
} = require('@backstage/backend-common');
const { TaskScheduler } = require('@backstage/backend-tasks');
const { DefaultIdentityClient } = require('@backstage/plugin-auth-node');
const { ServerPermissionClient } = require('@backstage/plugin-permission-node');
const Router = require('express-promise-router');

const app = require('./plugins/app');
const auth = require('./plugins/auth');
const catalog = require('./plugins/catalog');
const kubernetes = require('./plugins/kubernetes');
const permission = require('./plugins/permission');
const progressiveDelivery = require('./plugins/progressiveDelivery');

function makeCreateEnv(config) {
  const root = getRootLogger();
  const reader = UrlReaders.default({ logger: root, config });
  const discovery = HostDiscovery.fromConfig(config);
  const cacheManager = CacheManager.fromConfig(config);
  const databaseManager = DatabaseManager.fromConfig(config, { logger: root });
  const tokenManager = ServerTokenManager.fromConfig(config, { logger: root });
  const taskScheduler = TaskScheduler.fromConfig(config, { databaseManager });
  const identity = DefaultIdentityClient.create({
    discovery,
    issuer: undefined,
  });
  const permissions = ServerPermissionClient.fromConfig(config, {
    discovery,
    tokenManager,
  });

  return plugin => {
    const logger = root.child({ type: 'plugin', plugin });
    return {
      logger,
      cache: cacheManager.forPlugin(plugin),
      database: databaseManager.forPlugin(plugin),
      config,
      reader,
      discovery,
      tokenManager,
      scheduler: taskScheduler.forPlugin(plugin),
      permissions,
      identity,
    };
  };
}

async function main() {
  const config = await loadBackendConfig({
    argv: process.argv,
    logger: getRootLogger(),
  });
  const createEnv = makeCreateEnv(config);

  const apiRouter = Router();
  apiRouter.use(
    '/catalog',
    await catalog(useHotMemoize(module, () => createEnv('catalog'))),
  );
  apiRouter.use('/auth', await auth(createEnv('auth')));
  apiRouter.use('/permission', await permission(createEnv('permission')));
  apiRouter.use('/kubernetes', await kubernetes(createEnv('kubernetes')));
  apiRouter.use(
    '/progressive-delivery',
    await progressiveDelivery(createEnv('progressive-delivery')),
  );
  apiRouter.use(notFoundHandler());

  const service = createServiceBuilder(module)
    .loadConfig(config)
    .addRouter('/api', apiRouter)
    .addRouter('', await app(createEnv('app')));

  await service.start().catch(err => {
    getRootLogger().error(err);
    process.exit(1);
  });
}

module.hot?.accept();
main().catch(error => {
  console.error('Backend failed to start up', error);
  process.exit(1);
});
