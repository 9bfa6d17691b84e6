import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  canaryKey,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import {
  adminClient,
  readSandboxInfo,
  SandboxInfo,
  sandboxPaths,
} from '@progressive-delivery/sandbox';
import { readFileSync } from 'node:fs';
import { readProgressiveDeliveryConfig } from '../config';
import { createClusterSide } from '../createServices';
import { MetricsCache } from '../prometheus/MetricsCache';
import { CanarySummarizer } from '../types';
import { KubernetesCanaryStore } from './KubernetesCanaryStore';

/*
 * The watch caches and the summaries against the real sandbox (kube-apiserver v1.36, Flagger
 * v1.44, Prometheus), with the portal's own service-account token. Only an annotation of a
 * sample Canary is written, so the test can run beside the other sandbox tests.
 */
// PD_SANDBOX_REPO_ROOT points at the sandbox of another checkout (e.g. a CI clone using the ports).
const paths = process.env.PD_SANDBOX_REPO_ROOT
  ? sandboxPaths(process.env.PD_SANDBOX_REPO_ROOT)
  : undefined;
const info = readSandboxInfo(paths);
const required = Boolean(process.env.PD_SANDBOX_REQUIRED);
const NAMESPACE = 'tap-apps';
const APPS = ['hello-contour', 'hello-bluegreen', 'hello-gated'];
const CLUSTERS = ['dev', 'prod'] as const;

if (!info && !required) {
  console.warn(
    'Skipping the cluster-side integration test: the sandbox is not up (npm run sandbox -- up). Set PD_SANDBOX_REQUIRED=1 to make this a failure.',
  );
}

function appConfig(sandbox: SandboxInfo) {
  const cluster = (name: (typeof CLUSTERS)[number]) => ({
    name,
    url: sandbox.clusters[name].apiServerUrl,
    authProvider: 'serviceAccount',
    serviceAccountToken: readFileSync(
      sandbox.clusters[name].tokenFile,
      'utf8',
    ).trim(),
    caData: readFileSync(sandbox.clusters[name].caBase64File, 'utf8').trim(),
  });
  return new ConfigReader({
    kubernetes: {
      clusterLocatorMethods: [
        { type: 'config', clusters: CLUSTERS.map(cluster) },
      ],
    },
    progressiveDelivery: {
      webhooks: {
        baseUrl: 'http://127.0.0.1:7007/api/progressive-delivery/webhooks',
      },
      clusters: Object.fromEntries(
        CLUSTERS.map(name => [
          name,
          { prometheus: { url: sandbox.clusters[name].prometheusUrl } },
        ]),
      ),
    },
  });
}

async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

