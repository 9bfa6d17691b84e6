import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  CanarySummary,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../../api';
import {
  createCanarySummary,
  createDetailsResponse,
  createListResponse,
  FakeProgressiveDeliveryApi,
} from '../../testing';
import { CanaryDetails, concernsCanary } from './CanaryDetails';

function setUp(summary: CanarySummary) {
  const api = new FakeProgressiveDeliveryApi();
  api.list = createListResponse([summary]);
  let loads = 0;
  api.details = () => {
    loads++;
    return createDetailsResponse(summary);
  };
  const wrap = (message?: StreamMessage) => (
    <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
      <CanaryDetails
        summary={summary}
        entityRef="component:default/hello-contour"
        lastMessage={message}
      />
    </TestApiProvider>
  );
  return { api, wrap, loads: () => loads };
}

describe('CanaryDetails', () => {
  it('has tabs that name their panels, and shows the history with its columns', async () => {
    const summary = createCanarySummary();
    const { wrap } = setUp(summary);
    await renderInTestApp(wrap());
    const tabs = screen.getByRole('tablist', {
      name: 'Details of hello-contour',
    });
    expect(
      within(tabs)
        .getAllByRole('tab')
        .map(t => t.textContent),
    ).toEqual(['Analysis', 'Events', 'History', 'YAML']);
    await userEvent.click(within(tabs).getByRole('tab', { name: 'History' }));
    const panel = screen.getByRole('tabpanel');
    expect(panel).toHaveAccessibleName('History');
    const table = await within(panel).findByRole('table', {
      name: 'Rollout history, newest first',
    });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map(h => h.textContent),
    ).toEqual(['Outcome', 'Images', 'Started', 'Reason and decisions']);
    expect(within(table).getByText('podinfo:6.6.9')).toHaveAttribute(
      'title',
      'ghcr.io/stefanprodan/podinfo:6.6.9',
    );
  });

  it('reloads its details when a stream message concerns this canary', async () => {
    const summary = createCanarySummary();
    const { wrap, loads } = setUp(summary);
    const { rerender } = await renderInTestApp(wrap());
    await screen.findByRole('tab', { name: 'Analysis' });
    await waitFor(() => expect(loads()).toBeGreaterThan(0));
    const initial = loads();
    rerender(
      wrap({
        type: 'canary-changed',
        ref: { cluster: 'prod', namespace: 'tap-apps', name: 'hello-contour' },
        at: '1',
      }),
    );
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(loads()).toBe(initial);
    rerender(wrap({ type: 'canary-changed', ref: summary.ref, at: '2' }));
    await waitFor(() => expect(loads()).toBe(initial + 1));
  });

  it('knows which stream messages concern a canary', () => {
    const summary = createCanarySummary();
    expect(
      concernsCanary(
        { type: 'cluster-changed', cluster: 'dev', at: '' },
        summary,
      ),
    ).toBe(true);
    expect(
      concernsCanary(
        { type: 'cluster-changed', cluster: 'prod', at: '' },
        summary,
      ),
    ).toBe(false);
    expect(concernsCanary(undefined, summary)).toBe(false);
  });
});
