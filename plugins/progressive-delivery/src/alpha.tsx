import CallSplitIcon from '@material-ui/icons/CallSplit';
import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import NotificationsActiveOutlined from '@material-ui/icons/NotificationsActiveOutlined';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isProgressiveDeliveryAvailable } from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef, ProgressiveDeliveryClient } from './api';
import { rootRouteRef, waitingRouteRef } from './routes';

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
 * The entity's Progressive Delivery tab, in the entity page's deployment group (beside the
 * Kubernetes tab), for the entities the annotation rule opts in.
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
 * The overview card: a summary of the entity's releases, for the same entities as the tab.
 * @alpha
 */
export const progressiveDeliveryEntityCard = EntityCardBlueprint.make({
  name: 'progressive-delivery',
  params: {
    filter: isProgressiveDeliveryAvailable,
    loader: () =>
      import('./components/ProgressiveDeliveryCard').then(m => (
        <m.ProgressiveDeliveryCard />
      )),
  },
});

/**
 * The "Waiting for you" page at `/progressive-delivery`; its title and icon make the app's
 * navigation list it (NavItemBlueprint is gone since frontend-plugin-api 0.17).
 *
 * @alpha
 */
export const progressiveDeliveryWaitingPage = PageBlueprint.make({
  name: 'waiting',
  params: {
    path: '/progressive-delivery',
    title: 'Waiting for you',
    icon: <NotificationsActiveOutlined />,
    routeRef: waitingRouteRef,
    loader: () =>
      import('./components/WaitingPage/WaitingPage').then(m => (
        <m.WaitingPageContent />
      )),
  },
});

/**
 * The Progressive Delivery plugin for the new frontend system.
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'progressive-delivery',
  title: 'Progressive Delivery',
  icon: <CallSplitIcon />,
  info: { packageJson: () => import('../package.json') },
  routes: { root: rootRouteRef, waiting: waitingRouteRef },
  extensions: [
    progressiveDeliveryApi,
    progressiveDeliveryEntityContent,
    progressiveDeliveryEntityCard,
    progressiveDeliveryWaitingPage,
  ],
});
