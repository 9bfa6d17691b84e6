import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  CanaryRef,
  canaryKey,
  CanarySelector,
  ClusterStatus,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../config';
import { CanaryObject, CanaryStore, WatchedCanary } from '../types';
import { revisionKey } from '../flagger/revision';
import { ClusterChange, ClusterWatcher } from './ClusterWatcher';
import { KubeTransport } from './KubeTransport';
import { LabelRequirement, parseLabelSelector } from './labelSelector';

type Obj = Record<string, any>;

export interface KubernetesCanaryStoreOptions {
  clusters: ClusterConfig[];
  logger: LoggerService;
  /** Longest wait between reconnect attempts to an unreachable API server. Default 30 s. */
  maxBackoffMs?: number;
  /** Health of each cluster's Prometheus, for `getClusterStatuses()`; `not-configured` without it. */
  prometheusStatus?: (cluster: string) => ClusterStatus['prometheus'];
  /**
   * Changes that arrive within this window are sent once per canary. Default 20 ms: a
   * burst (an initial list, Flagger writing status and an event together) becomes one
   * message per canary while a single change still reaches the browser at once.
   */
  coalesceMs?: number;
  /** For tests: requests to a cluster go through this instead of its API server. */
  transportFor?: (cluster: ClusterConfig) => KubeTransport;
  reflectorOptions?: {
    initialBackoffMs?: number;
    watchTimeoutSeconds?: number;
    pageSize?: number;
  };
  /** How often each API server is probed for liveness; 0 turns the probe off. Default 5 s. */
  probeIntervalMs?: number;
}

/**
 * Watch caches of every configured cluster, behind the `CanaryStore` contract. Page views
 * (`findCanaries`, `getCanary`) are served from memory through indexes; only `fetchCanary`
 * talks to an API server.
 */
export class KubernetesCanaryStore implements CanaryStore {
  readonly #watchers = new Map<string, ClusterWatcher>();
  readonly #listeners = new Set<(message: StreamMessage) => void>();
  readonly #logger: LoggerService;
  readonly #coalesceMs: number;
  readonly #pending = new Map<string, StreamMessage>();
  #flushTimer?: NodeJS.Timeout;
  readonly #prometheusStatus: (cluster: string) => ClusterStatus['prometheus'];
  #started?: Promise<void>;

