import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { progressiveDeliveryPermissions } from '@progressive-delivery/plugin-progressive-delivery-common';
import { buildRouter } from './router';
import { createServices } from './createServices';

/**
 * The Progressive Delivery backend plugin: watches Flagger canaries across the configured
 * clusters, summarizes them for catalog entities and answers Flagger's gate webhooks.
 *
 * @public
 */
export const progressiveDeliveryPlugin = createBackendPlugin({
  pluginId: 'progressive-delivery',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        userInfo: coreServices.userInfo,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        database: coreServices.database,
        cache: coreServices.cache,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        auth: coreServices.auth,
        instanceMetadata: coreServices.rootInstanceMetadata,
        // Always resolvable (its default factory calls the notifications backend over HTTP);
        // whether to use it depends on that backend being there (see createServices).
        notifications: notificationService,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(progressiveDeliveryPermissions);
        const services = await createServices({
          config: deps.config,
          logger: deps.logger,
          database: await deps.database.getClient(),
          catalog: deps.catalog,
          permissions: deps.permissions,
          auditor: deps.auditor,
          cache: deps.cache,
          scheduler: deps.scheduler,
          notifications: {
            service: deps.notifications,
            catalog: deps.catalog,
            credentials: () => deps.auth.getOwnServiceCredentials(),
            installedHere: (
              await deps.instanceMetadata.getInstalledPlugins()
            ).some(plugin => plugin.pluginId === 'notifications'),
          },
        });
        deps.lifecycle.addStartupHook(() => services.start());
        deps.lifecycle.addShutdownHook(() => services.stop());
        deps.httpRouter.use(
          buildRouter({
            services,
            httpAuth: deps.httpAuth,
            userInfo: deps.userInfo,
          }),
        );
        // Flagger calls the gate and event webhooks and cannot send a Backstage token.
        deps.httpRouter.addAuthPolicy({
          path: '/webhooks',
          allow: 'unauthenticated',
        });
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
