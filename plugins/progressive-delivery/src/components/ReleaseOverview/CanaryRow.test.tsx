import { act, screen, within } from '@testing-library/react';
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

async function renderRow(
  summary: CanarySummary,
  options: { deferred?: boolean } = {},
) {
  const api = new FakeProgressiveDeliveryApi();
  api.list = createListResponse([summary]);
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [progressiveDeliveryApiRef, api],
        [permissionApiRef, mockApis.permission()],
      ]}
    >
      <CanaryRow
        summary={summary}
        entityRef="component:default/hello-gated"
        deferred={options.deferred}
      />
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

  describe('deferred', () => {
    // jsdom has no IntersectionObserver: a small stand-in that the test tells what is in view.
    const observers: FakeIntersectionObserver[] = [];
    class FakeIntersectionObserver {
      readonly targets: Element[] = [];
      constructor(
        readonly callback: IntersectionObserverCallback,
        readonly options?: IntersectionObserverInit,
      ) {
        observers.push(this);
      }
      observe(target: Element) {
        this.targets.push(target);
      }
      disconnect() {
        this.targets.length = 0;
      }
      comeIntoView() {
        this.callback(
          this.targets.map(target => ({ target, isIntersecting: true } as any)),
          this as any,
        );
      }
    }
    beforeEach(() => {
      observers.length = 0;
      (window as any).IntersectionObserver = FakeIntersectionObserver;
    });
    afterEach(() => {
      delete (window as any).IntersectionObserver;
    });

    it('shows only its header until it comes near the view, then the whole row in the same section', async () => {
      await renderRow(createWaitingPromotionSummary(), { deferred: true });
      const row = screen.getByRole('region', { name: 'hello-gated in dev' });
      expect(
        within(row).getByRole('heading', { name: 'hello-gated' }),
      ).toBeInTheDocument();
      expect(within(row).queryByRole('button')).not.toBeInTheDocument();
      expect(observers).toHaveLength(1);
      expect(observers[0].targets).toEqual([row]);
      expect(observers[0].options?.rootMargin).toBe('1500px 0px');

      row.focus();
      act(() => observers[0].comeIntoView());

      expect(
        within(row).getByRole('button', { name: 'Promote' }),
      ).toBeInTheDocument();
      expect(screen.getByRole('region', { name: 'hello-gated in dev' })).toBe(
        row,
      );
      expect(row).toHaveFocus();
      expect(observers[0].targets).toEqual([]);
    });

    it('is whole at once where the browser cannot tell what is in view', async () => {
      delete (window as any).IntersectionObserver;
      await renderRow(createWaitingPromotionSummary(), { deferred: true });
      expect(
        screen.getByRole('button', { name: 'Promote' }),
      ).toBeInTheDocument();
    });
  });
});
