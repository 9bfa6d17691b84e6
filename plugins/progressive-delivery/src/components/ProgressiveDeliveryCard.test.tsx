import { screen } from '@testing-library/react';
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
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
    annotations: { 'progressive-delivery/canaries': 'tap-apps/hello-gated' },
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
    expect(screen.getByText(/Canary 60% · Primary 40%/)).toBeInTheDocument();
    expect(
      screen.getByText('Rolled back: request-success-rate 60.00% < 99%'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/in prod\/tap-apps \(stale: cluster unreachable\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /Open releases/ }),
    ).toBeInTheDocument();
  });

  it("explains a malformed annotation in the backend's words, not as a failed request", async () => {
    const api = new FakeProgressiveDeliveryApi();
    const message =
      'Annotation progressive-delivery/canaries has "hello-gated"; expected [<cluster>/]<namespace>/<name>[,...], for example "prod/payments/checkout"';
    api.list = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: { name: 'InputError', message },
          request: { method: 'GET', url: '/canaries' },
          response: { statusCode: 400 },
        }),
        { status: 400, headers: { 'Content-Type': 'application/json' } },
      ) as any,
    );
    await renderInTestApp(
      <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
        <EntityProvider entity={entity}>
          <ProgressiveDeliveryCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      await screen.findByText(
        "The entity's progressive-delivery annotations need fixing",
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(message)).toBeInTheDocument();
    expect(
      screen.queryByText('Could not load the canaries'),
    ).not.toBeInTheDocument();
  });
});
