import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterStatus } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../service/config';
import {
  KubeConfigTransport,
  kubeConfigFor,
  KubeRequestError,
  KubeTransport,
} from './KubeTransport';
import {
  projectCanary,
  projectDeployment,
  projectEvent,
  projectMetricTemplate,
  projectWorkload,
} from './projections';
import { Reflector, ReflectorSink, ReflectorState } from './Reflector';

type Obj = Record<string, any>;

export { kubeConfigFor };

/** Which watched object changed, so the store can tell subscribers which canaries moved. */
export type ClusterChange =
  | { kind: 'canary'; namespace: string; name: string }
  | { kind: 'deployment'; namespace: string; name: string }
  | { kind: 'event'; namespace: string; canaryName: string }
  | { kind: 'metric-template'; namespace: string; name: string }
  | { kind: 'workload'; namespace: string; name: string }
  | { kind: 'status' };

/** Kubernetes keeps events for an hour; a busy canary's newest hundred are plenty for a page. */
export const MAX_EVENTS_PER_CANARY = 100;

export const WORKLOAD_NAME_LABEL = 'carto.run/workload-name';

/**
 * How often each API server is asked whether it is alive. A watch on a connection that
 * silently died (a paused process, a dropped network path) is noticed only at its timeout;
 * the probe marks the cluster unavailable within seconds instead.
 */
export const DEFAULT_PROBE_INTERVAL_MS = 5000;

const key = (namespace: string | undefined, name: string | undefined) =>
  `${namespace ?? ''}/${name ?? ''}`;

const EMPTY: ReadonlySet<string> = new Set();

/** A map from one key to a set of object keys, for index lookups. */
class MultiIndex {
  readonly #map = new Map<string, Set<string>>();

  add(indexKey: string, objectKey: string) {
    let set = this.#map.get(indexKey);
    if (!set) {
      set = new Set();
      this.#map.set(indexKey, set);
    }
    set.add(objectKey);
  }

  delete(indexKey: string, objectKey: string) {
    const set = this.#map.get(indexKey);
    if (!set) return;
    set.delete(objectKey);
    if (set.size === 0) this.#map.delete(indexKey);
  }

  get(indexKey: string): ReadonlySet<string> {
    return this.#map.get(indexKey) ?? EMPTY;
  }

  clear() {
    this.#map.clear();
  }
}

/** Objects of one kind by "namespace/name", with hooks that keep the indexes in step. */
class ObjectCache implements ReflectorSink {
  readonly objects = new Map<string, Obj>();

  constructor(
    private readonly hooks: {
      added?: (object: Obj) => void;
      removed?: (object: Obj) => void;
      changed: (object: Obj) => void;
    },
  ) {}

  replace(objects: Obj[]) {
    const next = new Set(
      objects.map(object =>
        key(object.metadata?.namespace, object.metadata?.name),
      ),
    );
    for (const [objectKey, object] of this.objects) {
      if (!next.has(objectKey)) this.remove(object);
    }
    for (const object of objects) this.upsert(object);
  }

  upsert(object: Obj) {
    const objectKey = key(object.metadata?.namespace, object.metadata?.name);
    const previous = this.objects.get(objectKey);
    if (
      previous &&
      previous.metadata?.resourceVersion === object.metadata?.resourceVersion
    )
      return;
    if (previous) this.hooks.removed?.(previous);
    this.objects.set(objectKey, object);
    this.hooks.added?.(object);
    this.hooks.changed(object);
  }

  remove(object: Obj) {
    const objectKey = key(object.metadata?.namespace, object.metadata?.name);
    const previous = this.objects.get(objectKey);
    if (!previous) return;
    this.objects.delete(objectKey);
    this.hooks.removed?.(previous);
    this.hooks.changed(previous);
  }
}

/**
 * Watch caches of one cluster: Canaries, MetricTemplates, Deployments, the Events about
 * Canaries, and Cartographer Workloads (optional: the CRD may be absent). Each collection
 * is mirrored by a {@link Reflector}; lookups go through indexes kept up to date on every
 * change, so a page view costs no request and no scan.
 *
 * All Deployments are watched, not a label-filtered subset: a Canary's target carries no
 * label Flagger or TAP guarantees, and the `-primary` copies only carry the labels Flagger
 * was told to copy. The cost is bounded by keeping a small projection of each Deployment.
 */
