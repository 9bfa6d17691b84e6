import {
  batchedContourQueries,
  batchedHttpQueries,
  builtinProviderOf,
  builtinQuery,
  durationMilliseconds,
  escapeLabelValue,
  renderQuery,
  seriesKey,
  sideKeys,
  templateModel,
} from './queries';

const canary = {
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    provider: 'contour',
    targetRef: { kind: 'Deployment', name: 'checkout' },
    service: { port: 80 },
  },
};

describe('builtin queries', () => {
  it('renders the Contour success rate as Flagger v1.44 sends it (whitespace collapsed)', () => {
    expect(
      builtinQuery(
        'contour',
        'request-success-rate',
        templateModel(canary, '1m'),
        'canary',
      ),
    ).toBe(
      'sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[1m] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+", }[1m] ) ) * 100',
    );
    expect(
      builtinQuery(
        'contour',
        'request-duration',
        templateModel(canary, '30s'),
        'primary',
      ),
    ).toBe(
      'histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"shop_checkout-primary_[0-9a-zA-Z-]+", }[30s] ) ) by (le) )',
    );
  });

  it('renders the kubernetes provider queries on pod names, with a primary twin', () => {
    const model = templateModel(
      { ...canary, spec: { ...canary.spec, provider: 'kubernetes' } },
      '30s',
    );
    expect(
      builtinQuery('kubernetes', 'request-success-rate', model, 'canary'),
    ).toContain(
      'kubernetes_namespace="shop", kubernetes_pod_name=~"checkout-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*"',
    );
    expect(
      builtinQuery('kubernetes', 'request-duration', model, 'primary'),
    ).toContain(
      'kubernetes_pod_name=~"checkout-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
    );
  });

  it('uses the service name when spec.service.name is set, like toMetricModel', () => {
    const model = templateModel(
      {
        ...canary,
        spec: { ...canary.spec, service: { port: 80, name: 'web' } },
      },
      '1m',
    );
    expect(model).toMatchObject({
      service: 'web',
      target: 'checkout',
      ingress: 'checkout',
      route: 'checkout',
    });
    expect(
      builtinQuery('contour', 'request-success-rate', model, 'canary'),
    ).toContain('shop_web-canary_');
  });

  it('picks the observer Flagger picks', () => {
    expect(builtinProviderOf(canary)).toBe('contour');
    expect(
      builtinProviderOf({ spec: { provider: 'kubernetes', targetRef: {} } }),
    ).toBe('kubernetes');
    expect(
      builtinProviderOf({ spec: { provider: 'gatewayapi:v1', targetRef: {} } }),
    ).toBe('kubernetes');
    expect(
      builtinProviderOf({ spec: { provider: 'istio', targetRef: {} } }),
    ).toBeUndefined();
    // targetRef kind Service makes Flagger fall back to the Istio observer.
    expect(
      builtinProviderOf({
        spec: { provider: 'contour', targetRef: { kind: 'Service' } },
      }),
    ).toBeUndefined();
  });

  it('converts durations to milliseconds as Flagger does (Envoy in ms, HTTP in seconds, truncated)', () => {
    expect(durationMilliseconds('contour', 49.9)).toBe(49);
    expect(durationMilliseconds('kubernetes', 0.0499)).toBe(49);
  });
});

describe('renderQuery', () => {
  const model = templateModel(canary, '1m', {
    route: 'a"}) or vector(1) #',
    code: '5..',
  });

  it('substitutes every template function and variable, escaping hostile values', () => {
    expect(
      renderQuery(
        'sum(rate(x{route="{{ variables.route }}",ns="{{namespace}}",t="{{ target }}",s="{{ service }}",n="{{ name }}",i="{{ ingress }}",r="{{ route }}"}[{{ interval }}]))',
        model,
      ),
    ).toBe(
      'sum(rate(x{route="a\\"}) or vector(1) #",ns="shop",t="checkout",s="checkout",n="checkout",i="checkout",r="checkout"}[1m]))',
    );
    expect(escapeLabelValue('back\\slash\n')).toBe('back\\\\slash\\n');
  });

  it('names what it cannot render', () => {
    expect(() => renderQuery('{{ variables.nope }}', model)).toThrow(
      'template variable "nope" is not set',
    );
    expect(() => renderQuery('{{ cluster }}', model)).toThrow(
      'unknown template function "cluster"',
    );
    expect(() => renderQuery('{{ if eq 1 1 }}x', model)).toThrow(
      /Go template syntax/,
    );
  });
});

describe('batched queries', () => {
  it('ask once for every Contour canary and key the answers by namespace, service and side', () => {
    const queries = batchedContourQueries('1m', ['shop', 'cart', 'shop']);
    expect(queries['request-success-rate']).toMatch(
      /^sum by \(pd_key\) \(label_replace\(rate\(envoy_cluster_upstream_rq\{envoy_cluster_name=~"\(cart\|shop\)_\.\+-\(canary\|primary\)_/,
    );
    expect(queries['request-duration']).toMatch(
      /^histogram_quantile\(0\.99, sum by \(le, pd_key\)/,
    );
    expect(seriesKey('contour', { pd_key: 'shop_checkout-canary' })).toBe(
      'shop_checkout-canary',
    );
    expect(sideKeys('contour', templateModel(canary, '1m'))).toEqual({
      canary: 'shop_checkout-canary',
      primary: 'shop_checkout-primary',
    });
  });

  it('ask once for every kubernetes-provider canary, grouped by namespace and workload', () => {
    const queries = batchedHttpQueries('30s', ['shop']);
    expect(queries['request-success-rate']).toContain(
      '"kubernetes_pod_name", "(.+)-[0-9a-zA-Z]+-[0-9a-zA-Z]+"',
    );
    expect(queries['request-success-rate']).toContain(
      'kubernetes_namespace=~"shop"',
    );
    expect(
      seriesKey('kubernetes', {
        kubernetes_namespace: 'shop',
        pd_key: 'checkout-primary',
      }),
    ).toBe('shop/checkout-primary');
    expect(seriesKey('kubernetes', {})).toBeUndefined();
  });
});
