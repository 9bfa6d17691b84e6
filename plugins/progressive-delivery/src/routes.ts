import { createRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'progressive-delivery' });

/** The "Waiting for you" page. */
export const waitingRouteRef = createRouteRef({
  id: 'progressive-delivery:waiting',
});
