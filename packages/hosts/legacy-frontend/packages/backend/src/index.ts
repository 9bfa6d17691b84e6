/*
 * The backend `create-app` makes (new backend system), with the plugins this host needs:
 * app, proxy, auth (guest), catalog, kubernetes, permission with the owners-may-steer policy,
 * and Progressive Delivery from its tarball.
 */

import { createBackend } from '@backstage/backend-defaults';
import { permissionPolicyModule } from './permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/auth/guest/provider
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin: everyone may read, only an entity's owners may steer its releases
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionPolicyModule);

// kubernetes plugin
backend.add(import('@backstage/plugin-kubernetes-backend'));

// progressive delivery plugin
backend.add(
  import('@progressive-delivery/plugin-progressive-delivery-backend'),
);

backend.start();
