import {
  isPortalOnlyRequest,
  isPrometheusQuery,
  parseSamples,
  sumCounter,
} from './promText';

const apiServerMetrics = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="flagger.app",resource="canaries",scope="cluster",subresource="",verb="LIST",version="v1beta1"} 12
apiserver_request_total{code="200",component="apiserver",dry_run="",group="flagger.app",resource="canaries",scope="cluster",subresource="",verb="WATCH",version="v1beta1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="namespace",subresource="status",verb="PATCH",version="v1"} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="events",scope="cluster",subresource="",verb="LIST",version="v1"} 2
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 5
apiserver_request_duration_seconds_bucket{group="flagger.app",le="0.1"} 999
`;

describe('parseSamples', () => {
  it('reads names, labels and values, skipping comments and other metrics', () => {
    const samples = parseSamples(apiServerMetrics, 'apiserver_request_total');
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({
      name: 'apiserver_request_total',
      labels: expect.objectContaining({
        group: 'flagger.app',
        verb: 'LIST',
        resource: 'canaries',
      }),
      value: 12,
    });
  });

  it('unescapes label values and reads samples without labels', () => {
    const samples = parseSamples('m{path="a\\"b\\\\c"} 1.5\nplain_total 7\n');
    expect(samples[0].labels.path).toBe('a"b\\c');
    expect(samples[1]).toEqual({ name: 'plain_total', labels: {}, value: 7 });
  });
});

describe('sumCounter', () => {
  it('sums every sample, or only those the filter keeps', () => {
    expect(sumCounter(apiServerMetrics, 'apiserver_request_total')).toBe(62);
    expect(
      sumCounter(
        apiServerMetrics,
        'apiserver_request_total',
        isPortalOnlyRequest,
      ),
    ).toBe(17);
  });
});

describe('isPrometheusQuery', () => {
  it('counts instant and range queries only', () => {
    const text = [
      'prometheus_http_requests_total{code="200",handler="/api/v1/query"} 10',
      'prometheus_http_requests_total{code="200",handler="/api/v1/query_range"} 4',
      'prometheus_http_requests_total{code="200",handler="/metrics"} 100',
    ].join('\n');
    expect(
      sumCounter(text, 'prometheus_http_requests_total', isPrometheusQuery),
    ).toBe(14);
  });
});
