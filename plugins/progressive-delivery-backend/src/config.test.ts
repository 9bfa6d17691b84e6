import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readProgressiveDeliveryConfig } from './config';

const kubernetes = (clusters: object[], extraMethods: object[] = []) => ({
  kubernetes: {
    clusterLocatorMethods: [...extraMethods, { type: 'config', clusters }],
  },
});

const dev = {
  name: 'dev',
  title: 'Development',
  url: 'https://127.0.0.1:16443',
  authProvider: 'serviceAccount',
  serviceAccountToken: 'token',
  caData: 'Y2E=',
};

const read = (data: object) =>
  readProgressiveDeliveryConfig(new ConfigReader(data as any));

describe('readProgressiveDeliveryConfig', () => {
  it('reads clusters from the Kubernetes plugin config and Prometheus from our own key', () => {
    const config = read({
      ...kubernetes(
        [
          dev,
          {
            name: 'prod',
            url: 'https://prod:6443',
            serviceAccountToken: 't',
            skipTLSVerify: true,
          },
        ],
        [{ type: 'catalog' }],
      ),
      progressiveDelivery: {
        webhooks: {
          baseUrl: 'http://backstage:7007/api/progressive-delivery/webhooks/',
          sharedSecret: 's3cret',
        },
        clusters: {
          dev: {
            prometheus: {
              url: 'http://prometheus.dev:9090/',
              externalUrl: 'https://prom.example.com',
            },
          },
          prod: { prometheus: { url: 'http://prometheus.prod:9090' } },
        },
      },
    });
    expect(config.clusters).toEqual([
      {
        name: 'dev',
        title: 'Development',
        url: 'https://127.0.0.1:16443',
        serviceAccountToken: 'token',
        caData: 'Y2E=',
        caFile: undefined,
        skipTLSVerify: false,
        prometheusUrl: 'http://prometheus.dev:9090',
        prometheusExternalUrl: 'https://prom.example.com',
        prometheusServers: [],
        meshProvider: 'istio',
      },
      expect.objectContaining({
        name: 'prod',
        skipTLSVerify: true,
        prometheusUrl: 'http://prometheus.prod:9090',
        prometheusExternalUrl: 'http://prometheus.prod:9090',
      }),
    ]);
    expect(config.webhookBaseUrl).toBe(
      'http://backstage:7007/api/progressive-delivery/webhooks',
    );
    expect(config.sharedSecret).toBe('s3cret');
  });

  it('maps the Prometheus addresses Flagger uses to URLs this backend reaches, and reads the mesh provider', () => {
    const config = read({
      ...kubernetes([dev]),
      progressiveDelivery: {
        clusters: {
          dev: {
            prometheus: {
              url: 'http://127.0.0.1:9090',
              address: 'http://prometheus.monitoring:9090/',
              servers: [
                {
                  address: 'http://prometheus.team-a:9090',
                  url: 'https://team-a-prom.example.com/',
                },
              ],
            },
            flagger: { meshProvider: 'linkerd' },
          },
        },
      },
    });
    expect(config.clusters[0]).toMatchObject({
      prometheusServers: [
        {
          address: 'http://prometheus.monitoring:9090',
          url: 'http://127.0.0.1:9090',
        },
        {
          address: 'http://prometheus.team-a:9090',
          url: 'https://team-a-prom.example.com',
        },
      ],
      meshProvider: 'linkerd',
    });
    expect(() =>
      read({
        ...kubernetes([dev]),
        progressiveDelivery: {
          clusters: {
            dev: {
              prometheus: { servers: [{ address: 'x', url: 'prom:9090' }] },
            },
          },
        },
      }),
    ).toThrow(
      'progressiveDelivery.clusters.dev.prometheus.servers[0].url is "prom:9090"; expected an http:// or https:// URL',
    );
  });

  it('uses the documented defaults', () => {
    const config = read(kubernetes([dev]));
    expect(config).toMatchObject({
      prometheusTimeoutMs: 3000,
      metricsRefreshIntervalMs: 10000,
      maxBackoffMs: 30000,
      webhookBaseUrl: undefined,
      sharedSecret: undefined,
    });
    expect(config.clusters[0].prometheusUrl).toBeUndefined();
    expect(read({}).clusters).toEqual([]);
  });

  it('reads durations in every Backstage form, and the older millisecond keys', () => {
    expect(
      read({ progressiveDelivery: { prometheus: { timeout: '5s' } } })
        .prometheusTimeoutMs,
    ).toBe(5000);
    expect(
      read({ progressiveDelivery: { prometheus: { timeout: 'PT1.5S' } } })
        .prometheusTimeoutMs,
    ).toBe(1500);
    expect(
      read({
        progressiveDelivery: {
          prometheus: { refreshInterval: { seconds: 7 } },
        },
      }).metricsRefreshIntervalMs,
    ).toBe(7000);
    expect(
      read({ progressiveDelivery: { watch: { maxBackoff: '1m' } } })
        .maxBackoffMs,
    ).toBe(60000);
    expect(
      read({ progressiveDelivery: { prometheus: { timeoutMs: 1234 } } })
        .prometheusTimeoutMs,
    ).toBe(1234);
  });

  it('rejects a duration it cannot read, naming the key', () => {
    expect(() =>
      read({ progressiveDelivery: { prometheus: { timeout: 'soon' } } }),
    ).toThrow(/progressiveDelivery\.prometheus\.timeout is not a duration/);
    expect(() =>
      read({ progressiveDelivery: { watch: { maxBackoff: '0s' } } }),
    ).toThrow('progressiveDelivery.watch.maxBackoff must be longer than zero');
  });

  it('names the cluster and the supported auth providers when the provider is not supported', () => {
    const run = () =>
      read(
        kubernetes([
          dev,
          { name: 'eks', url: 'https://eks', authProvider: 'aws' },
        ]),
      );
    expect(run).toThrow(InputError);
    expect(run).toThrow(
      /Cluster "eks" .* authProvider "aws", .* supported: serviceAccount/,
    );
  });

  it('rejects Prometheus settings for a cluster that is not configured', () => {
    expect(() =>
      read({
        ...kubernetes([dev]),
        progressiveDelivery: {
          clusters: { staging: { prometheus: { url: 'http://p' } } },
        },
      }),
    ).toThrow(
      'progressiveDelivery.clusters.staging refers to cluster "staging", which kubernetes.clusterLocatorMethods does not configure; configured clusters: dev.',
    );
  });

  it('rejects duplicate cluster names and URLs that are not URLs', () => {
    expect(() => read(kubernetes([dev, dev]))).toThrow(
      /"dev" is configured twice/,
    );
    expect(() => read(kubernetes([{ ...dev, url: '127.0.0.1:6443' }]))).toThrow(
      /Cluster "dev" .*url is "127.0.0.1:6443", which is not a URL/,
    );
    expect(() => read(kubernetes([{ ...dev, url: 'ftp://cluster' }]))).toThrow(
      /expected an http:\/\/ or https:\/\/ URL/,
    );
    expect(() =>
      read({
        ...kubernetes([dev]),
        progressiveDelivery: { webhooks: { baseUrl: 'backstage/webhooks' } },
      }),
    ).toThrow(
      /progressiveDelivery\.webhooks\.baseUrl is "backstage\/webhooks", which is not a URL/,
    );
  });
});
