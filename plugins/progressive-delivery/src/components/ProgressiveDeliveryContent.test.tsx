import { screen, waitFor, within, act } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { ResponseError } from '@backstage/errors';
import { CanaryListResponse } from '@progressive-delivery/plugin-progressive-delivery-common';
import { progressiveDeliveryApiRef } from '../api';
import {
  createBlueGreenSummary,
  createCanarySummary,
  createClusterStatus,
  createFailedSummary,
  createListResponse,
  createWaitingPromotionSummary,
  FakeProgressiveDeliveryApi,
} from '../testing';
import { ProgressiveDeliveryContent } from './ProgressiveDeliveryContent';

const annotatedEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-contour',
    namespace: 'default',
    annotations: { 'progressive-delivery/workload-name': 'hello-contour' },
  },
  spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
};

async function renderTab(
  api: FakeProgressiveDeliveryApi,
  options: { entity?: Entity } = {},
) {
  const permissionApi = mockApis.permission();
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [progressiveDeliveryApiRef, api],
        [permissionApiRef, permissionApi],
      ]}
    >
      <EntityProvider entity={options.entity ?? annotatedEntity}>
        <ProgressiveDeliveryContent
          liveUpdates={{ debounceMs: 10, fallbackPollMs: 60_000 }}
        />
      </EntityProvider>
    </TestApiProvider>,
  );
}

function withList(list: CanaryListResponse) {
  const api = new FakeProgressiveDeliveryApi();
  api.list = list;
  return api;
}

