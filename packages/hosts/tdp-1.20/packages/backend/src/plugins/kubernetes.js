const { KubernetesBuilder } = require('@backstage/plugin-kubernetes-backend');
const { CatalogClient } = require('@backstage/catalog-client');

module.exports = async function createPlugin(env) {
  const catalogApi = new CatalogClient({ discoveryApi: env.discovery });
  const { router } = await KubernetesBuilder.createBuilder({
    logger: env.logger,
    config: env.config,
    catalogApi,
    discovery: env.discovery,
    permissions: env.permissions,
  }).build();
  return router;
};
