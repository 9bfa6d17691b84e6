import React from 'react';
import Grid from '@material-ui/core/Grid';
import {
  EntityAboutCard,
  EntityLayout,
  EntitySwitch,
  isKind,
} from '@backstage/plugin-catalog';
import {
  EntityKubernetesContent,
  isKubernetesAvailable,
} from '@backstage/plugin-kubernetes';
import {
  EntityProgressiveDeliveryContent,
  isProgressiveDeliveryAvailable,
} from '@progressive-delivery/plugin-progressive-delivery';

/**
 * What TDP's `EntityPageSurface.servicePage.addTab(...)` receives from the README's frontend
 * wrapper: exactly that `EntityLayout.Route`, placed among the service page's tabs.
 */
const progressiveDeliveryTab = (
  <EntityLayout.Route
    path="/progressive-delivery"
    title="Progressive Delivery"
    if={isProgressiveDeliveryAvailable}
  >
    <EntityProgressiveDeliveryContent />
  </EntityLayout.Route>
);

const servicePage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      <Grid container spacing={3} alignItems="stretch">
        <Grid item md={6} xs={12}>
          <EntityAboutCard />
        </Grid>
      </Grid>
    </EntityLayout.Route>
    <EntityLayout.Route
      path="/kubernetes"
      title="Kubernetes"
      if={isKubernetesAvailable}
    >
      <EntityKubernetesContent refreshIntervalMs={10000} />
    </EntityLayout.Route>
    {progressiveDeliveryTab}
  </EntityLayout>
);

const defaultPage = (
  <EntityLayout>
    <EntityLayout.Route path="/" title="Overview">
      <Grid container spacing={3}>
        <Grid item md={6} xs={12}>
          <EntityAboutCard />
        </Grid>
      </Grid>
    </EntityLayout.Route>
  </EntityLayout>
);

export const entityPage = (
  <EntitySwitch>
    <EntitySwitch.Case if={isKind('component')} children={servicePage} />
    <EntitySwitch.Case>{defaultPage}</EntitySwitch.Case>
  </EntitySwitch>
);
