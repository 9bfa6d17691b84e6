import type { ProgressiveDeliveryCardProps } from './components/ProgressiveDeliveryCard';
import type { ProgressiveDeliveryContentProps } from './components/ProgressiveDeliveryContent';
import type { WaitingPageProps } from './components/WaitingPage/WaitingPage';
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { progressiveDeliveryApiRef, ProgressiveDeliveryClient } from './api';
import { rootRouteRef, waitingRouteRef } from './routes';

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
  routes: { root: rootRouteRef, waiting: waitingRouteRef },
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

/**
 * The "Waiting for you" page: across the catalog, the releases waiting for the signed-in user's
 * decision, those failed in the last day and those in progress. Mount it on a route of the app,
 * e.g. `<Route path="/progressive-delivery" element={<ProgressiveDeliveryWaitingPage />} />`.
 *
 * @public
 */
export const ProgressiveDeliveryWaitingPage: (
  props: WaitingPageProps,
) => JSX.Element = progressiveDeliveryPlugin.provide(
  createRoutableExtension({
    name: 'ProgressiveDeliveryWaitingPage',
    component: () =>
      import('./components/WaitingPage/WaitingPage').then(m => m.WaitingPage),
    mountPoint: waitingRouteRef,
  }),
);
