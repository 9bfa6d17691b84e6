const { CatalogBuilder } = require('@backstage/plugin-catalog-backend');

module.exports = async function createPlugin(env) {
  const builder = await CatalogBuilder.create(env);
  const { processingEngine, router } = await builder.build();
  await processingEngine.start();
  return router;
};
