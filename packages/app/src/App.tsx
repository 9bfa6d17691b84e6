import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import progressiveDeliveryPlugin from '@progressive-delivery/plugin-progressive-delivery/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

export default createApp({
  features: [
    catalogPlugin,
    kubernetesPlugin,
    progressiveDeliveryPlugin,
    navModule,
    signInModule,
  ],
});
