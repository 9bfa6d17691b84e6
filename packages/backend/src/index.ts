import { createBackend } from '@backstage/backend-defaults';
import { progressiveDeliveryActionsModule } from '@progressive-delivery/plugin-progressive-delivery-backend';
import { permissionPolicyModule } from './permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage/plugin-mcp-actions-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
backend.add(permissionPolicyModule);
backend.add(
  import('@progressive-delivery/plugin-progressive-delivery-backend'),
);
backend.add(progressiveDeliveryActionsModule);

backend.start();
