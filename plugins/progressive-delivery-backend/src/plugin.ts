import {
  coreServices,
  createBackendModule,
  createBackendPlugin,
  createExtensionPoint,
} from '@backstage/backend-plugin-api';
import {
  actionsRegistryServiceRef,
  ActionsRegistryService,
} from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { progressiveDeliveryPermissions } from '@progressive-delivery/plugin-progressive-delivery-common';
import { registerAgentActions } from './agentActions';
import { buildRouter } from './router';
import { createServices } from './createServices';

/**
 * Where {@link progressiveDeliveryActionsModule} hands the plugin the actions registry. A
 * module, not a dependency of the plugin: hosts older than the registry have none to give.
 *
 * @alpha
 */
export interface ProgressiveDeliveryActionsExtensionPoint {
  /** Registers the plugin's actions (list, describe, steer releases) in this registry. */
  useActionsRegistry(registry: ActionsRegistryService): void;
}

/**
 * The extension point of {@link ProgressiveDeliveryActionsExtensionPoint}.
 *
 * @alpha
 */
export const progressiveDeliveryActionsExtensionPoint =
  createExtensionPoint<ProgressiveDeliveryActionsExtensionPoint>({
    id: 'progressive-delivery.actions',
  });

/**
 * The Progressive Delivery backend plugin: watches Flagger canaries across the configured
 * clusters, summarizes them for catalog entities and answers Flagger's gate webhooks.
 *
 * @public
 */
export const progressiveDeliveryPlugin = createBackendPlugin({
  pluginId: 'progressive-delivery',
  register(env) {
    const registries: ActionsRegistryService[] = [];
    env.registerExtensionPoint(progressiveDeliveryActionsExtensionPoint, {
      useActionsRegistry(registry) {
        registries.push(registry);
      },
    });
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
          userInfo: deps.userInfo,
          cache: deps.cache,
          scheduler: deps.scheduler,
          catalogLister: deps.catalog,
          notifications: {
            service: deps.notifications,
            credentials: () => deps.auth.getOwnServiceCredentials(),
            installedHere: (
              await deps.instanceMetadata.getInstalledPlugins()
            ).some(plugin => plugin.pluginId === 'notifications'),
          },
        });
        for (const actionsRegistry of registries)
          registerAgentActions({
            actionsRegistry,
            services,
            userInfo: deps.userInfo,
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

/**
 * Registers the plugin's actions (list, describe, what waits for me, promote, roll back, pause,
 * resume, approve a rollout) with Backstage's actions registry, where the MCP actions backend
 * offers them to AI agents. Add it beside the plugin on hosts that have the registry.
 *
 * @alpha
 */
export const progressiveDeliveryActionsModule = createBackendModule({
  pluginId: 'progressive-delivery',
  moduleId: 'actions',
  register(env) {
    env.registerInit({
      deps: {
        actionsRegistry: actionsRegistryServiceRef,
        actions: progressiveDeliveryActionsExtensionPoint,
      },
      async init({ actionsRegistry, actions }) {
        actions.useActionsRegistry(actionsRegistry);
      },
    });
  },
});
