import { Entity } from '@backstage/catalog-model';
import {
  AnnotationError,
  getCanarySelector,
  isProgressiveDeliveryAvailable,
  isValidKubernetesName,
} from './annotations';

function entity(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'checkout', annotations },
    spec: {},
  };
}

describe('isProgressiveDeliveryAvailable', () => {
  it('is true only when one of the plugin annotations has a value', () => {
    expect(
      isProgressiveDeliveryAvailable(
        entity({ 'progressive-delivery/workload-name': 'checkout' }),
      ),
    ).toBe(true);
    expect(
      isProgressiveDeliveryAvailable(
        entity({ 'progressive-delivery/canaries': 'prod/shop/checkout' }),
      ),
    ).toBe(true);
    expect(
      isProgressiveDeliveryAvailable(
        entity({ 'backstage.io/kubernetes-id': 'checkout' }),
      ),
    ).toBe(false);
    expect(
      isProgressiveDeliveryAvailable(
        entity({ 'progressive-delivery/workload-name': '  ' }),
      ),
    ).toBe(false);
  });
});

describe('getCanarySelector', () => {
  it('returns undefined for an entity that did not opt in', () => {
    expect(getCanarySelector(entity({}))).toBeUndefined();
  });

  it('parses workload names and honours the Kubernetes annotations', () => {
    expect(
      getCanarySelector(
        entity({
          'progressive-delivery/workload-name': 'checkout, checkout-worker',
          'backstage.io/kubernetes-namespace': 'shop',
          'backstage.io/kubernetes-id': 'checkout',
        }),
      ),
    ).toEqual({
      workloadNames: ['checkout', 'checkout-worker'],
      canaries: [],
      namespace: 'shop',
      labelSelector: 'backstage.io/kubernetes-id=checkout',
    });
  });

  it('prefers the label selector annotation over the kubernetes id', () => {
    expect(
      getCanarySelector(
        entity({
          'progressive-delivery/workload-name': 'checkout',
          'backstage.io/kubernetes-id': 'checkout',
          'backstage.io/kubernetes-label-selector':
            'app.kubernetes.io/part-of=shop',
        }),
      )?.labelSelector,
    ).toBe('app.kubernetes.io/part-of=shop');
  });

  it('parses explicit canaries with and without a cluster', () => {
    expect(
      getCanarySelector(
        entity({
          'progressive-delivery/canaries': 'prod/shop/checkout,shop/cart',
        }),
      )?.canaries,
    ).toEqual([
      { cluster: 'prod', namespace: 'shop', name: 'checkout' },
      { cluster: undefined, namespace: 'shop', name: 'cart' },
    ]);
  });

  it.each([
    ['checkout', 'expected [<cluster>/]<namespace>/<name>'],
    ['a/b/c/d', 'expected [<cluster>/]<namespace>/<name>'],
    [
      'prod/Shop/checkout',
      'namespace "Shop" is not a valid Kubernetes namespace',
    ],
    ['prod/shop/check_out', 'name "check_out" is not a valid Kubernetes name'],
    ['pr od/shop/checkout', 'cluster "pr od" is not a valid cluster name'],
    [' , ', 'is empty'],
  ])(
    'rejects canaries annotation %j with a message naming the form',
    (value, message) => {
      const call = () =>
        getCanarySelector(
          entity({
            'progressive-delivery/workload-name': 'ok',
            'progressive-delivery/canaries': value,
          }),
        );
      expect(call).toThrow(AnnotationError);
      expect(call).toThrow(message);
      expect(call).toThrow('progressive-delivery/canaries');
    },
  );

  it('rejects a workload name that Kubernetes would not accept', () => {
    expect(() =>
      getCanarySelector(
        entity({ 'progressive-delivery/workload-name': 'Checkout!' }),
      ),
    ).toThrow(
      'Annotation progressive-delivery/workload-name has "Checkout!", which is not a valid Kubernetes name',
    );
  });

  it('rejects an invalid namespace annotation', () => {
    expect(() =>
      getCanarySelector(
        entity({
          'progressive-delivery/workload-name': 'checkout',
          'backstage.io/kubernetes-namespace': 'not/a/namespace',
        }),
      ),
    ).toThrow(AnnotationError);
  });
});

describe('isValidKubernetesName', () => {
  it('follows RFC 1123 subdomain rules', () => {
    expect(isValidKubernetesName('hello-app.v2')).toBe(true);
    expect(isValidKubernetesName('-hello')).toBe(false);
    expect(isValidKubernetesName('a'.repeat(254))).toBe(false);
    expect(isValidKubernetesName('hello"}')).toBe(false);
  });
});
