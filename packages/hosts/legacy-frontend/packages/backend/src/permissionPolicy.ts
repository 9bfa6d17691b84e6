import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { progressiveDeliveryPermissions } from '@progressive-delivery/plugin-progressive-delivery-common';

const steeringPermissionNames = new Set(
  progressiveDeliveryPermissions
    .filter(permission => permission.attributes.action === 'update')
    .map(permission => permission.name),
);

/**
 * The local portal's policy: everyone signed in may look, only an entity's owners may steer
 * its releases (promote, roll back, pause, approve) or change and delete the entity.
 */
export class OwnersSteerPolicy implements PermissionPolicy {
  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const permission = request.permission;
    const ownerOnly =
      steeringPermissionNames.has(permission.name) ||
      permission.attributes.action === 'delete';
    if (ownerOnly && isResourcePermission(permission, 'catalog-entity')) {
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({
          claims: user?.info.ownershipEntityRefs ?? [],
        }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

export const permissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'owners-steer-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy(new OwnersSteerPolicy());
      },
    });
  },
});
