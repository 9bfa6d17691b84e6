/*
 * Over 400 lines: the watch caches' contract end to end over a fake API server (listing,
 * watching, 410 Gone, reconnects, the entity lookups and their cost at 10,000 canaries), one
 * case each; they share the fake cluster set-up of this file.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { Config, ConfigReader } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  canaryKey,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig, readProgressiveDeliveryConfig } from '../config';
import { createClusterSide } from '../createServices';
import { KubernetesCanaryStore } from './KubernetesCanaryStore';
import { KubeRequestError } from './KubeTransport';
import {
  fakeCluster,
  FakeKubeTransport,
  PATHS,
  settle,
} from './testing/FakeKubeTransport';

/** The store as the composition root builds it from Backstage config. */
const storeFromConfig = (config: Config) =>
  createClusterSide({
    config: readProgressiveDeliveryConfig(config),
    logger: mockServices.logger.mock(),
  }).store;

type Obj = Record<string, any>;

const cluster = (name: string): ClusterConfig => ({
  name,
  url: `https://${name}:6443`,
  skipTLSVerify: false,
});

function canary(
  namespace: string,
  name: string,
  options: { target?: string; labels?: Obj; phase?: string } = {},
): Obj {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: {
      namespace,
      name,
      labels: options.labels,
      managedFields: [{ manager: 'flagger' }],
    },
    spec: {
      provider: 'contour',
      targetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: options.target ?? name,
      },
      analysis: {
        interval: '10s',
        threshold: 3,
        maxWeight: 60,
        stepWeight: 20,
      },
    },
    status: options.phase
      ? { phase: options.phase, lastAppliedSpec: 'abc' }
      : undefined,
  };
}

function deployment(
  namespace: string,
  name: string,
  labels: Obj = {},
  image = `${name}:1`,
): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      namespace,
      name,
      labels,
      annotations: { big: 'x'.repeat(1000) },
      managedFields: [{}],
    },
    spec: {
      replicas: 2,
      template: {
        metadata: { annotations: { a: 'b' } },
        spec: {
          containers: [
            { name: 'app', image, env: [{ name: 'A', value: 'B' }] },
          ],
        },
      },
    },
    status: { replicas: 2, availableReplicas: 1 },
  };
}

function event(
  namespace: string,
  canaryName: string,
  uid: string,
  message: string,
  at: string,
): Obj {
  return {
    metadata: {
      namespace,
      name: `${canaryName}.${uid}`,
      uid,
      creationTimestamp: at,
    },
    involvedObject: { kind: 'Canary', namespace, name: canaryName },
    reason: 'Synced',
    type: 'Normal',
    message,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: 'flagger' },
  };
}

async function setup(
  names = ['dev', 'prod'],
  prepare?: (transports: Record<string, FakeKubeTransport>) => void,
) {
  const transports: Record<string, FakeKubeTransport> = {};
  for (const name of names)
    transports[name] = fakeCluster({ withWorkloads: name === 'dev' });
  prepare?.(transports);
  const store = new KubernetesCanaryStore({
    clusters: names.map(cluster),
    logger: mockServices.logger.mock(),
    transportFor: c => transports[c.name],
    coalesceMs: 5,
    reflectorOptions: { initialBackoffMs: 5 },
    probeIntervalMs: 20,
  });
  await store.ready();
  return { store, transports };
}

const refs = (
  list: Array<{ ref: { cluster: string; namespace: string; name: string } }>,
) => list.map(c => canaryKey(c.ref));

