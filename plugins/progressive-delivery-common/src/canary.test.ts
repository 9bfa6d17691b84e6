import { canaryKey } from './canary';

describe('canaryKey', () => {
  it('names a canary by cluster, namespace and name, distinct for distinct canaries', () => {
    const key = canaryKey({ cluster: 'dev', namespace: 'shop', name: 'cart' });
    expect(key).toBe('dev/shop/cart');
    expect(
      canaryKey({ cluster: 'dev', namespace: 'shop', name: 'checkout' }),
    ).not.toBe(key);
    expect(
      canaryKey({ cluster: 'prod', namespace: 'shop', name: 'cart' }),
    ).not.toBe(key);
  });
});
