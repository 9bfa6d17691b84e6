import { mockServices } from '@backstage/backend-test-utils';
import capture from '../__fixtures__/sandbox-capture.json';
import { ClusterConfig } from '../config';
import { MetricsCache } from '../prometheus/MetricsCache';
import { WatchedCanary } from '../types';
import { DefaultCanarySummarizer } from './CanarySummarizer';

type Obj = Record<string, any>;

function capturedCanary(): Obj {
  return structuredClone(
    (capture as any).canaries.find(
      (c: any) =>
        c.cluster === 'dev' && c.object.metadata.name === 'hello-contour',
    ).object,
  );
}

const template = {
  spec: {
    provider: { type: 'prometheus', address: 'http://prometheus.team-a:9090' },
    query:
      'sum(rate(http_errors{namespace="{{ namespace }}",service="{{ service }}",route="{{ variables.route }}"}[{{ interval }}]))',
  },
};

function summarizer(clusters: ClusterConfig[]) {
  const canary = capturedCanary();
  canary.spec.analysis.metrics = [
    {
      name: 'errors',
      templateRef: { name: 'team-errors', namespace: 'flagger-system' },
      templateVariables: { route: '/checkout' },
      interval: '1m',
      thresholdRange: { max: 1 },
    },
  ];
  const watched: WatchedCanary = {
    ref: { cluster: 'dev', namespace: 'tap-apps', name: 'hello-contour' },
    object: canary,
    events: [],
  };
  const metrics = new MetricsCache({
    clusters,
    timeoutMs: 1000,
    refreshIntervalMs: 60_000,
    logger: mockServices.logger.mock(),
    canariesOf: () => [watched],
    templateOf: (_cluster, namespace, name) =>
      `${namespace}/${name}` === 'flagger-system/team-errors'
        ? template
        : undefined,
    fetchImpl: (async () => {
      throw new Error('no Prometheus may be asked');
    }) as unknown as typeof fetch,
    now: () => new Date('2026-11-23T03:00:00Z'),
  });
  return {
    metrics,
    summarizer: new DefaultCanarySummarizer({
      store: { isFresh: () => true },
      metrics,
      now: () => new Date('2026-11-23T03:00:00Z'),
    }),
    watched,
  };
}

const rendered =
  'sum(rate(http_errors{namespace="tap-apps",service="hello-contour",route="/checkout"}[1m]))';

describe('DefaultCanarySummarizer', () => {
  it('shows a template query with Flagger’s variables substituted for a cluster without Prometheus', async () => {
    const { summarizer: subject, watched } = summarizer([]);
    const [summary] = await subject.summarize([watched], async () => ({
      paused: false,
    }));
    expect(summary.metrics[0]).toMatchObject({
      name: 'errors',
      source: 'template',
      query: rendered,
      current: { verdict: 'unavailable' },
    });
    expect(summary.metrics[0].prometheusUrl).toBeUndefined();
  });

  it('shows it when the template names a server this backend has no URL for', async () => {
    const {
      summarizer: subject,
      metrics,
      watched,
    } = summarizer([
      {
        name: 'dev',
        url: 'https://dev',
        skipTLSVerify: false,
        prometheusUrl: 'http://prom:9090',
      },
    ]);
    await metrics.refresh('dev');
    const [summary] = await subject.summarize([watched], async () => ({
      paused: false,
    }));
    expect(summary.metrics[0]).toMatchObject({
      query: rendered,
      current: {
        verdict: 'unavailable',
        message: expect.stringContaining(
          'MetricTemplate flagger-system/team-errors queries http://prometheus.team-a:9090, a server this backend has no URL for',
        ),
      },
    });
    // The cluster's own Prometheus is not the server this query is meant for.
    expect(summary.metrics[0].prometheusUrl).toBeUndefined();
  });
});