describe('KubernetesCanaryStore', () => {
  let store: KubernetesCanaryStore | undefined;
  afterEach(async () => {
    await store?.stop();
    store = undefined;
  });

  it('syncs every cluster and serves canaries with their Deployments and events', async () => {
    const setupResult = await setup(['dev', 'prod'], ({ dev, prod }) => {
      dev.applySilently(
        PATHS.canaries,
        canary('shop', 'checkout', { phase: 'Progressing' }),
      );
      dev.applySilently(PATHS.deployments, deployment('shop', 'checkout'));
      dev.applySilently(
        PATHS.deployments,
        deployment('shop', 'checkout-primary'),
      );
      dev.applySilently(
        PATHS.events,
        event(
          'shop',
          'checkout',
          'e2',
          'Advance checkout.shop canary weight 20',
          '2026-11-23T02:00:10Z',
        ),
      );
      dev.applySilently(
        PATHS.events,
        event(
          'shop',
          'checkout',
          'e1',
          'New revision detected! Scaling up checkout.shop',
          '2026-11-23T02:00:00Z',
        ),
      );
      prod.applySilently(PATHS.canaries, canary('shop', 'checkout'));
    });
    store = setupResult.store;

    expect(store.getClusterStatuses()).toEqual([
      expect.objectContaining({
        name: 'dev',
        status: 'ok',
        lastSyncAt: expect.any(String),
        prometheus: { status: 'not-configured' },
      }),
      expect.objectContaining({ name: 'prod', status: 'ok' }),
    ]);
    const watched = store.getCanary({
      cluster: 'dev',
      namespace: 'shop',
      name: 'checkout',
    })!;
    expect(watched.object.metadata.managedFields).toBeUndefined();
    expect(watched.revision).toBe('abc');
    expect(watched.target?.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'checkout:1' },
    ]);
    expect(watched.target?.metadata.annotations).toBeUndefined();
    expect(watched.primary?.metadata.name).toBe('checkout-primary');
    expect(watched.events.map(e => e.metadata.uid)).toEqual(['e1', 'e2']);
    expect(store.isFresh('dev')).toBe(true);
    expect(store.hasCluster('dev')).toBe(true);
    expect(store.hasCluster('staging')).toBe(false);
  });

  it('finds canaries by target name, by carto.run/workload-name of the target, by reference and by labels, in order', async () => {
    const result = await setup(['prod', 'dev'], ({ dev, prod }) => {
      dev.applySilently(
        PATHS.canaries,
        canary('team-b', 'hello', {
          labels: { 'app.kubernetes.io/part-of': 'hello' },
        }),
      );
      dev.applySilently(PATHS.canaries, canary('team-a', 'hello'));
      dev.applySilently(
        PATHS.canaries,
        canary('team-a', 'hello-canary', { target: 'hello-web' }),
      );
      dev.applySilently(
        PATHS.deployments,
        deployment('team-a', 'hello-web', {
          'carto.run/workload-name': 'hello',
        }),
      );
      // Flagger copies the label to the primary, which is nobody's target.
      dev.applySilently(
        PATHS.deployments,
        deployment('team-a', 'hello-web-primary', {
          'carto.run/workload-name': 'hello',
        }),
      );
      dev.applySilently(PATHS.canaries, canary('team-a', 'other'));
      prod.applySilently(PATHS.canaries, canary('team-a', 'hello'));
      prod.applySilently(PATHS.canaries, canary('team-c', 'explicit'));
    });
    store = result.store;

    expect(
      refs(store.findCanaries({ workloadNames: ['hello'], canaries: [] })),
    ).toEqual([
      'dev/team-a/hello',
      'dev/team-a/hello-canary',
      'dev/team-b/hello',
      'prod/team-a/hello',
    ]);
    expect(
      refs(
        store.findCanaries({
          workloadNames: ['hello'],
          canaries: [],
          namespace: 'team-a',
        }),
      ),
    ).toEqual([
      'dev/team-a/hello',
      'dev/team-a/hello-canary',
      'prod/team-a/hello',
    ]);
    expect(
      refs(
        store.findCanaries({
          workloadNames: [],
          canaries: [
            { namespace: 'team-c', name: 'explicit' },
            { cluster: 'dev', namespace: 'team-a', name: 'other' },
            { cluster: 'dev', namespace: 'team-c', name: 'missing' },
          ],
        }),
      ),
    ).toEqual(['dev/team-a/other', 'prod/team-c/explicit']);
    expect(
      refs(
        store.findCanaries({
          workloadNames: [],
          canaries: [],
          labelSelector: 'app.kubernetes.io/part-of in (hello, x)',
        }),
      ),
    ).toEqual(['dev/team-b/hello']);
    expect(
      refs(
        store.findCanaries({
          workloadNames: [],
          canaries: [],
          labelSelector: '!app.kubernetes.io/part-of',
          namespace: 'team-a',
        }),
      ),
    ).toEqual([
      'dev/team-a/hello',
      'dev/team-a/hello-canary',
      'dev/team-a/other',
      'prod/team-a/hello',
    ]);
    expect(() =>
      store!.findCanaries({
        workloadNames: [],
        canaries: [],
        labelSelector: 'a in b',
      }),
    ).toThrow(InputError);
  });

  it('answers page views from memory: no request reaches a cluster', async () => {
    const result = await setup(['dev'], ({ dev }) =>
      dev.applySilently(PATHS.canaries, canary('shop', 'checkout')),
    );
    store = result.store;
    const before = result.transports.dev.requests.length;
    store.findCanaries({
      workloadNames: ['checkout'],
      canaries: [],
      labelSelector: 'a!=b',
    });
    store.getCanary({ cluster: 'dev', namespace: 'shop', name: 'checkout' });
    store.getClusterStatuses();
    expect(result.transports.dev.requests.length).toBe(before);
  });

  it('fetchCanary reads one object straight from the API server', async () => {
    const result = await setup(['dev'], ({ dev }) =>
      dev.applySilently(
        PATHS.canaries,
        canary('shop', 'checkout', { phase: 'Progressing' }),
      ),
    );
    store = result.store;
    result.transports.dev.applySilently(
      PATHS.canaries,
      canary('shop', 'checkout', { phase: 'WaitingPromotion' }),
    );
    const before = result.transports.dev.requests.length;

    const fetched = await store.fetchCanary({
      cluster: 'dev',
      namespace: 'shop',
      name: 'checkout',
    });
    expect(fetched?.object.status.phase).toBe('WaitingPromotion');
    expect(fetched?.object.metadata.managedFields).toBeUndefined();
    expect(result.transports.dev.requests.slice(before)).toEqual([
      {
        verb: 'get',
        path: '/apis/flagger.app/v1beta1/namespaces/shop/canaries/checkout',
        query: {},
      },
    ]);
    expect(
      await store.fetchCanary({
        cluster: 'dev',
        namespace: 'shop',
        name: 'nope',
      }),
    ).toBeUndefined();
    await expect(
      store.fetchCanary({ cluster: 'staging', namespace: 'shop', name: 'x' }),
    ).rejects.toThrow('Unknown cluster "staging"; configured clusters: dev.');
  });

  it('tells subscribers within milliseconds which canary changed, once per burst', async () => {
    const result = await setup(['dev'], ({ dev }) => {
      dev.applySilently(PATHS.canaries, canary('shop', 'checkout'));
      dev.applySilently(PATHS.canaries, canary('shop', 'cart'));
    });
    store = result.store;
    const messages: Array<StreamMessage & { receivedAt: number }> = [];
    store.subscribe(message =>
      messages.push({ ...message, receivedAt: Date.now() }),
    );
    await new Promise(resolve => setTimeout(resolve, 20));
    messages.length = 0;

    const changedAt = Date.now();
    const { dev } = result.transports;
    dev.apply(
      PATHS.canaries,
      canary('shop', 'checkout', { phase: 'Progressing' }),
    );
    dev.apply(
      PATHS.events,
      event(
        'shop',
        'checkout',
        'e1',
        'Advance checkout.shop canary weight 20',
        '2026-11-23T02:00:00Z',
      ),
    );
    dev.apply(PATHS.deployments, deployment('shop', 'cart-primary'));
    await new Promise(resolve => setTimeout(resolve, 30));

    expect(
      messages
        .filter(m => m.type === 'canary-changed')
        .map(m => `${m.type} ${m.ref?.name}`)
        .sort(),
    ).toEqual(['canary-changed cart', 'canary-changed checkout']);
    for (const message of messages)
      expect(message.receivedAt - changedAt).toBeLessThan(200);
  });

  it('keeps serving an unreachable cluster, reports why, and recovers', async () => {
    const result = await setup(['dev'], ({ dev }) =>
      dev.applySilently(PATHS.canaries, canary('shop', 'checkout')),
    );
    store = result.store;
    const messages: StreamMessage[] = [];
    store.subscribe(message => messages.push(message));
    const { dev } = result.transports;

    for (let i = 0; i < 1000; i++)
      dev.failures.push(
        new KubeRequestError('connection refused (127.0.0.1:26443)'),
      );
    dev.closeWatches(PATHS.canaries, 'gone');
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(store.getClusterStatuses()[0]).toMatchObject({
      status: 'error',
      error: 'canaries: connection refused (127.0.0.1:26443)',
    });
    expect(store.isFresh('dev')).toBe(false);
    expect(
      store.getCanary({ cluster: 'dev', namespace: 'shop', name: 'checkout' }),
    ).toBeDefined();

    dev.failures.length = 0;
    await new Promise(resolve => setTimeout(resolve, 200));
    expect(store.getClusterStatuses()[0]).toMatchObject({
      status: 'ok',
      error: undefined,
    });
    expect(messages.filter(m => m.type === 'cluster-changed')).toEqual([
      expect.objectContaining({ cluster: 'dev' }),
      expect.objectContaining({ cluster: 'dev' }),
    ]);
  });

  it('notices within one probe interval that an API server stopped answering, and resumes the watches after', async () => {
    const result = await setup(['dev', 'prod'], ({ dev }) =>
      dev.applySilently(PATHS.canaries, canary('shop', 'checkout')),
    );
    store = result.store;
    const { dev } = result.transports;
    const watchesBefore = dev.watches.length;

    dev.unreachable = new KubeRequestError(
      'no answer from https://dev:6443 within 1000 ms',
    );
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(
      store.getClusterStatuses().map(s => [s.name, s.status, s.error]),
    ).toEqual([
      [
        'dev',
        'error',
        'api-server: unreachable: no answer from https://dev:6443 within 1000 ms',
      ],
      ['prod', 'ok', undefined],
    ]);
    expect(
      store.getCanary({ cluster: 'dev', namespace: 'shop', name: 'checkout' }),
    ).toBeDefined();

    dev.unreachable = undefined;
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(store.getClusterStatuses()[0]).toMatchObject({
      status: 'ok',
      error: undefined,
    });
    // Every collection watches again on a new connection, from where it left off.
    expect(dev.watches.length).toBeGreaterThanOrEqual(watchesBefore + 5);
    expect(dev.openWatches().length).toBe(5);
  });

  it('forgets deleted canaries, Deployments and expired events', async () => {
    const result = await setup(['dev'], ({ dev }) => {
      dev.applySilently(PATHS.canaries, canary('shop', 'checkout'));
      dev.applySilently(
        PATHS.deployments,
        deployment('shop', 'checkout', {
          'carto.run/workload-name': 'shop-app',
        }),
      );
      dev.applySilently(
        PATHS.events,
        event(
          'shop',
          'checkout',
          'e1',
          'Initialization done! checkout.shop',
          '2026-11-23T02:00:00Z',
        ),
      );
    });
    store = result.store;
    const { dev } = result.transports;
    dev.delete(PATHS.events, 'shop', 'checkout.e1');
    expect(
      store.getCanary({ cluster: 'dev', namespace: 'shop', name: 'checkout' })!
        .events,
    ).toEqual([]);
    dev.delete(PATHS.deployments, 'shop', 'checkout');
    expect(
      store.findCanaries({ workloadNames: ['shop-app'], canaries: [] }),
    ).toEqual([]);
    dev.delete(PATHS.canaries, 'shop', 'checkout');
    expect(
      store.findCanaries({ workloadNames: ['checkout'], canaries: [] }),
    ).toEqual([]);
  });

  it('looks up by index among 10,000 canaries, in milliseconds per page view', async () => {
    const result = await setup(['dev'], ({ dev }) => {
      for (let i = 0; i < 10_000; i++) {
        dev.applySilently(
          PATHS.canaries,
          canary(`ns-${i % 100}`, `app-${i}`, {
            labels: { team: `t-${i % 50}` },
          }),
        );
      }
    });
    store = result.store;
    const started = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) {
      store.findCanaries({
        workloadNames: [`app-${i}`],
        canaries: [],
        labelSelector: `team=t-${i % 50},tier!=db`,
      });
    }
    const perLookupMs = Number(process.hrtime.bigint() - started) / 1e6 / 1000;
    expect(
      store.findCanaries({ workloadNames: ['app-7'], canaries: [] }),
    ).toHaveLength(1);
    expect(
      store.findCanaries({
        workloadNames: [],
        canaries: [],
        labelSelector: 'team=t-7',
      }),
    ).toHaveLength(200);
    expect(perLookupMs).toBeLessThan(5);
  });

  it('is built from Backstage config by the composition root', async () => {
    const created = storeFromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: 'dev',
                  url: 'https://127.0.0.1:1',
                  serviceAccountToken: 't',
                  title: 'Dev',
                },
              ],
            },
          ],
        },
      }),
    );
    expect(created.clusterNames()).toEqual(['dev']);
    expect(created.getClusterStatuses()).toEqual([
      {
        name: 'dev',
        title: 'Dev',
        status: 'syncing',
        error: undefined,
        lastSyncAt: undefined,
        prometheus: { status: 'not-configured' },
      },
    ]);
    await settle();
  });

  it('reports a cluster without a token as an error instead of failing the backend', async () => {
    const created = storeFromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            // What `serviceAccountToken: ${UNSET_VARIABLE}` becomes: no value.
            {
              type: 'config',
              clusters: [
                {
                  name: 'dev',
                  url: 'https://127.0.0.1:1',
                  authProvider: 'serviceAccount',
                },
              ],
            },
          ],
        },
      }),
    );
    await created.start();
    await created.ready(1000);
    const [dev] = created.getClusterStatuses();
    expect(dev).toMatchObject({ name: 'dev', status: 'error' });
    expect(dev.error).toContain(
      'no serviceAccountToken is configured for cluster "dev"',
    );
    expect(
      created.findCanaries({ workloadNames: ['checkout'], canaries: [] }),
    ).toEqual([]);
    await expect(
      created.fetchCanary({
        cluster: 'dev',
        namespace: 'shop',
        name: 'checkout',
      }),
    ).rejects.toThrow(/no serviceAccountToken/);
    await created.stop();
  });
});
