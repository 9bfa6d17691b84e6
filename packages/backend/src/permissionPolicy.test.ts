import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  progressiveDeliveryPromotePermission,
  progressiveDeliveryReadPermission,
  progressiveDeliveryRollbackPermission,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { OwnersSteerPolicy } from './permissionPolicy';

const user = {
  identity: {
    type: 'user' as const,
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/team-delivery'],
  },
  token: 'token',
  credentials: {} as any,
  info: {
    userEntityRef: 'user:default/guest',
    ownershipEntityRefs: ['user:default/guest', 'group:default/team-delivery'],
  },
};

describe('OwnersSteerPolicy', () => {
  const policy = new OwnersSteerPolicy();

  it('lets every signed-in user read releases and the catalog', async () => {
    for (const permission of [
      progressiveDeliveryReadPermission,
      catalogEntityReadPermission,
    ]) {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('lets only owners of the entity promote or roll back', async () => {
    for (const permission of [
      progressiveDeliveryPromotePermission,
      progressiveDeliveryRollbackPermission,
    ]) {
      expect(await policy.handle({ permission }, user)).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          rule: 'IS_ENTITY_OWNER',
          resourceType: 'catalog-entity',
          params: {
            claims: ['user:default/guest', 'group:default/team-delivery'],
          },
        },
      });
    }
  });

  it('gives a caller without identity no ownership claims', async () => {
    const decision = await policy.handle({
      permission: progressiveDeliveryPromotePermission,
    });
    expect(decision).toMatchObject({
      result: AuthorizeResult.CONDITIONAL,
      conditions: { params: { claims: [] } },
    });
  });
});