  constructor(options: KubernetesCanaryStoreOptions) {
    this.#logger = options.logger;
    this.#coalesceMs = options.coalesceMs ?? 20;
    this.#prometheusStatus =
      options.prometheusStatus ?? (() => ({ status: 'not-configured' }));
    for (const cluster of options.clusters) {
      this.#watchers.set(
        cluster.name,
        new ClusterWatcher({
          cluster,
          logger: options.logger,
          maxBackoffMs: options.maxBackoffMs,
          transport: options.transportFor?.(cluster),
          reflectorOptions: options.reflectorOptions,
          probeIntervalMs: options.probeIntervalMs,
          onChange: change => this.#changed(cluster.name, change),
        }),
      );
    }
  }

  /**
   * Starts every cluster's watches and returns at once: one unreachable API server never
   * delays the plugin's start or the other clusters. {@link ready} waits for the first lists.
   */
  async start(): Promise<void> {
    this.#started ??= Promise.all(
      [...this.#watchers.values()].map(watcher =>
        watcher
          .start()
          .catch(error =>
            this.#logger.warn(
              `Cluster ${watcher.name} did not start: ${error}`,
            ),
          ),
      ),
    ).then(() => undefined);
  }

  /** Resolves when every cluster had its first list attempt, or after `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<void> {
    if (!this.#started) await this.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#started,
      new Promise<void>(resolve => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.#watchers.values()].map(watcher => watcher.stop()),
    );
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#pending.clear();
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

  /** False while the cluster's API server is unreachable or not yet listed: its summaries are not fresh. */
  isFresh(cluster: string): boolean {
    return this.#watchers.get(cluster)?.fresh ?? false;
  }

  getCanary(ref: CanaryRef): WatchedCanary | undefined {
    const watcher = this.#watchers.get(ref.cluster);
    const object = watcher?.index.getCanary(ref.namespace, ref.name);
    return watcher && object ? this.#watched(watcher, object) : undefined;
  }

  async fetchCanary(ref: CanaryRef): Promise<WatchedCanary | undefined> {
    const watcher = this.#watchers.get(ref.cluster);
    if (!watcher) {
      throw new NotFoundError(
        `Unknown cluster "${ref.cluster}"; configured clusters: ${
          this.clusterNames().join(', ') || 'none'
        }.`,
      );
    }
    const object = await watcher.fetchCanary(ref.namespace, ref.name);
    return object ? this.#watched(watcher, object) : undefined;
  }

  /**
   * Every canary of one cluster, without its Deployments and events: the metrics refresh reads
   * only the Canary, and walks every canary of every cluster every few seconds.
   */
  canariesOf(cluster: string): CanaryObject[] {
    const watcher = this.#watchers.get(cluster);
    return watcher
      ? watcher.index
          .listCanaries()
          .map(object => canaryObjectOf(watcher, object))
      : [];
  }

  /** The MetricTemplate a canary's metric refers to, from the watch cache. */
  getMetricTemplate(
    cluster: string,
    namespace: string,
    name: string,
  ): Obj | undefined {
    return this.#watchers
      .get(cluster)
      ?.index.getMetricTemplate(namespace, name);
  }

  /**
   * The canaries that belong to an entity: by target name or `carto.run/workload-name` of the
   * target Deployment (within `namespace` when set), by explicit reference, and by label
   * selector. Sorted by cluster, namespace, name.
   *
   * @throws InputError when the label selector is malformed
   */
  findCanaries(selector: CanarySelector): WatchedCanary[] {
    const labels = selector.labelSelector
      ? parseLabelSelector(selector.labelSelector)
      : undefined;
    const inNamespace = (objectKey: string) =>
      !selector.namespace || objectKey.startsWith(`${selector.namespace}/`);
    const found: WatchedCanary[] = [];
    for (const watcher of this.#watchers.values()) {
      const keys = new Set<string>();
      for (const name of selector.workloadNames) {
        for (const objectKey of watcher.index.canaryKeysByTargetName(name)) {
          if (inNamespace(objectKey)) keys.add(objectKey);
        }
        for (const objectKey of watcher.index.canaryKeysByWorkload(name)) {
          if (inNamespace(objectKey)) keys.add(objectKey);
        }
      }
      for (const reference of selector.canaries) {
        if (!reference.cluster || reference.cluster === watcher.name) {
          keys.add(`${reference.namespace}/${reference.name}`);
        }
      }
      if (labels) {
        for (const objectKey of labelCandidates(
          watcher,
          labels.requirements,
          selector.namespace,
        )) {
          if (!inNamespace(objectKey) || keys.has(objectKey)) continue;
          if (
            labels.matches(
              watcher.index.getCanaryByKey(objectKey)?.metadata?.labels,
            )
          )
            keys.add(objectKey);
        }
      }
      for (const objectKey of keys) {
        const object = watcher.index.getCanaryByKey(objectKey);
        if (object) found.push(this.#watched(watcher, object));
      }
    }
    return found.sort(compareRefs);
  }

  subscribe(listener: (message: StreamMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #watched(watcher: ClusterWatcher, object: Obj): WatchedCanary {
    const namespace = object.metadata.namespace;
    const target = object.spec?.targetRef?.name;
    return {
      ...canaryObjectOf(watcher, object),
      target: target
        ? watcher.index.getDeployment(namespace, target)
        : undefined,
      primary: target
        ? watcher.index.getDeployment(namespace, `${target}-primary`)
        : undefined,
      events: watcher.index.eventsOf(namespace, object.metadata.name),
      revision: revisionKey(object),
    };
  }

  #changed(cluster: string, change: ClusterChange) {
    const at = () => new Date().toISOString();
    const canaryChanged = (namespace: string, name: string) =>
      this.#enqueue(canaryKey({ cluster, namespace, name }), {
        type: 'canary-changed',
        ref: { cluster, namespace, name },
        at: at(),
      });
    switch (change.kind) {
      case 'canary':
        canaryChanged(change.namespace, change.name);
        break;
      case 'event':
        canaryChanged(change.namespace, change.canaryName);
        break;
      case 'deployment': {
        const watcher = this.#watchers.get(cluster);
        const target = change.name.replace(/-primary$/, '');
        const keys = new Set([
          ...(watcher?.index.canaryKeysByTarget(
            change.namespace,
            change.name,
          ) ?? []),
          ...(target !== change.name
            ? watcher?.index.canaryKeysByTarget(change.namespace, target) ?? []
            : []),
        ]);
        for (const objectKey of keys) {
          canaryChanged(
            change.namespace,
            objectKey.slice(change.namespace.length + 1),
          );
        }
        break;
      }
      case 'status':
        this.#enqueue(`cluster:${cluster}`, {
          type: 'cluster-changed',
          cluster,
          at: at(),
        });
        break;
      default:
        // MetricTemplates and Workloads change no summary by themselves (metrics refresh on their own).
        break;
    }
  }

  #enqueue(key: string, message: StreamMessage) {
    this.#pending.set(key, message);
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => this.#flush(), this.#coalesceMs);
  }

  #flush() {
    this.#flushTimer = undefined;
    const messages = [...this.#pending.values()];
    this.#pending.clear();
    for (const message of messages) {
      for (const listener of this.#listeners) {
        try {
          listener(message);
        } catch (error) {
          this.#logger.warn(`A canary change listener failed: ${error}`);
        }
      }
    }
  }
}

function canaryObjectOf(watcher: ClusterWatcher, object: Obj): CanaryObject {
  return {
    ref: {
      cluster: watcher.name,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    },
    object,
  };
}

/**
 * The canaries a label selector can match, from the most selective indexed requirement
 * (`key=value`, `key in (...)`, `key`). Selectors made only of negations can match objects
 * without the label, so they fall back to the namespace (or every canary of the cluster).
 */
function labelCandidates(
  watcher: ClusterWatcher,
  requirements: LabelRequirement[],
  namespace: string | undefined,
): Iterable<string> {
  let best: Set<string> | ReadonlySet<string> | undefined;
  for (const requirement of requirements) {
    let candidates: Set<string> | ReadonlySet<string> | undefined;
    if (requirement.operator === 'in') {
      candidates =
        requirement.values.length === 1
          ? watcher.index.canaryKeysWithLabel(
              requirement.key,
              requirement.values[0],
            )
          : new Set(
              requirement.values.flatMap(value => [
                ...watcher.index.canaryKeysWithLabel(requirement.key, value),
              ]),
            );
    } else if (requirement.operator === 'exists') {
      candidates = watcher.index.canaryKeysWithLabel(requirement.key);
    }
    if (candidates && (!best || candidates.size < best.size)) best = candidates;
  }
  if (best) return best;
  return namespace
    ? watcher.index.canaryKeysInNamespace(namespace)
    : watcher.index.allCanaryKeys();
}

function compareRefs(a: WatchedCanary, b: WatchedCanary): number {
  return (
    compare(a.ref.cluster, b.ref.cluster) ||
    compare(a.ref.namespace, b.ref.namespace) ||
    compare(a.ref.name, b.ref.name)
  );
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
