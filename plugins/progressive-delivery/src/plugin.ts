import type { ProgressiveDeliveryCardProps } from './components/ProgressiveDeliveryCard';
import type { ProgressiveDeliveryContentProps } from './components/ProgressiveDeliveryContent';
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { progressiveDeliveryApiRef, ProgressiveDeliveryClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The Progressive Delivery frontend plugin (legacy frontend system).
 *
 * @public
 */
export const progressiveDeliveryPlugin = createPlugin({
  id: 'progressive-delivery',
  apis: [
    createApiFactory({
      api: progressiveDeliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ProgressiveDeliveryClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * The "Progressive Delivery" entity tab; mount it in an `EntityLayout.Route`.
 *
 * @public
 */
export const EntityProgressiveDeliveryContent: (
  props: ProgressiveDeliveryContentProps,
) => JSX.Element = progressiveDeliveryPlugin.provide(
  createRoutableExtension({
    name: 'EntityProgressiveDeliveryContent',
    component: () =>
      import('./components/ProgressiveDeliveryContent').then(
        m => m.ProgressiveDeliveryContent,
      ),
    mountPoint: rootRouteRef,
  }),
);

/**
 * A small card with the entity's current releases, for the overview page.
 *
 * @public
 */
export const EntityProgressiveDeliveryCard: (
  props: ProgressiveDeliveryCardProps,
) => JSX.Element = progressiveDeliveryPlugin.provide(
  createComponentExtension({
    name: 'EntityProgressiveDeliveryCard',
    component: {
      lazy: () =>
        import('./components/ProgressiveDeliveryCard').then(
          m => m.ProgressiveDeliveryCard,
        ),
    },
  }),
);
