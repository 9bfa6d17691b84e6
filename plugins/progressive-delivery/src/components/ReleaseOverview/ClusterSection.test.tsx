import { screen } from '@testing-library/react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  CanarySummary,
  ClusterStatus,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  createClusterStatus,
  createWaitingPromotionSummary,
  FakeProgressiveDeliveryApi,
  minutesAgo,
} from '../../testing';
import { ClusterSection } from './ClusterSection';

async function renderSection(
  cluster: ClusterStatus | undefined,
  canaries: CanarySummary[],
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [progressiveDeliveryApiRef, new FakeProgressiveDeliveryApi()],
        [permissionApiRef, mockApis.permission()],
      ]}
    >
      <ClusterSection
        name="dev"
        cluster={cluster}
        canaries={canaries}
        entityRef="component:default/hello-gated"
      />
    </TestApiProvider>,
  );
}

describe('ClusterSection', () => {
  it('names the cluster, says it is connected and shows a row per canary', async () => {
    const summary = createWaitingPromotionSummary();
    await renderSection(createClusterStatus({ title: 'Development' }), [
      summary,
    ]);
    expect(screen.getByText('Cluster Development')).toBeInTheDocument();
    expect(screen.getByText(/^Connected · synced/)).toBeInTheDocument();
    expect(
      screen.getByRole('region', { name: `${summary.ref.name} in dev` }),
    ).toBeInTheDocument();
  });

  it('says a cluster is unreachable, why, and that the canaries show the state of the last contact', async () => {
    await renderSection(
      createClusterStatus({
        status: 'error',
        error: 'connect ECONNREFUSED 10.0.0.1:6443',
        lastSyncAt: minutesAgo(10),
      }),
      [createWaitingPromotionSummary({ fresh: false })],
    );
    expect(screen.getByText('Unreachable')).toBeInTheDocument();
    expect(screen.getByText('Cannot reach cluster dev')).toBeInTheDocument();
    expect(
      screen.getByText(
        /connect ECONNREFUSED 10\.0\.0\.1:6443 Last contact .*; canaries below show the state from then\./,
      ),
    ).toBeInTheDocument();
  });

  it('says metrics are unavailable when Prometheus does not answer, and when the cluster has no canaries', async () => {
    await renderSection(
      createClusterStatus({
        prometheus: { status: 'error', error: 'timeout after 5s' },
      }),
      [],
    );
    expect(
      screen.getByText(
        'Prometheus for cluster dev does not answer: metrics are unavailable',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /timeout after 5s Phases, traffic and events still come from Kubernetes\./,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('No canaries of this entity in this cluster.'),
    ).toBeInTheDocument();
  });

  it('says the cluster status is unknown when the backend sent none', async () => {
    await renderSection(undefined, []);
    expect(screen.getByText('Cluster status unknown')).toBeInTheDocument();
  });
});
