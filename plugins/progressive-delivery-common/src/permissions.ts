import {
  createPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { CanaryAction } from './canary';

/**
 * Permissions are resource permissions on the catalog entity, so policies can use the
 * catalog's conditions (for example "owners may promote").
 *
 * @public
 */
export const progressiveDeliveryReadPermission = createPermission({
  name: 'progressive-delivery.canary.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Promote a canary waiting at the confirm-promotion gate.
 *
 * @public
 */
export const progressiveDeliveryPromotePermission = createPermission({
  name: 'progressive-delivery.canary.promote',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Roll a canary back through the rollback gate.
 *
 * @public
 */
export const progressiveDeliveryRollbackPermission = createPermission({
  name: 'progressive-delivery.canary.rollback',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Pause and resume traffic increases, and approve the start of a rollout.
 *
 * @public
 */
export const progressiveDeliveryPausePermission = createPermission({
  name: 'progressive-delivery.canary.pause',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Let a new revision start its rollout through the confirm-rollout gate.
 *
 * @public
 */
export const progressiveDeliveryApproveRolloutPermission = createPermission({
  name: 'progressive-delivery.canary.approve-rollout',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Every permission of the plugin, for a permission policy or `permissionIntegrationRouter`.
 *
 * @public
 */
export const progressiveDeliveryPermissions = [
  progressiveDeliveryReadPermission,
  progressiveDeliveryPromotePermission,
  progressiveDeliveryRollbackPermission,
  progressiveDeliveryPausePermission,
  progressiveDeliveryApproveRolloutPermission,
];

/**
 * The permission each action requires.
 *
 * @public
 */
export const permissionForAction: Record<
  CanaryAction,
  ResourcePermission<'catalog-entity'>
> = {
  promote: progressiveDeliveryPromotePermission,
  rollback: progressiveDeliveryRollbackPermission,
  pause: progressiveDeliveryPausePermission,
  resume: progressiveDeliveryPausePermission,
  'approve-rollout': progressiveDeliveryApproveRolloutPermission,
};