export class ClusterWatcher {
  readonly name: string;
  readonly #cluster: ClusterConfig;
  readonly #logger: LoggerService;
  readonly #onChange: (change: ClusterChange) => void;
  readonly #transport: KubeTransport;
  readonly #reflectors: Reflector[] = [];
  readonly #states = new Map<string, ReflectorState>();
  #lastContact?: number;
  readonly #probeIntervalMs: number;
  #probeTimer?: NodeJS.Timeout;
  #probeFailing = false;
  #stopped = false;
  #status: ClusterStatus['status'] = 'syncing';
  #error?: string;
  /** Why this cluster cannot be watched at all (no credential configured); undefined when it can. */
  readonly #unusable?: string;

  readonly #canaries: ObjectCache;
  readonly #deployments: ObjectCache;
  readonly #templates: ObjectCache;
  readonly #workloads: ObjectCache;
  readonly #eventsByCanary = new Map<string, Map<string, Obj>>();

  readonly #canariesByTargetName = new MultiIndex();
  readonly #canariesByTarget = new MultiIndex();
  readonly #canariesByNamespace = new MultiIndex();
  readonly #canariesByLabel = new MultiIndex();
  readonly #canariesByLabelKey = new MultiIndex();
  readonly #deploymentsByWorkload = new MultiIndex();

