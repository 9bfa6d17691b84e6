import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isProgressiveDeliveryAvailable } from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef, ProgressiveDeliveryClient } from './api';
import { rootRouteRef } from './routes';

/**
 * The API extension that provides `ProgressiveDeliveryClient` under `progressiveDeliveryApiRef`.
 *
 * @alpha
 */
export const progressiveDeliveryApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: progressiveDeliveryApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ProgressiveDeliveryClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The entity tab "Progressive Delivery" (group `deployment`), shown for entities that opted in.
 *
 * @alpha
 */
export const progressiveDeliveryEntityContent = EntityContentBlueprint.make({
  name: 'progressive-delivery',
  params: {
    path: '/progressive-delivery',
    title: 'Progressive Delivery',
    group: 'deployment',
    filter: isProgressiveDeliveryAvailable,
    loader: () =>
      import('./components/ProgressiveDeliveryContent').then(m => (
        <m.ProgressiveDeliveryContent />
      )),
  },
});

/**
 * The entity overview card listing the canaries, shown for entities that opted in.
 *
 * @alpha
 */
export const progressiveDeliveryEntityCard = EntityCardBlueprint.make({
  name: 'progressive-delivery',
  params: {
    filter: isProgressiveDeliveryAvailable,
    loader: () =>
      import('./components/ProgressiveDeliveryCard').then(m => <m.ProgressiveDeliveryCard />),
  },
});

/**
 * The Progressive Delivery plugin for the new frontend system.
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'progressive-delivery',
  routes: { root: rootRouteRef },
  extensions: [progressiveDeliveryApi, progressiveDeliveryEntityContent, progressiveDeliveryEntityCard],
});
