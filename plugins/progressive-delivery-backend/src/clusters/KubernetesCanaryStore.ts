import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  CanaryRef,
  CanarySelector,
  ClusterStatus,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../service/config';
import { CanaryStore, WatchedCanary } from '../service/types';
import { revisionKey } from '../translation/revision';
import { ClusterChange, ClusterWatcher } from './ClusterWatcher';
import { parseLabelSelector } from './labelSelector';

type Obj = Record<string, any>;

/** Lookups by workload name, rebuilt lazily after a change so page views stay O(matches). */
interface ClusterIndex {
  byTargetName: Map<string, Obj[]>;
  byWorkloadLabel: Map<string, Obj[]>;
}

/** Watch caches of every configured cluster, behind the `CanaryStore` contract. */
export class KubernetesCanaryStore implements CanaryStore {
  readonly #watchers = new Map<string, ClusterWatcher>();
  readonly #listeners = new Set<(message: StreamMessage) => void>();
  readonly #indexes = new Map<string, ClusterIndex | undefined>();
  readonly #prometheusStatus: (cluster: string) => ClusterStatus['prometheus'];

  constructor(options: {
    clusters: ClusterConfig[];
    logger: LoggerService;
    maxBackoffMs: number;
    prometheusStatus?: (cluster: string) => ClusterStatus['prometheus'];
  }) {
    this.#prometheusStatus = options.prometheusStatus ?? (() => ({ status: 'not-configured' }));
    for (const cluster of options.clusters) {
      this.#watchers.set(
        cluster.name,
        new ClusterWatcher({
          cluster,
          logger: options.logger,
          maxBackoffMs: options.maxBackoffMs,
          onChange: change => this.#changed(cluster.name, change),
        }),
      );
    }
  }

  async start(): Promise<void> {
    // Clusters start independently: one unreachable API server never delays the others.
    for (const watcher of this.#watchers.values()) void watcher.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#watchers.values()].map(watcher => watcher.stop()));
  }

  clusterNames(): string[] {
    return [...this.#watchers.keys()];
  }

  watcher(cluster: string): ClusterWatcher | undefined {
    return this.#watchers.get(cluster);
  }

  getClusterStatuses(): ClusterStatus[] {
    return [...this.#watchers.values()].map(watcher => ({
      ...watcher.status(),
      prometheus: this.#prometheusStatus(watcher.name),
    }));
  }

  hasCluster(cluster: string): boolean {
    return this.#watchers.has(cluster);
  }

  isFresh(cluster: string): boolean {
    return this.#watchers.get(cluster)?.fresh ?? false;
  }

  getCanary(ref: CanaryRef): WatchedCanary | undefined {
    const watcher = this.#watchers.get(ref.cluster);
    const object = watcher?.getCanary(ref.namespace, ref.name);
    return watcher && object ? this.#watched(watcher, object) : undefined;
  }

  async fetchCanary(ref: CanaryRef): Promise<WatchedCanary | undefined> {
    const watcher = this.#watchers.get(ref.cluster);
    if (!watcher) throw new NotFoundError(`Unknown cluster "${ref.cluster}"`);
    const object = await watcher.fetchCanary(ref.namespace, ref.name);
    return object ? this.#watched(watcher, object) : undefined;
  }

  /** Every canary of one cluster (used by the metrics refresh). */
  canariesOf(cluster: string): WatchedCanary[] {
    const watcher = this.#watchers.get(cluster);
    return watcher ? watcher.listCanaries().map(object => this.#watched(watcher, object)) : [];
  }

  findCanaries(selector: CanarySelector): WatchedCanary[] {
    const matchesLabels = selector.labelSelector ? parseLabelSelector(selector.labelSelector) : undefined;
    const found = new Map<string, WatchedCanary>();
    for (const watcher of this.#watchers.values()) {
      const add = (object: Obj | undefined) => {
        if (!object) return;
        const key = `${watcher.name}/${object.metadata.namespace}/${object.metadata.name}`;
        if (!found.has(key)) found.set(key, this.#watched(watcher, object));
      };
      const inNamespace = (object: Obj) =>
        !selector.namespace || object.metadata.namespace === selector.namespace;
      const index = this.#index(watcher);
      for (const name of selector.workloadNames) {
        (index.byTargetName.get(name) ?? []).filter(inNamespace).forEach(add);
        (index.byWorkloadLabel.get(name) ?? []).filter(inNamespace).forEach(add);
      }
      for (const reference of selector.canaries) {
        if (!reference.cluster || reference.cluster === watcher.name) {
          add(watcher.getCanary(reference.namespace, reference.name));
        }
      }
      if (matchesLabels) {
        for (const object of watcher.listCanaries()) {
          if (inNamespace(object) && matchesLabels(object.metadata.labels ?? {})) add(object);
        }
      }
    }
    return [...found.values()].sort((a, b) =>
      `${a.ref.cluster}/${a.ref.namespace}/${a.ref.name}`.localeCompare(
        `${b.ref.cluster}/${b.ref.namespace}/${b.ref.name}`,
      ),
    );
  }

  subscribe(listener: (message: StreamMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #watched(watcher: ClusterWatcher, object: Obj): WatchedCanary {
    const namespace = object.metadata.namespace;
    const target = object.spec?.targetRef?.name;
    return {
      ref: { cluster: watcher.name, namespace, name: object.metadata.name },
      object,
      target: target ? watcher.getDeployment(namespace, target) : undefined,
      primary: target ? watcher.getDeployment(namespace, `${target}-primary`) : undefined,
      events: watcher.eventsOf(namespace, object.metadata.name),
      revision: revisionKey(object),
    };
  }

  #index(watcher: ClusterWatcher): ClusterIndex {
    let index = this.#indexes.get(watcher.name);
    if (!index) {
      index = { byTargetName: new Map(), byWorkloadLabel: new Map() };
      const workloadOfDeployment = new Map<string, string>();
      for (const deployment of watcher.listDeployments()) {
        const workload = deployment.metadata?.labels?.['carto.run/workload-name'];
        if (workload) {
          workloadOfDeployment.set(`${deployment.metadata.namespace}/${deployment.metadata.name}`, workload);
        }
      }
      for (const canary of watcher.listCanaries()) {
        const target = canary.spec?.targetRef?.name;
        if (!target) continue;
        push(index.byTargetName, target, canary);
        const workload = workloadOfDeployment.get(`${canary.metadata.namespace}/${target}`);
        if (workload && workload !== target) push(index.byWorkloadLabel, workload, canary);
      }
      this.#indexes.set(watcher.name, index);
    }
    return index;
  }

  #changed(cluster: string, change: ClusterChange) {
    if (change.kind === 'canary' || change.kind === 'deployment') {
      this.#indexes.set(cluster, undefined);
    }
    const at = new Date().toISOString();
    let message: StreamMessage | undefined;
    if (change.kind === 'canary') {
      message = { type: 'canary-changed', ref: { cluster, namespace: change.namespace, name: change.name }, at };
    } else if (change.kind === 'event') {
      message = { type: 'canary-changed', ref: { cluster, namespace: change.namespace, name: change.canaryName }, at };
    } else if (change.kind === 'deployment') {
      const name = change.name.replace(/-primary$/, '');
      const canary = this.#watchers
        .get(cluster)
        ?.listCanaries()
        .find(c => c.metadata.namespace === change.namespace && c.spec?.targetRef?.name === name);
      if (canary) {
        message = { type: 'canary-changed', ref: { cluster, namespace: change.namespace, name: canary.metadata.name }, at };
      }
    } else if (change.kind === 'status') {
      message = { type: 'cluster-changed', cluster, at };
    }
    if (message) for (const listener of this.#listeners) listener(message);
  }
}

function push(map: Map<string, Obj[]>, key: string, value: Obj) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
