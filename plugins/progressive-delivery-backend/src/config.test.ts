import { ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_LIMITS,
  LimitsConfig,
  readProgressiveDeliveryConfig,
} from './config';

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

  describe('limits and retention', () => {
    /** Each bound: its key under progressiveDelivery, a value to set, and what it reads as. */
    const keys: Array<[string, unknown, keyof LimitsConfig, number]> = [
      ['limits.streamsPerPrincipal', 3, 'streamsPerPrincipal', 3],
      ['limits.streams', 40, 'streams', 40],
      ['limits.streamBufferBytes', 65536, 'streamBufferBytes', 65536],
      ['limits.streamLifetime', '10m', 'streamLifetimeMs', 600_000],
      ['limits.actionsPerMinute', 5, 'actionsPerMinute', 5],
      ['limits.webhooksPerMinute', 60, 'webhooksPerMinute', 60],
      ['retention.events', { days: 7 }, 'eventRetentionMs', 7 * 86_400_000],
      ['retention.attempts', '30d', 'attemptRetentionMs', 30 * 86_400_000],
      ['retention.notifications', '14d', 'noticeRetentionMs', 14 * 86_400_000],
    ];
    const withKey = (path: string, value: unknown) => {
      const [group, key] = path.split('.');
      return read({
        ...kubernetes([dev]),
        progressiveDelivery: { [group]: { [key]: value } },
      });
    };
    const schema = readFileSync(join(__dirname, '..', 'config.d.ts'), 'utf8');
    /** The text of `group?: { ... }` in config.d.ts (its members are indented by 6). */
    const block = (group: string) => {
      const start = schema.indexOf(`    ${group}?: {\n`);
      return start < 0
        ? ''
        : schema.slice(start, schema.indexOf('\n    };', start));
    };

    it('reads every bound, each declared in config.d.ts with its default', () => {
      for (const [path, value, field, expected] of keys) {
        const [group, key] = path.split('.');
        expect({ path, read: withKey(path, value).limits[field] }).toEqual({
          path,
          read: expected,
        });
        const declared = new RegExp(
          `/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*${key}\\?:`,
        ).exec(block(group));
        expect({ path, declared: Boolean(declared) }).toEqual({
          path,
          declared: true,
        });
        expect({
          path,
          documentsDefault: /Default /.test(declared?.[1] ?? ''),
        }).toEqual({
          path,
          documentsDefault: true,
        });
      }
      // And nothing else: every bound the backend holds has a key above.
      expect(keys.map(([, , field]) => field).sort()).toEqual(
        Object.keys(DEFAULT_LIMITS).sort(),
      );
      expect(read(kubernetes([dev])).limits).toEqual(DEFAULT_LIMITS);
    });

    it('refuses a bound below 1 or not a number, naming the key', () => {
      expect(() => withKey('limits.streams', 0)).toThrow(
        'progressiveDelivery.limits.streams is 0; it must be a number of at least 1 (default 2000).',
      );
      expect(() => withKey('limits.streamBufferBytes', 'lots')).toThrow(
        /limits\.streamBufferBytes/,
      );
    });
  });
});