  constructor(options: {
    cluster: ClusterConfig;
    logger: LoggerService;
    onChange: (change: ClusterChange) => void;
    maxBackoffMs?: number;
    /** For tests; by default requests go to the cluster's API server with its credentials. */
    transport?: KubeTransport;
    reflectorOptions?: {
      initialBackoffMs?: number;
      watchTimeoutSeconds?: number;
      pageSize?: number;
    };
    /** 0 turns the liveness probe off. Default {@link DEFAULT_PROBE_INTERVAL_MS}. */
    probeIntervalMs?: number;
  }) {
    this.name = options.cluster.name;
    this.#probeIntervalMs =
      options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.#cluster = options.cluster;
    this.#logger = options.logger.child({ cluster: this.name });
    this.#onChange = options.onChange;
    this.#transport =
      options.transport ??
      new KubeConfigTransport(kubeConfigFor(options.cluster));
    if (!options.transport && !options.cluster.serviceAccountToken) {
      // Typically an unset environment variable in `serviceAccountToken: ${...}`: the other
      // clusters work, this one says what is missing instead of failing every request with 401.
      this.#unusable = `no serviceAccountToken is configured for cluster "${this.name}" (kubernetes.clusterLocatorMethods); set it to the token of a service account that may list and watch canaries, deployments, events and metrictemplates (an environment variable it refers to may be unset)`;
    }

    this.#canaries = new ObjectCache({
      added: canary => this.#indexCanary(canary, 'add'),
      removed: canary => this.#indexCanary(canary, 'delete'),
      changed: canary =>
        this.#onChange({
          kind: 'canary',
          namespace: canary.metadata.namespace,
          name: canary.metadata.name,
        }),
    });
    this.#deployments = new ObjectCache({
      added: deployment => this.#indexDeployment(deployment, 'add'),
      removed: deployment => this.#indexDeployment(deployment, 'delete'),
      changed: deployment =>
        this.#onChange({
          kind: 'deployment',
          namespace: deployment.metadata.namespace,
          name: deployment.metadata.name,
        }),
    });
    this.#templates = new ObjectCache({
      changed: template =>
        this.#onChange({
          kind: 'metric-template',
          namespace: template.metadata.namespace,
          name: template.metadata.name,
        }),
    });
    this.#workloads = new ObjectCache({
      changed: workload =>
        this.#onChange({
          kind: 'workload',
          namespace: workload.metadata.namespace,
          name: workload.metadata.name,
        }),
    });
    const events: ReflectorSink = {
      replace: list => this.#replaceEvents(list),
      upsert: event => this.#recordEvent(event),
      remove: event => this.#forgetEvent(event),
    };

    const reflect = (
      what: string,
      path: string,
      sink: ReflectorSink,
      transform: (object: Obj) => Obj,
      extra: { query?: Record<string, string>; optional?: boolean } = {},
    ) => {
      this.#states.set(what, { state: 'syncing' });
      this.#reflectors.push(
        new Reflector({
          what,
          path,
          sink,
          transform,
          transport: this.#transport,
          maxBackoffMs: options.maxBackoffMs,
          ...options.reflectorOptions,
          ...extra,
          onContact: () => {
            this.#lastContact = Date.now();
          },
          onState: state => this.#reflectorState(what, state),
          onExpired: () =>
            this.#logger.info(
              `The ${what} watch of cluster ${this.name} expired (410 Gone); listing them again`,
            ),
        }),
      );
    };
    this.#states.set('api-server', { state: 'ok' });
    reflect(
      'canaries',
      '/apis/flagger.app/v1beta1/canaries',
      this.#canaries,
      projectCanary,
    );
    reflect(
      'metrictemplates',
      '/apis/flagger.app/v1beta1/metrictemplates',
      this.#templates,
      projectMetricTemplate,
    );
    reflect(
      'deployments',
      '/apis/apps/v1/deployments',
      this.#deployments,
      projectDeployment,
    );
    reflect('events', '/api/v1/events', events, projectEvent, {
      query: { fieldSelector: 'involvedObject.kind=Canary' },
    });
    reflect(
      'workloads',
      '/apis/carto.run/v1alpha1/workloads',
      this.#workloads,
      projectWorkload,
      {
        optional: true,
      },
    );
  }

  /** Resolves once every collection had its first list attempt (successful or not). */
  async start(): Promise<void> {
    this.#stopped = false;
    if (this.#unusable) {
      this.#reflectorState('credentials', {
        state: 'error',
        error: this.#unusable,
      });
      return;
    }
    this.#scheduleProbe();
    await Promise.all(this.#reflectors.map(reflector => reflector.start()));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    for (const reflector of this.#reflectors) reflector.stop();
  }

  #scheduleProbe() {
    if (this.#stopped || this.#probeIntervalMs <= 0) return;
    this.#probeTimer = setTimeout(async () => {
      await this.#probe();
      this.#scheduleProbe();
    }, this.#probeIntervalMs);
    this.#probeTimer.unref?.();
  }

  async #probe() {
    try {
      await this.#transport.get(
        '/version',
        {},
        { timeoutMs: Math.max(1000, Math.min(3000, this.#probeIntervalMs)) },
      );
      if (this.#stopped) return;
      this.#lastContact = Date.now();
      if (this.#probeFailing) {
        this.#probeFailing = false;
        this.#logger.info(
          `Cluster ${this.name} is reachable again; resuming its watches`,
        );
        this.#reflectorState('api-server', { state: 'ok' });
        // Watches on the dead connection may not have noticed; start them over from their
        // last resourceVersion (a 410 Gone makes them list again).
        for (const reflector of this.#reflectors) reflector.restart();
      }
    } catch (error) {
      if (this.#stopped) return;
      this.#probeFailing = true;
      this.#reflectorState('api-server', {
        state: 'error',
        error: `unreachable: ${
          error instanceof Error ? error.message : String(error)
        }`,
      });
    }
  }

  status(): Omit<ClusterStatus, 'prometheus'> {
    return {
      name: this.name,
      title: this.#cluster.title,
      status: this.#status,
      error: this.#error,
      lastSyncAt: this.#lastContact
        ? new Date(this.#lastContact).toISOString()
        : undefined,
    };
  }

  /** The cache is in step with the API server (every collection listed and watched). */
  get fresh(): boolean {
    return this.#status === 'ok';
  }

  /** False while the Cartographer Workload CRD is not installed in this cluster. */
  get hasWorkloads(): boolean {
    return this.#states.get('workloads')?.state === 'ok';
  }

  listCanaries(): Obj[] {
    return [...this.#canaries.objects.values()];
  }

  get canaryCount(): number {
    return this.#canaries.objects.size;
  }

  getCanary(namespace: string, name: string): Obj | undefined {
    return this.#canaries.objects.get(key(namespace, name));
  }

  getCanaryByKey(canaryKey: string): Obj | undefined {
    return this.#canaries.objects.get(canaryKey);
  }

  getDeployment(namespace: string, name: string): Obj | undefined {
    return this.#deployments.objects.get(key(namespace, name));
  }

  listDeployments(): Obj[] {
    return [...this.#deployments.objects.values()];
  }

  getMetricTemplate(namespace: string, name: string): Obj | undefined {
    return this.#templates.objects.get(key(namespace, name));
  }

  getWorkload(namespace: string, name: string): Obj | undefined {
    return this.#workloads.objects.get(key(namespace, name));
  }

  /** Events about one Canary, oldest first (by last occurrence). */
  eventsOf(namespace: string, name: string): Obj[] {
    const events = this.#eventsByCanary.get(key(namespace, name));
    return events ? [...events.values()].sort(compareEvents) : [];
  }

  /** Keys ("namespace/name") of the canaries whose `spec.targetRef.name` is `targetName`. */
  canaryKeysByTargetName(targetName: string): ReadonlySet<string> {
    return this.#canariesByTargetName.get(targetName);
  }

  /** Keys of the canaries whose target is Deployment `namespace/name`. */
  canaryKeysByTarget(namespace: string, name: string): ReadonlySet<string> {
    return this.#canariesByTarget.get(key(namespace, name));
  }

  /** Keys of the canaries whose target Deployment carries `carto.run/workload-name=<workload>`. */
  canaryKeysByWorkload(workload: string): string[] {
    const keys: string[] = [];
    for (const deploymentKey of this.#deploymentsByWorkload.get(workload)) {
      keys.push(...this.#canariesByTarget.get(deploymentKey));
    }
    return keys;
  }

  canaryKeysInNamespace(namespace: string): ReadonlySet<string> {
    return this.#canariesByNamespace.get(namespace);
  }

  canaryKeysWithLabel(labelKey: string, value?: string): ReadonlySet<string> {
    return value === undefined
      ? this.#canariesByLabelKey.get(labelKey)
      : this.#canariesByLabel.get(`${labelKey}=${value}`);
  }

  allCanaryKeys(): Iterable<string> {
    return this.#canaries.objects.keys();
  }

  /** One GET straight from the API server, for answers that must not act on a stale cache. */
  async fetchCanary(namespace: string, name: string): Promise<Obj | undefined> {
    if (this.#unusable) throw new KubeRequestError(this.#unusable);
    try {
      return projectCanary(
        await this.#transport.get(
          `/apis/flagger.app/v1beta1/namespaces/${encodeURIComponent(
            namespace,
          )}/canaries/${encodeURIComponent(name)}`,
        ),
      );
    } catch (error) {
      if ((error as KubeRequestError)?.statusCode === 404) return undefined;
      throw error;
    }
  }

  #indexCanary(canary: Obj, operation: 'add' | 'delete') {
    const namespace = canary.metadata?.namespace;
    const canaryKey = key(namespace, canary.metadata?.name);
    const target = canary.spec?.targetRef?.name;
    if (typeof target === 'string') {
      this.#canariesByTargetName[operation](target, canaryKey);
      this.#canariesByTarget[operation](key(namespace, target), canaryKey);
    }
    this.#canariesByNamespace[operation](namespace, canaryKey);
    for (const [labelKey, value] of Object.entries(
      (canary.metadata?.labels ?? {}) as Record<string, string>,
    )) {
      this.#canariesByLabel[operation](`${labelKey}=${value}`, canaryKey);
      this.#canariesByLabelKey[operation](labelKey, canaryKey);
    }
  }

  #indexDeployment(deployment: Obj, operation: 'add' | 'delete') {
    const workload = deployment.metadata?.labels?.[WORKLOAD_NAME_LABEL];
    if (typeof workload === 'string' && workload) {
      this.#deploymentsByWorkload[operation](
        workload,
        key(deployment.metadata?.namespace, deployment.metadata?.name),
      );
    }
  }

  #replaceEvents(events: Obj[]) {
    const touched = new Set<string>([...this.#eventsByCanary.keys()]);
    this.#eventsByCanary.clear();
    for (const event of events) this.#store(event);
    for (const canaryKey of this.#eventsByCanary.keys()) touched.add(canaryKey);
    for (const canaryKey of touched) {
      const [namespace, canaryName] = canaryKey.split('/');
      this.#onChange({ kind: 'event', namespace, canaryName });
    }
  }

  #store(event: Obj): string | undefined {
    const involved = event.involvedObject ?? {};
    if (involved.kind !== 'Canary' || !event.metadata?.uid) return undefined;
    const canaryKey = key(involved.namespace, involved.name);
    let events = this.#eventsByCanary.get(canaryKey);
    if (!events) {
      events = new Map();
      this.#eventsByCanary.set(canaryKey, events);
    }
    events.set(event.metadata.uid, event);
    if (events.size > MAX_EVENTS_PER_CANARY) {
      const oldest = [...events.values()]
        .sort(compareEvents)
        .slice(0, events.size - MAX_EVENTS_PER_CANARY);
      for (const old of oldest) events.delete(old.metadata.uid);
    }
    return canaryKey;
  }

  #recordEvent(event: Obj) {
    if (this.#store(event)) {
      this.#onChange({
        kind: 'event',
        namespace: event.involvedObject.namespace,
        canaryName: event.involvedObject.name,
      });
    }
  }

  #forgetEvent(event: Obj) {
    const involved = event.involvedObject ?? {};
    const canaryKey = key(involved.namespace, involved.name);
    const events = this.#eventsByCanary.get(canaryKey);
    if (!events?.delete(event.metadata?.uid)) return;
    if (events.size === 0) this.#eventsByCanary.delete(canaryKey);
    this.#onChange({
      kind: 'event',
      namespace: involved.namespace,
      canaryName: involved.name,
    });
  }

  #reflectorState(what: string, state: ReflectorState) {
    const previous = this.#states.get(what);
    this.#states.set(what, state);
    const news =
      previous?.state !== state.state ||
      (previous as { error?: string }).error !==
        (state as { error?: string }).error;
    if (!news) return;
    if (state.state === 'error') {
      this.#logger.warn(
        what === 'api-server'
          ? `The API server of cluster ${this.name} is ${state.error}`
          : `Watching ${what} in cluster ${this.name} failed: ${state.error}`,
      );
    } else if (state.state === 'absent') {
      this.#logger.info(
        `Cluster ${this.name} has no ${what} resource (CRD not installed); matching by Workload uses Deployment labels only`,
      );
    }
    const entries = [...this.#states.entries()];
    const failed = entries.find(([, s]) => s.state === 'error') as
      | [string, { error: string }]
      | undefined;
    let status: ClusterStatus['status'] = 'ok';
    if (failed) status = 'error';
    else if (entries.some(([, s]) => s.state === 'syncing')) status = 'syncing';
    const error = failed ? `${failed[0]}: ${failed[1].error}` : undefined;
    if (status !== this.#status || error !== this.#error) {
      this.#status = status;
      this.#error = error;
      this.#onChange({ kind: 'status' });
    }
  }
}

function eventTime(event: Obj): string {
  return (
    event.series?.lastObservedTime ??
    event.lastTimestamp ??
    event.eventTime ??
    event.firstTimestamp ??
    event.metadata?.creationTimestamp ??
    ''
  );
}

/** Oldest first by last occurrence; Kubernetes timestamps have second precision, so ties keep creation order. */
export function compareEvents(a: Obj, b: Obj): number {
  const byTime =
    Date.parse(eventTime(a) || '0') - Date.parse(eventTime(b) || '0');
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  const byCreation =
    Date.parse(a.metadata?.creationTimestamp ?? '0') -
    Date.parse(b.metadata?.creationTimestamp ?? '0');
  if (byCreation !== 0 && !Number.isNaN(byCreation)) return byCreation;
  return (
    Number(a.metadata?.resourceVersion ?? 0) -
    Number(b.metadata?.resourceVersion ?? 0)
  );
}
