/*
 * A backend with only this plugin, for `npm start` in this package (backstage-cli package start).
 * Clusters come from the repository's app-config.yaml (the sandbox's dev and prod); the catalog is
 * an in-memory one holding the sandbox's sample components, so no catalog backend is needed.
 * Requests without a token act as `user:default/mock`, and every permission is allowed.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

const component = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': name },
  },
  spec: {
    type: 'service',
    lifecycle: 'experimental',
    owner: 'group:default/team-delivery',
  },
});

const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(mockServices.userInfo.factory());
backend.add(mockServices.permissions.factory());
backend.add(
  catalogServiceMock.factory({
    entities: ['hello-contour', 'hello-bluegreen', 'hello-gated'].map(
      component,
    ),
  }),
);
backend.add(import('../src'));
backend.start();
