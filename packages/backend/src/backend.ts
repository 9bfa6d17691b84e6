import { createBackend } from '@backstage/backend-defaults';
import { progressiveDeliveryActionsModule } from '@progressive-delivery/plugin-progressive-delivery-backend';
import { permissionPolicyModule } from './permissionPolicy';

/**
 * The portal's backend with every plugin and module it runs, not yet started: index.ts starts
 * it as is, and the benchmark adds its own plugin beside them first.
 */
export function createPortalBackend() {
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

  return backend;
}
