import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { progressiveDeliveryApiRef } from '../../api';
import {
  createClusterStatus,
  createWaitingRelease,
  createWaitingResponse,
  FakeProgressiveDeliveryApi,
  minutesAgo,
} from '../../testing';
import { absoluteTime } from '../../utils/format';
import { WaitingPage, WaitingPageContent } from './WaitingPage';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

function render(api: FakeProgressiveDeliveryApi, element = <WaitingPage />) {
  return renderInTestApp(
    <TestApiProvider apis={[[progressiveDeliveryApiRef, api]]}>
      {element}
    </TestApiProvider>,
    { mountedRoutes },
  );
}

const section = (name: RegExp) => screen.getByRole('region', { name });

describe('WaitingPage', () => {
  it('shows the three sections in order, each row linking to the entity tab', async () => {
    const api = new FakeProgressiveDeliveryApi();
    const since = minutesAgo(12);
    api.waiting = createWaitingResponse({
      waiting: [createWaitingRelease({ since })],
      failed: [
        createWaitingRelease({
          section: 'failed',
          entity: {
            ref: 'component:default/hello-contour',
            kind: 'Component',
            namespace: 'default',
            name: 'hello-contour',
          },
          canary: {
            cluster: 'prod',
            namespace: 'tap-apps',
            name: 'hello-contour',
          },
          state: {
            kind: 'failed',
            tone: 'error',
            headline: 'Rolled back: request-success-rate 91.20% < 99%',
          },
          actions: [],
        }),
      ],
      inProgress: [
        createWaitingRelease({
          section: 'in-progress',
          entity: {
            ref: 'component:default/payments-gated',
            kind: 'Component',
            namespace: 'default',
            name: 'payments-gated',
          },
          canary: {
            cluster: 'prod',
            namespace: 'tap-apps',
            name: 'hello-gated',
          },
          actions: [],
          cannotAct:
            'You may not decide this gate: Promote on component:default/payments-gated needs progressive-delivery.canary.promote.',
        }),
      ],
    });
    await render(api);

    const headings = await screen.findAllByRole('heading', { level: 3 });
    expect(headings.map(h => h.textContent)).toEqual([
      'Waiting for your decision (1)',
      'Failed in the last 24 hours (1)',
      'In progress (1)',
    ]);
    const waiting = within(section(/Waiting for your decision/));
    expect(
      waiting.getByRole('link', {
        name: /Hello \(gated\) \(component:default\/hello-gated\)/,
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/hello-gated/progressive-delivery',
    );
    expect(waiting.getByText('dev')).toBeInTheDocument();
    expect(waiting.getByText('tap-apps/hello-gated')).toBeInTheDocument();
    expect(
      waiting.getByText('Waiting for promotion approval'),
    ).toBeInTheDocument();
    expect(waiting.getByText('Promote, Roll back')).toBeInTheDocument();
    const time = waiting.getByText('12 minutes ago');
    expect(time).toHaveAttribute('title', absoluteTime(since));
    expect(time).toHaveAttribute('dateTime', since);

    const failed = within(section(/Failed in the last 24 hours/));
    expect(
      failed.getByText('Rolled back: request-success-rate 91.20% < 99%'),
    ).toBeInTheDocument();
    const inProgress = within(section(/In progress/));
    expect(inProgress.getByText('Nothing')).toBeInTheDocument();
    expect(
      inProgress.getByText(
        /You may not decide this gate: Promote on component:default\/payments-gated/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Waiting for you', level: 1 }),
    ).toBeInTheDocument();
  });

  it('switches to everything the user may read and back', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.waiting = scope =>
      createWaitingResponse({
        scope,
        waiting:
          scope === 'readable'
            ? [
                createWaitingRelease({
                  entity: {
                    ref: 'component:default/other',
                    kind: 'Component',
                    namespace: 'default',
                    name: 'other',
                  },
                }),
              ]
            : [],
      });
    await render(api);
    expect(
      await screen.findByText(/^Nothing waits for you\./),
    ).toBeInTheDocument();

    fireEvent.click(
      screen.getByRole('checkbox', { name: 'Show everything I may read' }),
    );

    expect(
      await screen.findByRole('link', { name: /^other / }),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Releases of every entity you may read'),
    ).toBeInTheDocument();
    expect(api.calls.getWaiting).toEqual(['owned', 'readable']);
  });

  it('says what to do when the user owns no opted-in entity, and when sections are empty', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.waiting = createWaitingResponse({ entityCount: 0 });
    await render(api);
    expect(
      await screen.findByText(
        'You own no entity with Progressive Delivery annotations',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Turn on "Show everything I may read"/),
    ).toBeInTheDocument();
  });

  it('names the empty sections and warns about unreachable clusters and stale rows', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.waiting = createWaitingResponse({
      clusters: [
        createClusterStatus({ name: 'dev' }),
        createClusterStatus({ name: 'prod', status: 'error' }),
      ],
      inProgress: [
        createWaitingRelease({
          section: 'in-progress',
          fresh: false,
          actions: [],
        }),
      ],
    });
    await render(api);
    expect(
      await screen.findByText('Cluster prod unreachable'),
    ).toBeInTheDocument();
    expect(screen.getByText(/^Nothing waits for you\./)).toBeInTheDocument();
    expect(
      screen.getByText(
        'No release failed or was rolled back in the last 24 hours.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('Cluster unreachable: last known state'),
    ).toBeInTheDocument();
  });

  it('shows the backend error of the first load', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.waiting = new Error(
      'Invalid query: scope must be one of owned, readable',
    );
    await render(api);
    expect(
      await screen.findByText(/Could not load what waits for you/),
    ).toBeInTheDocument();
  });

  it('reloads on its own, keeping the last answer when a reload fails', async () => {
    jest.useFakeTimers();
    try {
      const api = new FakeProgressiveDeliveryApi();
      api.waiting = createWaitingResponse();
      await render(api, <WaitingPageContent refreshMs={1000} />);
      expect(
        await screen.findByText(/^Nothing waits for you\./),
      ).toBeInTheDocument();

      api.waiting = createWaitingResponse({
        waiting: [createWaitingRelease()],
      });
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      expect(
        await screen.findByText('Waiting for promotion approval'),
      ).toBeInTheDocument();

      api.waiting = new Error('Service Unavailable');
      await act(async () => {
        jest.advanceTimersByTime(1000);
      });
      await waitFor(() =>
        expect(screen.getByText('Could not refresh')).toBeInTheDocument(),
      );
      expect(
        screen.getByText('Waiting for promotion approval'),
      ).toBeInTheDocument();
      expect(api.calls.getWaiting.length).toBeGreaterThanOrEqual(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
