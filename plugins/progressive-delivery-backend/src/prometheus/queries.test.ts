import {
  batchedContourQueries,
  builtinQuery,
  contourKey,
  escapeLabelValue,
  renderQuery,
  templateModel,
} from './queries';

const canary = {
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: { provider: 'contour', targetRef: { name: 'checkout' }, service: { port: 80 } },
};

describe('queries', () => {
  it('renders the builtin Contour success rate exactly as Flagger queries it', () => {
    expect(builtinQuery('contour', 'request-success-rate', templateModel(canary, '1m'), 'canary')).toBe(
      'sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[1m])) / sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"shop_checkout-canary_[0-9a-zA-Z-]+"}[1m])) * 100',
    );
  });

  it('derives the primary side of the kubernetes provider queries', () => {
    expect(builtinQuery('kubernetes', 'request-duration', templateModel(canary, '30s'), 'primary')).toContain(
      'kubernetes_pod_name=~"checkout-primary-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"',
    );
  });

  it('substitutes template variables and escapes hostile values', () => {
    const model = templateModel(canary, '1m', { route: 'a"}) or vector(1) #' });
    const query = renderQuery('sum(rate(x{route="{{ variables.route }}",ns="{{ namespace }}"}[{{ interval }}]))', model);
    expect(query).toBe('sum(rate(x{route="a\\"}) or vector(1) #",ns="shop"}[1m]))');
    expect(escapeLabelValue('back\\slash')).toBe('back\\\\slash');
  });

  it('names the template variable that is missing', () => {
    expect(() => renderQuery('{{ variables.nope }}', templateModel(canary, '1m'))).toThrow(
      'template variable "nope" is not set',
    );
  });

  it('batches Contour canaries into one query per interval and maps series back', () => {
    expect(batchedContourQueries('1m')['request-success-rate']).toMatch(/^sum by \(envoy_cluster_name\)/);
    expect(contourKey('shop_checkout-canary_80')).toBe('shop_checkout-canary');
    expect(contourKey('shop_checkout-primary_80')).toBe('shop_checkout-primary');
    expect(contourKey('unrelated')).toBeUndefined();
  });
});
