import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { readProgressiveDeliveryConfig } from './config';
import { createClusterSide } from './createServices';

describe('createClusterSide', () => {
  it('summarizes from the caches, feeds decisions in, and reports Prometheus health through the store', async () => {
    const config = new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          {
            type: 'config',
            clusters: [
              {
                name: 'dev',
                url: 'https://127.0.0.1:1',
                serviceAccountToken: 't',
              },
              {
                name: 'prod',
                url: 'https://127.0.0.1:2',
                serviceAccountToken: 't',
              },
            ],
          },
        ],
      },
      progressiveDelivery: {
        webhooks: {
          baseUrl: 'http://portal/api/progressive-delivery/webhooks',
        },
        clusters: { dev: { prometheus: { url: 'http://127.0.0.1:1' } } },
      },
    });
    const { store, summarizer, stop } = createClusterSide({
      config: readProgressiveDeliveryConfig(config),
      logger: mockServices.logger.mock(),
    });
    expect(store.getClusterStatuses().map(s => s.prometheus)).toEqual([
      { status: 'ok' },
      { status: 'not-configured' },
    ]);

    const decisions = jest.fn(async () => ({ paused: true }));
    const [summary] = await summarizer.summarize(
      [
        {
          ref: { cluster: 'dev', namespace: 'shop', name: 'checkout' },
          object: {
            metadata: { name: 'checkout', namespace: 'shop' },
            spec: {
              provider: 'contour',
              targetRef: { kind: 'Deployment', name: 'checkout' },
              analysis: {
                stepWeight: 10,
                maxWeight: 50,
                webhooks: [
                  {
                    name: 'g',
                    type: 'confirm-traffic-increase',
                    url: 'http://portal/api/progressive-delivery/webhooks/dev/gates/confirm-traffic-increase',
                  },
                ],
              },
            },
            status: {
              phase: 'Progressing',
              canaryWeight: 10,
              lastAppliedSpec: 'abc',
            },
          },
          events: [],
          revision: 'abc',
        },
      ],
      decisions,
    );
    expect(decisions).toHaveBeenCalledWith(
      { cluster: 'dev', namespace: 'shop', name: 'checkout' },
      'abc',
    );
    // The store has not synced: the summary says its data is not fresh.
    expect(summary).toMatchObject({
      fresh: false,
      state: { kind: 'waiting-traffic-approval' },
    });
    expect(summary.webhooks[0].servedByPortal).toBe(true);
    await stop();
  });
});