(info || required ? describe : describe.skip)(
  'cluster side on the sandbox',
  () => {
    let store: KubernetesCanaryStore;
    let summarizer: CanarySummarizer;
    let metrics: MetricsCache;

    beforeAll(async () => {
      if (!info)
        throw new Error(
          'PD_SANDBOX_REQUIRED is set but the sandbox is not up: run npm run sandbox -- up',
        );
      const config = appConfig(info);
      const logger = mockServices.logger.mock();
      // The composition root's cluster side, without its metric refresh loop: the test
      // refreshes by hand.
      ({ store, summarizer, metrics } = createClusterSide({
        config: readProgressiveDeliveryConfig(config),
        logger,
      }));
      await store.start();
      await store.ready(60_000);
    }, 90_000);

    afterAll(async () => {
      metrics?.stop();
      await store?.stop();
    });

    it('syncs both clusters with the portal’s service account', async () => {
      const statuses = await eventually('both clusters in sync', () => {
        const list = store.getClusterStatuses();
        return list.every(status => status.status === 'ok') ? list : undefined;
      });
      expect(statuses.map(status => status.name)).toEqual(['dev', 'prod']);
      for (const status of statuses) {
        expect(status.error).toBeUndefined();
        expect(Date.now() - Date.parse(status.lastSyncAt!)).toBeLessThan(
          60_000,
        );
      }
      // The portal's role may list Workloads; the CRD is installed in the sandbox.
      expect(store.watcher('dev')!.hasWorkloads).toBe(true);
    });

    it('finds every sample app in both clusters by its workload name, with target, primary and events', () => {
      for (const app of APPS) {
        const found = store.findCanaries({
          workloadNames: [app],
          canaries: [],
        });
        expect(found.map(c => canaryKey(c.ref))).toEqual([
          `dev/${NAMESPACE}/${app}`,
          `prod/${NAMESPACE}/${app}`,
        ]);
        for (const watched of found) {
          expect(watched.object.metadata.managedFields).toBeUndefined();
          expect(
            watched.target?.metadata.labels['carto.run/workload-name'],
          ).toBe(app);
          expect(watched.primary?.metadata.name).toBe(`${app}-primary`);
          expect(watched.events.length).toBeGreaterThan(0);
          expect(watched.events.every(e => e.involvedObject.name === app)).toBe(
            true,
          );
        }
      }
      expect(
        store.findCanaries({
          workloadNames: [],
          canaries: [],
          labelSelector: 'app.kubernetes.io/part-of=hello-gated',
        }),
      ).toHaveLength(2);
      expect(
        store.findCanaries({
          workloadNames: ['hello-contour'],
          canaries: [],
          namespace: 'elsewhere',
        }),
      ).toEqual([]);
    });

    it('tells subscribers within a second when a Canary changes', async () => {
      const messages: Array<{ message: StreamMessage; at: number }> = [];
      const unsubscribe = store.subscribe(message =>
        messages.push({ message, at: Date.now() }),
      );
      try {
        const changedAt = Date.now();
        await adminClient('dev', paths).mergePatch(
          `/apis/flagger.app/v1beta1/namespaces/${NAMESPACE}/canaries/hello-contour`,
          {
            metadata: {
              annotations: {
                'progressive-delivery.dev/integration-test': String(changedAt),
              },
            },
          },
        );
        const seen = await eventually(
          'a canary-changed message for dev/tap-apps/hello-contour',
          () =>
            messages.find(
              ({ message }) =>
                message.type === 'canary-changed' &&
                message.ref?.cluster === 'dev' &&
                message.ref.name === 'hello-contour',
            ),
          5_000,
        );
        expect(seen.at - changedAt).toBeLessThan(1000);
        expect(
          store.getCanary({
            cluster: 'dev',
            namespace: NAMESPACE,
            name: 'hello-contour',
          })!.object.metadata.annotations[
            'progressive-delivery.dev/integration-test'
          ],
        ).toBe(String(changedAt));
      } finally {
        unsubscribe();
      }
    });

    it('reads a Canary straight from the API server for webhook answers', async () => {
      const fetched = await store.fetchCanary({
        cluster: 'prod',
        namespace: NAMESPACE,
        name: 'hello-gated',
      });
      expect(fetched?.object.kind).toBe('Canary');
      expect(fetched?.revision).toBeDefined();
      expect(
        await store.fetchCanary({
          cluster: 'prod',
          namespace: NAMESPACE,
          name: 'no-such-canary',
        }),
      ).toBeUndefined();
    });

    it('summarizes each sample app sensibly, with metrics read from the cluster’s Prometheus', async () => {
      for (const cluster of CLUSTERS) await metrics.refresh(cluster);
      expect(
        store.getClusterStatuses().map(status => status.prometheus),
      ).toEqual([{ status: 'ok' }, { status: 'ok' }]);
      for (const cluster of CLUSTERS) {
        // Batched: a fixed number of queries however many canaries (2 providers × 1 interval × 2 metrics).
        expect(metrics.lastQueryCount(cluster)).toBe(4);
      }

      const canaries = store.findCanaries({
        workloadNames: APPS,
        canaries: [],
      });
      const summaries = await summarizer.summarize(canaries, async () => ({
        paused: false,
      }));
      expect(summaries).toHaveLength(6);
      for (const summary of summaries) {
        const app = summary.ref.name;
        expect(summary.fresh).toBe(true);
        expect(summary.phase).toBeDefined();
        expect(summary.state.headline.length).toBeGreaterThan(5);
        expect(summary.revision).toBeDefined();
        expect(summary.intervalSeconds).toBe(10);
        expect(summary.checks.threshold).toBeGreaterThan(0);
        expect(summary.primary?.images[0].image).toContain(app);
        expect(summary.workloadName).toBe(app);
        expect(summary.metrics.map(metric => metric.name)).toEqual([
          'request-success-rate',
          'request-duration',
        ]);
        for (const metric of summary.metrics) {
          expect(metric.query).toBeDefined();
          expect(metric.prometheusUrl).toMatch(
            /^http:\/\/127\.0\.0\.1:\d+\/graph\?g0\.expr=/,
          );
          expect(metric.current?.verdict).not.toBe('unavailable');
          // The primary always serves the simulated traffic: 50 requests per second.
          expect(metric.current?.primaryValue).toBeDefined();
        }
        expect(summary.events.length).toBeGreaterThan(0);
        const expected =
          app === 'hello-bluegreen'
            ? {
                provider: 'kubernetes',
                strategy: 'blue-green',
                traffic: { mode: 'iterations', totalSteps: 4 },
              }
            : {
                provider: 'contour',
                strategy: 'canary',
                traffic: { mode: 'weight', maxWeight: 60, totalSteps: 3 },
              };
        expect(summary).toMatchObject(expected);
        const portalGates = summary.webhooks
          .filter(hook => hook.servedByPortal)
          .map(hook => hook.type);
        expect(portalGates.length > 0).toBe(app === 'hello-gated');
      }
    });
  },
);
