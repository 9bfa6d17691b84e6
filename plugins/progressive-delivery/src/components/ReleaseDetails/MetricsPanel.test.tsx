import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { progressiveDeliveryApiRef } from '../../api';
import {
  createCanarySummary,
  createListResponse,
  FakeProgressiveDeliveryApi,
} from '../../testing';
import { MetricsPanel } from './MetricsPanel';

describe('MetricsPanel', () => {
  it('keeps the PromQL folded away until asked for, with a copy button', async () => {
    const summary = createCanarySummary();
    const api = new FakeProgressiveDeliveryApi();
    api.list = createListResponse([summary]);
    await renderInTestApp(
      <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
        <MetricsPanel
          summary={summary}
          entityRef="component:default/hello-contour"
        />
      </TestApiProvider>,
    );
    const toggles = screen.getAllByText('PromQL query');
    expect(toggles).toHaveLength(2);
    const block = toggles[0].closest('details')!;
    expect(block).not.toHaveAttribute('open');
    await userEvent.click(toggles[0]);
    expect(block).toHaveAttribute('open');
    expect(
      within(block).getByText(summary.metrics[0].query!),
    ).toBeInTheDocument();
    expect(
      within(block).getByRole('button', {
        name: 'Copy the PromQL query of request-success-rate',
      }),
    ).toBeInTheDocument();
  });
});
