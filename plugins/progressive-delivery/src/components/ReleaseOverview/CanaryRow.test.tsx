import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { CanarySummary } from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  createListResponse,
  createSucceededSummary,
  createWaitingPromotionSummary,
  FakeProgressiveDeliveryApi,
} from '../../testing';
import { CanaryRow } from './CanaryRow';

async function renderRow(summary: CanarySummary) {
  const api = new FakeProgressiveDeliveryApi();
  api.list = createListResponse([summary]);
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [progressiveDeliveryApiRef, api],
        [permissionApiRef, mockApis.permission()],
      ]}
    >
      <CanaryRow summary={summary} entityRef="component:default/hello-gated" />
    </TestApiProvider>,
  );
}

describe('CanaryRow', () => {
  it('is a named region with an id the overview links to, and says who the release waits for', async () => {
    await renderRow(createWaitingPromotionSummary());
    const row = screen.getByRole('region', { name: 'hello-gated in dev' });
    expect(row).toHaveAttribute('id', 'pd-row-dev-tap-apps-hello-gated');
    expect(
      within(row).getByText('Waiting for you: promotion approval'),
    ).toBeInTheDocument();
    expect(
      within(row).getByRole('button', { name: 'Promote' }),
    ).toBeInTheDocument();
  });

  it('offers no buttons for a finished release, only the menu that says why', async () => {
    await renderRow(createSucceededSummary());
    const row = screen.getByRole('region', { name: 'hello-gated in dev' });
    const actions = within(row).getByRole('group', {
      name: 'Actions for hello-gated in dev',
    });
    expect(
      within(actions)
        .getAllByRole('button')
        .map(b => b.getAttribute('aria-label')),
    ).toEqual(['Other actions for hello-gated in dev, not possible now']);
    expect(within(row).getByText('Both')).toBeInTheDocument();
    expect(within(row).getByText('(no change)')).toBeInTheDocument();
  });

  it('opens and closes its details, which it names', async () => {
    await renderRow(createWaitingPromotionSummary());
    const toggle = screen.getByRole('button', {
      name: 'Details of hello-gated in dev',
    });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(toggle).toHaveAttribute(
      'aria-controls',
      'pd-row-dev-tap-apps-hello-gated-details',
    );
    await userEvent.click(toggle);
    expect(
      await screen.findByRole('tab', { name: 'Analysis' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', {
        name: 'Hide details of hello-gated in dev',
      }),
    ).toHaveAttribute('aria-expanded', 'true');
  });
});
