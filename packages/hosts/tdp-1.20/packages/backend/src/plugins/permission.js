const { createRouter } = require('@backstage/plugin-permission-backend');
const {
  AuthorizeResult,
  isResourcePermission,
} = require('@backstage/plugin-permission-common');
const {
  catalogConditions,
  createCatalogConditionalDecision,
} = require('@backstage/plugin-catalog-backend/alpha');
const {
  progressiveDeliveryPermissions,
} = require('@progressive-delivery/plugin-progressive-delivery-common');

const steeringPermissionNames = new Set(
  progressiveDeliveryPermissions
    .filter(permission => permission.attributes.action === 'update')
    .map(permission => permission.name),
);

/**
 * The repository portal's policy (packages/backend/src/permissionPolicy.ts) in Backstage 1.20's
 * API, where a policy receives the user's `BackstageIdentityResponse`: everyone signed in may
 * look, only an entity's owners may steer its releases or delete it.
 */
class OwnersSteerPolicy {
  async handle(request, user) {
    const permission = request.permission;
    const ownerOnly =
      steeringPermissionNames.has(permission.name) ||
      permission.attributes.action === 'delete';
    if (ownerOnly && isResourcePermission(permission, 'catalog-entity')) {
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({
          claims: user?.identity.ownershipEntityRefs ?? [],
        }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

module.exports = async function createPlugin(env) {
  return createRouter({
    config: env.config,
    logger: env.logger,
    discovery: env.discovery,
    policy: new OwnersSteerPolicy(),
    identity: env.identity,
  });
};
