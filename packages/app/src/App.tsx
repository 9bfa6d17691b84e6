import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import signalsPlugin from '@backstage/plugin-signals/alpha';
import progressiveDeliveryPlugin from '@progressive-delivery/plugin-progressive-delivery/alpha';
import { navModule } from './modules/nav';
import { signInModule } from './modules/signIn';

export default createApp({
  features: [
    catalogPlugin,
    kubernetesPlugin,
    notificationsPlugin,
    signalsPlugin,
    progressiveDeliveryPlugin,
    navModule,
    signInModule,
  ],
});