describe('ProgressiveDeliveryContent', () => {
  it('shows a progress indicator while loading', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.list = () => new Promise(() => {});
    await renderTab(api);
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });

  it('teaches the annotations when the entity has none, without calling the backend', async () => {
    const api = new FakeProgressiveDeliveryApi();
    await renderTab(api, {
      entity: {
        ...annotatedEntity,
        metadata: { name: 'bare', namespace: 'default' },
      },
    });
    expect(
      screen.getByText('Connect this entity to its Flagger canaries'),
    ).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'progressive-delivery/workload-name: bare',
    );
    expect(document.body.textContent).toContain(
      'progressive-delivery/canaries: prod/bare/bare,dev/bare/bare',
    );
    expect(api.calls.getCanaries).toEqual([]);
  });

  it('says where it looked when no canaries are found', async () => {
    const api = withList(
      createListResponse([], {
        clusters: [
          createClusterStatus({ name: 'dev' }),
          createClusterStatus({
            name: 'prod',
            status: 'error',
            error: 'connect ECONNREFUSED 10.0.0.9:6443',
          }),
        ],
        selector: {
          workloadNames: ['hello-contour'],
          canaries: [],
          namespace: 'tap-apps',
        },
      }),
    );
    await renderTab(api);
    expect(
      await screen.findByText('No canaries found for this entity'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Canaries whose target or workload is named hello-contour in namespace tap-apps',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('dev: searched')).toBeInTheDocument();
    expect(
      screen.getByText(
        'prod: unreachable (connect ECONNREFUSED 10.0.0.9:6443), not searched',
      ),
    ).toBeInTheDocument();
  });

  it('shows a progressing canary with its traffic weight, step, checks, images and timing', async () => {
    const api = withList(
      createListResponse([
        createCanarySummary({ checks: { failedChecks: 1, threshold: 5 } }),
      ]),
    );
    await renderTab(api);
    expect(await screen.findByText('Analysis in progress')).toBeInTheDocument();
    expect(screen.getByText('Cluster dev')).toBeInTheDocument();
    expect(screen.getByText('Canary 40% · Primary 60%')).toBeInTheDocument();
    expect(
      screen.getByText('Step 2 of 3, promotes after 60%'),
    ).toBeInTheDocument();
    const bar = screen.getByRole('progressbar', {
      name: 'Share of traffic on the canary',
    });
    expect(bar).toHaveAttribute('aria-valuenow', '40');
    expect(
      screen.getByText(/1 of 5 \(rolls back at the threshold\)/),
    ).toBeInTheDocument();
    expect(
      screen.getByText('under a minute if every check passes'),
    ).toBeInTheDocument();
    // 30 s before NOW, which was taken when the fixtures loaded; a busy machine adds seconds.
    expect(screen.getByText(/^3\d seconds ago$/)).toBeInTheDocument();
    // The differing tag is marked on both sides.
    const marks = document.querySelectorAll('mark');
    expect(Array.from(marks).map(mark => mark.textContent)).toEqual([
      'v1',
      'v2',
    ]);
    // Images read as name:tag; the full reference is on hover and in the copy button.
    const images = screen.getByRole('group', { name: 'image changes' });
    expect(images).toHaveTextContent(
      'Primaryhello-contour:v1Canaryhello-contour:v2',
    );
    expect(
      images.querySelector(
        '[title="registry.sandbox.local/tap-apps/hello-contour:v2"]',
      ),
    ).toHaveTextContent(/^hello-contour:v2$/);
    expect(
      within(images).getByRole('button', {
        name: 'Copy registry.sandbox.local/tap-apps/hello-contour:v1',
      }),
    ).toBeInTheDocument();
  });

  it('shows blue-green progress as iterations', async () => {
    const api = withList(createListResponse([createBlueGreenSummary()]));
    await renderTab(api);
    expect(await screen.findByText('Analysis in progress')).toBeInTheDocument();
    expect(screen.getByText('Blue-green')).toBeInTheDocument();
    expect(screen.getByText('Iteration 2 of 4')).toBeInTheDocument();
    expect(
      screen.getByRole('progressbar', { name: 'Analysis progress' }),
    ).toHaveAttribute('aria-valuenow', '50');
  });

  it('says who the release waits for, and a decision Flagger has not applied yet', async () => {
    const api = withList(
      createListResponse([
        createWaitingPromotionSummary({
          pendingDecision: {
            action: 'promote',
            revision: '7c9f5d6b84',
            decidedBy: 'user:default/grace.hopper',
            decidedAt: new Date(Date.now() - 60_000).toISOString(),
            comment: 'Release call said go',
          },
        }),
      ]),
    );
    await renderTab(api);
    expect(
      await screen.findByText('Waiting for you: promotion approval'),
    ).toBeInTheDocument();
    expect(document.body.textContent).toMatch(
      /Promote approved by grace.hopper 1 minute ago \(“Release call said go”\); Flagger applies it at its next analysis tick/,
    );
    expect(
      screen.getByText('Waiting for promotion approval'),
    ).toBeInTheDocument();
    expect(screen.getByText('Canary 60% · Primary 40%')).toBeInTheDocument();
  });

  it('shows a failed rollout with its reason', async () => {
    // What the backend reads from the rollout record and the run's events (whatHappened.ts).
    const api = withList(
      createListResponse([
        createFailedSummary({
          rollback: {
            reachedStep: 2,
            totalSteps: 5,
            reachedWeight: 20,
            failedChecks: 5,
            threshold: 5,
            failures: [
              {
                message:
                  'Halt hello-contour.demo advancement success rate 91.20% < 99%',
                count: 5,
              },
            ],
          },
          trigger: {
            kind: 'image',
            images: [
              {
                container: 'app',
                from: 'ghcr.io/stefanprodan/podinfo:6.7.0',
                to: 'ghcr.io/stefanprodan/podinfo:6.7.1',
              },
            ],
            configs: [],
            description:
              'Image of container app changed from ghcr.io/stefanprodan/podinfo:6.7.0 to ghcr.io/stefanprodan/podinfo:6.7.1',
          },
        }),
      ]),
    );
    await renderTab(api);
    expect(
      await screen.findByText('Rolled back: request-success-rate 60.00% < 99%'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/The primary keeps serving the previous revision/),
    ).toBeInTheDocument();
    expect(screen.getByText('All traffic on the primary')).toBeInTheDocument();
    // Flagger reset the status to step 0 and 0 failed checks; the row tells what happened.
    expect(
      screen.getByText('Reached step 2 of 5 (20% of traffic)'),
    ).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'Failed checks: 5 of 5, then rolled back',
    );
    expect(document.body.textContent).not.toContain('Failed checks: 0 of 5');
    expect(
      screen.getByText(
        'Halt hello-contour.demo advancement success rate 91.20% < 99% (5 times)',
      ),
    ).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'Started because: Image of container app changed from ghcr.io/stefanprodan/podinfo:6.7.0 to ghcr.io/stefanprodan/podinfo:6.7.1',
    );
  });

  it('says "under a minute" for the time left, not "about under a minute"', async () => {
    const api = withList(
      createListResponse([createCanarySummary({ estimatedSecondsLeft: 30 })]),
    );
    await renderTab(api);
    expect(await screen.findByText(/Time left/)).toBeInTheDocument();
    expect(document.body.textContent).toContain(
      'Time left: under a minute if every check passes',
    );
    expect(document.body.textContent).not.toContain('about under');
  });

  it('names an unreachable cluster and why, and keeps showing the others', async () => {
    const api = withList(
      createListResponse(
        [createCanarySummary(), createFailedSummary({ fresh: false })],
        {
          clusters: [
            createClusterStatus({ name: 'dev' }),
            createClusterStatus({
              name: 'prod',
              status: 'error',
              error: 'Unauthorized: the service account token expired',
              lastSyncAt: new Date(Date.now() - 5 * 60_000).toISOString(),
            }),
          ],
        },
      ),
    );
    await renderTab(api);
    expect(
      await screen.findByText('Cannot reach cluster prod'),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/Unauthorized: the service account token expired/)
        .length,
    ).toBeGreaterThan(0);
    expect(screen.getByText('Unreachable')).toBeInTheDocument();
    expect(screen.getByText('Analysis in progress')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Stale: cluster prod is unreachable, this is the last known state',
      ),
    ).toBeInTheDocument();
  });

  it('marks metrics unavailable when Prometheus is down but still shows the status', async () => {
    const summary = createCanarySummary({
      metrics: createCanarySummary().metrics.map(metric => ({
        ...metric,
        current: {
          verdict: 'unavailable',
          message: 'Get "http://prometheus:9090": dial tcp: i/o timeout',
          at: metric.current!.at,
        },
      })),
    });
    const api = withList(
      createListResponse([summary], {
        clusters: [
          createClusterStatus({
            name: 'dev',
            prometheus: {
              status: 'error',
              error: 'dial tcp 10.0.0.5:9090: i/o timeout',
            },
          }),
        ],
      }),
    );
    api.metrics = {
      series: summary.metrics.map(m => ({
        metric: m.name,
        unit: m.unit,
        thresholdRange: m.thresholdRange,
        canary: [],
        error: 'Prometheus is unreachable',
      })),
    };
    await renderTab(api);
    expect(
      await screen.findByText(
        'Prometheus for cluster dev does not answer: metrics are unavailable',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Analysis in progress')).toBeInTheDocument();
    // A single canary opens its details: the verdicts say "Unavailable" in words.
    expect(
      await screen.findAllByText(/Unavailable: Get "http:\/\/prometheus:9090"/),
    ).toHaveLength(2);
    expect(
      screen.getByText(
        'Metrics unavailable: Prometheus for cluster dev does not answer',
      ),
    ).toBeInTheDocument();
  });

  it('shows the backend message for a malformed annotation', async () => {
    const api = new FakeProgressiveDeliveryApi();
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'InputError',
          message:
            'Annotation progressive-delivery/canaries has "prod"; expected [<cluster>/]<namespace>/<name>[,...], for example "prod/payments/checkout"',
        },
        request: { method: 'GET', url: '/canaries' },
        response: { statusCode: 400 },
      }),
      { status: 400, headers: { 'Content-Type': 'application/json' } },
    );
    api.list = await ResponseError.fromResponse(response as any);
    await renderTab(api, {
      entity: {
        ...annotatedEntity,
        metadata: {
          ...annotatedEntity.metadata,
          annotations: { 'progressive-delivery/canaries': 'prod' },
        },
      },
    });
    expect(
      await screen.findByText(
        "The entity's progressive-delivery annotations need fixing",
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        /has "prod"; expected \[<cluster>\/\]<namespace>\/<name>/,
      ),
    ).toBeInTheDocument();
  });

  it('shows other load errors in an error panel', async () => {
    const api = new FakeProgressiveDeliveryApi();
    api.list = new Error('Network down');
    await renderTab(api);
    expect(
      await screen.findByText(/Could not load the canaries/),
    ).toBeInTheDocument();
  });

  it('follows the push channel: a change shows up without a reload', async () => {
    const api = withList(createListResponse([createCanarySummary()]));
    await renderTab(api);
    expect(await screen.findByText('Live')).toBeInTheDocument();
    api.list = createListResponse([
      createWaitingPromotionSummary({
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
      }),
    ]);
    act(() =>
      api.emit({
        type: 'canary-changed',
        ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
        at: new Date().toISOString(),
      }),
    );
    expect(
      await screen.findByText('Waiting for you: promotion approval'),
    ).toBeInTheDocument();
  });

  it('says when it is reconnecting and reloads once the channel is back', async () => {
    const api = withList(createListResponse([createCanarySummary()]));
    await renderTab(api);
    expect(await screen.findByText('Live')).toBeInTheDocument();
    act(() => api.dropStream());
    expect(await screen.findByText('Reconnecting…')).toBeInTheDocument();
    const loadsBefore = api.calls.getCanaries.length;
    act(() => api.reopenStream());
    expect(await screen.findByText('Live')).toBeInTheDocument();
    await waitFor(() =>
      expect(api.calls.getCanaries.length).toBe(loadsBefore + 1),
    );
  });

  it('opens the details with metrics, events, history and YAML', async () => {
    const api = withList(
      createListResponse([createCanarySummary(), createFailedSummary()]),
    );
    await renderTab(api);
    const row = await screen.findByRole('region', {
      name: 'hello-contour in dev',
    });
    await userEvent.click(
      within(row).getByRole('button', {
        name: /Details of hello-contour in dev/,
      }),
    );
    const details = within(row);
    expect(
      await details.findByRole('tab', { name: 'Analysis' }),
    ).toHaveAttribute('aria-selected', 'true');
    expect(details.getByText('request-success-rate')).toBeInTheDocument();
    expect(details.getByText('≥ 99.00% over 30s')).toBeInTheDocument();
    expect(
      details.getByRole('link', {
        name: /Open request-success-rate in Prometheus/,
      }),
    ).toHaveAttribute(
      'href',
      expect.stringContaining('http://127.0.0.1:9090/graph?g0.expr='),
    );
    expect(
      details.getByRole('link', { name: /Kubernetes tab/ }),
    ).toBeInTheDocument();

    await userEvent.click(details.getByRole('tab', { name: 'Events' }));
    expect(
      details.getByText('Advance hello-contour.tap-apps canary weight 40'),
    ).toBeInTheDocument();
    expect(details.getAllByText('Advanced').length).toBe(3);
    expect(details.getByText('Halted')).toBeInTheDocument();

    await userEvent.click(details.getByRole('tab', { name: 'History' }));
    expect(
      await details.findByText('request-duration 812ms > 500ms'),
    ).toBeInTheDocument();
    expect(details.getByText(/by ada.lovelace/)).toBeInTheDocument();
    expect(
      details.getByText(/Checked the dashboards, looks good/),
    ).toBeInTheDocument();
    const rows = details.getAllByRole('row');
    expect(within(rows[1]).getByText('In progress')).toBeInTheDocument();
    expect(within(rows[3]).getByText('Rolled back')).toBeInTheDocument();

    await userEvent.click(details.getByRole('tab', { name: 'YAML' }));
    expect(
      await details.findByText(/flagger.app\/v1beta1/),
    ).toBeInTheDocument();
  });

  it('opens with a compact overview once there are more than four canaries', async () => {
    const canaries = (clusters: string[]) =>
      clusters.flatMap(cluster => [
        createCanarySummary({
          ref: { cluster, namespace: 'tap-apps', name: 'hello-contour' },
        }),
        createWaitingPromotionSummary({
          ref: { cluster, namespace: 'tap-apps', name: 'hello-gated' },
        }),
      ]);
    const api = withList(createListResponse(canaries(['dev', 'prod', 'edge'])));
    await renderTab(api);
    const overview = await screen.findByRole('table', {
      name: '6 releases in 3 clusters',
    });
    await userEvent.click(
      within(overview).getAllByRole('link', { name: 'Waits for promotion' })[2],
    );
    expect(
      screen.getByRole('region', { name: 'hello-gated in edge' }),
    ).toHaveFocus();
  });

  it('shows no overview for a handful of canaries', async () => {
    const api = withList(
      createListResponse([
        createCanarySummary(),
        createFailedSummary(),
        createBlueGreenSummary(),
      ]),
    );
    await renderTab(api);
    await screen.findByRole('region', { name: 'hello-contour in dev' });
    expect(
      screen.queryByRole('table', { name: /releases in/ }),
    ).not.toBeInTheDocument();
  });
});
