import {
  CanaryRef,
  canaryKey,
  CanarySelector,
  ClusterStatus,
  MetricSeries,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import capture from '../../__fixtures__/sandbox-capture.json';
import { revisionKey } from '../../flagger/revision';
import { summarizeCanary } from '../../summary/summarizeCanary';

import {
  CanaryStore,
  CanarySummarizer,
  ClusterSide,
  WatchedCanary,
} from '../../types';

type Obj = Record<string, any>;

export const WEBHOOK_BASE_URL =
  'http://127.0.0.1:7007/api/progressive-delivery/webhooks';

/** The `hello-gated` Canary captured from the sandbox's dev cluster, in the given phase. */
export function gatedCanary(phase: string): Obj {
  const object = structuredClone(
    (capture as any).canaries.find(
      (c: any) =>
        c.cluster === 'dev' && c.object.metadata.name === 'hello-gated',
    ).object,
  );
  object.status.phase = phase;
  object.metadata.managedFields = [{ manager: 'flagger' }];
  // The binding the sandbox's manifests now put on each sample app (the capture predates it).
  object.metadata.labels = {
    ...object.metadata.labels,
    'backstage.io/kubernetes-id': 'hello-gated',
  };
  return object;
}

/** An in-memory `CanaryStore`: canaries are put in by the test; selectors match by target name. */
export class FakeCanaryStore implements CanaryStore {
  readonly canaries = new Map<string, WatchedCanary>();
  readonly #listeners = new Set<(message: StreamMessage) => void>();
  clusters: ClusterStatus[] = [
    { name: 'dev', status: 'ok', prometheus: { status: 'not-configured' } },
    {
      name: 'prod',
      status: 'error',
      error: 'connect ECONNREFUSED',
      prometheus: { status: 'not-configured' },
    },
  ];
  /** What the API server answers to `fetchCanary`; defaults to the cached object. */
  fetchFails = false;
  fetchCalls = 0;

  put(
    cluster: string,
    object: Obj,
    extra: Partial<WatchedCanary> = {},
  ): WatchedCanary {
    const ref = {
      cluster,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    };
    const watched: WatchedCanary = {
      ref,
      object,
      events: [],
      revision: revisionKey(object),
      ...extra,
    };
    this.canaries.set(canaryKey(ref), watched);
    this.emit({ type: 'canary-changed', ref, at: new Date().toISOString() });
    return watched;
  }

  emit(message: StreamMessage) {
    for (const listener of this.#listeners) listener(message);
  }

  listenerCount() {
    return this.#listeners.size;
  }

  getClusterStatuses() {
    return this.clusters;
  }
  hasCluster(cluster: string) {
    return this.clusters.some(c => c.name === cluster);
  }
  getCanary(ref: CanaryRef) {
    return this.canaries.get(canaryKey(ref));
  }
  async fetchCanary(ref: CanaryRef) {
    this.fetchCalls++;
    if (this.fetchFails) throw new Error('connect ECONNREFUSED');
    const cached = this.canaries.get(canaryKey(ref));
    // A copy, as a fresh GET would give: later changes to the cache do not show in it.
    return cached && { ...cached, object: structuredClone(cached.object) };
  }
  findCanaries(selector: CanarySelector) {
    return [...this.canaries.values()].filter(
      c =>
        selector.workloadNames.includes(c.object.spec?.targetRef?.name) ||
        selector.canaries.some(
          r =>
            (!r.cluster || r.cluster === c.ref.cluster) &&
            r.namespace === c.ref.namespace &&
            r.name === c.ref.name,
        ),
    );
  }
  subscribe(listener: (message: StreamMessage) => void) {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
  async start() {}
  async stop() {}
}

/** The real summary over the fake store, without Prometheus. */
export class FakeSummarizer implements CanarySummarizer {
  seriesRequests: Array<{ ref: CanaryRef; minutes: number }> = [];

  summarize: CanarySummarizer['summarize'] = async (canaries, decisions) =>
    Promise.all(
      canaries.map(async watched =>
        summarizeCanary(watched, {
          decisions: await decisions(watched.ref, watched.revision),
          webhookBaseUrl: WEBHOOK_BASE_URL,
          now: new Date(),
          clusterFresh: true,
          metricReadings: undefined,
          prometheusConfigured: false,
        }),
      ),
    );

  async metricSeries(
    watched: WatchedCanary,
    minutes: number,
  ): Promise<MetricSeries[]> {
    this.seriesRequests.push({ ref: watched.ref, minutes });
    return [
      {
        metric: 'request-success-rate',
        unit: 'percent',
        thresholdRange: { min: 99 },
        canary: [],
      },
    ];
  }
}

export function fakeClusterSide(): ClusterSide & {
  store: FakeCanaryStore;
  summarizer: FakeSummarizer;
} {
  const store = new FakeCanaryStore();
  const summarizer = new FakeSummarizer();
  return { store, summarizer, start: async () => {}, stop: async () => {} };
}
