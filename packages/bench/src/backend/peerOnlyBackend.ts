/*
 * The portal backend without our plugin: used only while
 * `plugins/progressive-delivery-backend` has no entry point yet, so the benchmark can still
 * measure the peer (Backstage's Kubernetes backend). Same modules and order as
 * packages/backend/src/index.ts otherwise.
 */
import { createBackend } from '@backstage/backend-defaults';
// The portal's own permission policy, so the peer is authorized exactly as in the real backend.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { permissionPolicyModule } from '../../../backend/src/permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-kubernetes-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionPolicyModule);

backend.start();
