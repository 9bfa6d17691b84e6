import { screen } from '@testing-library/react';
import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { progressiveDeliveryApiRef } from '../api';
import {
  createFailedSummary,
  createListResponse,
  createWaitingPromotionSummary,
  FakeProgressiveDeliveryApi,
} from '../testing';
import { ProgressiveDeliveryCard } from './ProgressiveDeliveryCard';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-gated',
    namespace: 'default',
    annotations: { 'progressive-delivery/canaries': 'demo/hello-gated' },
  },
};

describe('ProgressiveDeliveryCard', () => {
  it('summarises the current releases and who they wait for', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.list = createListResponse([
      createWaitingPromotionSummary(),
      createFailedSummary({ fresh: false }),
    ]);
    await renderInTestApp(
      <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
        <EntityProvider entity={entity}>
          <ProgressiveDeliveryCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      await screen.findByText('Waiting for promotion approval'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Waiting for you: promotion approval'),
    ).toBeInTheDocument();
    expect(screen.getByText(/Canary 50% · Primary 50%/)).toBeInTheDocument();
    expect(
      screen.getByText('Rolled back: request-success-rate 91.20% < 99%'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/in prod\/demo \(stale: cluster unreachable\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open releases/ }),
    ).toBeInTheDocument();
  });
});
