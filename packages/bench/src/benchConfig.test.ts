import { benchAppConfig, benchCatalog } from './benchConfig';

const clusters = [
  {
    name: 'dev-01',
    title: 'one',
    url: 'https://127.0.0.1:40001',
    serviceAccountToken: 'token-dev',
    caData: 'Y2E=',
    prometheusUrl: 'http://127.0.0.1:19090',
  },
  {
    name: 'prod-02',
    title: 'two',
    url: 'https://127.0.0.1:40002',
    serviceAccountToken: 'token-prod',
    caData: 'Y2I=',
    prometheusUrl: 'http://127.0.0.1:29090',
  },
];

describe('benchAppConfig', () => {
  const config = benchAppConfig({
    port: 7017,
    clusters,
    catalogFiles: [
      '/repo/catalog-info.yaml',
      '/repo/.sandbox/bench/catalog.yaml',
    ],
    replacedClusters: ['dev', 'prod'],
    metricsRefreshSeconds: 10,
  });

  it('moves the backend and app to the benchmark port on loopback', () => {
    expect(config.backend.listen).toEqual({ host: '127.0.0.1', port: 7017 });
    expect(config.backend.baseUrl).toBe('http://127.0.0.1:7017');
    expect(config.app.baseUrl).toBe('http://127.0.0.1:7017');
    expect(config.progressiveDelivery.webhooks.baseUrl).toBe(
      'http://127.0.0.1:7017/api/progressive-delivery/webhooks',
    );
  });

  it('configures every proxied cluster for the Kubernetes plugin and ours', () => {
    const [method] = config.kubernetes.clusterLocatorMethods;
    expect(method.type).toBe('config');
    expect(method.clusters).toEqual([
      expect.objectContaining({
        name: 'dev-01',
        url: 'https://127.0.0.1:40001',
        authProvider: 'serviceAccount',
        serviceAccountToken: 'token-dev',
        caData: 'Y2E=',
      }),
      expect.objectContaining({
        name: 'prod-02',
        url: 'https://127.0.0.1:40002',
      }),
    ]);
    expect(config.progressiveDelivery.clusters).toEqual({
      dev: null,
      prod: null,
      'dev-01': { prometheus: { url: 'http://127.0.0.1:19090' } },
      'prod-02': { prometheus: { url: 'http://127.0.0.1:29090' } },
    });
    expect(config.progressiveDelivery.prometheus).toEqual({
      refreshInterval: '10s',
    });
  });

  it('lists every catalog file', () => {
    expect(config.catalog.locations).toEqual([
      { type: 'file', target: '/repo/catalog-info.yaml' },
      { type: 'file', target: '/repo/.sandbox/bench/catalog.yaml' },
    ]);
  });
});

describe('benchCatalog', () => {
  it('declares the bench entities with the annotations that select their canaries', () => {
    const entities = benchCatalog(0)
      .split('\n---\n')
      .map(document => JSON.parse(document));
    expect(entities.map(e => e.metadata.name)).toEqual([
      'bench-app',
      'bench-render',
    ]);
    expect(entities[0].metadata.annotations).toEqual({
      'progressive-delivery/workload-name': 'bench-app',
      'backstage.io/kubernetes-label-selector':
        'app.kubernetes.io/part-of=bench-app',
    });
    expect(entities[0].spec.owner).toBe('group:default/team-delivery');
  });
});

describe("benchCatalog with entities of the guest's team", () => {
  it('names one rendered canary of the first cluster in each, going round the canaries', () => {
    const entities = benchCatalog(5, 2)
      .split('\n---\n')
      .map(document => JSON.parse(document))
      .slice(2);
    expect(entities.map(e => e.metadata.name)).toEqual([
      'bench-owned-001',
      'bench-owned-002',
      'bench-owned-003',
      'bench-owned-004',
      'bench-owned-005',
    ]);
    expect(
      entities.map(
        e => e.metadata.annotations['progressive-delivery/canaries'],
      ),
    ).toEqual([
      'dev-01/bench-render/render-000',
      'dev-01/bench-render/render-001',
      'dev-01/bench-render/render-000',
      'dev-01/bench-render/render-001',
      'dev-01/bench-render/render-000',
    ]);
    expect(
      entities.every(e => e.spec.owner === 'group:default/team-delivery'),
    ).toBe(true);
  });
});
