import { ReflectorSink } from './Reflector';

/*
 * The object index of one cluster: what its watches mirrored, by "namespace/name", with the
 * lookups a page view needs (by target, workload, namespace, label) kept up to date on every
 * change, so a lookup costs no request and no scan.
 */

type Obj = Record<string, any>;

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

const key = (namespace: string | undefined, name: string | undefined) =>
  `${namespace ?? ''}/${name ?? ''}`;

const EMPTY: ReadonlySet<string> = new Set();

/**
 * A map from one key to the keys of the objects it indexes. Most index keys (a target's name,
 * a label value such as the app's name) belong to one object, so a lone key is kept as itself
 * and becomes a Set only when a second object shares the index key: with 100,000 canaries a Set
 * per key cost more memory than the canaries.
 */
class MultiIndex {
  readonly #map = new Map<string, string | Set<string>>();

  add(indexKey: string, objectKey: string) {
    const keys = this.#map.get(indexKey);
    if (keys === undefined) {
      this.#map.set(indexKey, objectKey);
    } else if (typeof keys === 'string') {
      if (keys !== objectKey) {
        this.#map.set(indexKey, new Set([keys, objectKey]));
      }
    } else {
      keys.add(objectKey);
    }
  }

  delete(indexKey: string, objectKey: string) {
    const keys = this.#map.get(indexKey);
    if (keys === undefined) return;
    if (typeof keys === 'string') {
      if (keys === objectKey) this.#map.delete(indexKey);
      return;
    }
    keys.delete(objectKey);
    if (keys.size === 0) this.#map.delete(indexKey);
  }

  get(indexKey: string): ReadonlySet<string> {
    const keys = this.#map.get(indexKey);
    if (keys === undefined) return EMPTY;
    return typeof keys === 'string' ? new Set([keys]) : keys;
  }
}

/** Objects of one kind by "namespace/name", with hooks that keep the indexes in step. */
class ObjectCache implements ReflectorSink {
  readonly objects = new Map<string, Obj>();

  constructor(
    private readonly hooks: {
      /** With the object's key in this cache, for indexes to share. */
      added?: (object: Obj, objectKey: string) => void;
      removed?: (object: Obj, objectKey: string) => void;
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
    if (previous) this.hooks.removed?.(previous, objectKey);
    this.objects.set(objectKey, object);
    this.hooks.added?.(object, objectKey);
    this.hooks.changed(object);
  }

  remove(object: Obj) {
    const objectKey = key(object.metadata?.namespace, object.metadata?.name);
    const previous = this.objects.get(objectKey);
    if (!previous) return;
    this.objects.delete(objectKey);
    this.hooks.removed?.(previous, objectKey);
    this.hooks.changed(previous);
  }
}

/**
 * Canaries, MetricTemplates, Deployments, Cartographer Workloads and the Events about Canaries
 * of one cluster. Each collection is a {@link ReflectorSink} its watch writes to; every change
 * is reported through `onChange`.
 */
export class ClusterIndex {
  readonly canaries: ReflectorSink;
  readonly deployments: ReflectorSink;
  readonly templates: ReflectorSink;
  readonly workloads: ReflectorSink;
  readonly events: ReflectorSink;

  readonly #onChange: (change: ClusterChange) => void;
  readonly #canaries: ObjectCache;
  readonly #deployments: ObjectCache;
  readonly #templates: ObjectCache;
  readonly #workloads: ObjectCache;
  readonly #eventsByCanary = new Map<string, Map<string, Obj>>();

  readonly #canariesByTargetName = new MultiIndex();
  readonly #canariesByNamespace = new MultiIndex();
  /** By label key, then value: the strings of the canaries' own labels are the index keys. */
  readonly #canariesByLabel = new Map<string, MultiIndex>();
  readonly #canariesByLabelKey = new MultiIndex();
  readonly #deploymentsByWorkload = new MultiIndex();

  constructor(onChange: (change: ClusterChange) => void) {
    this.#onChange = onChange;
    this.#canaries = new ObjectCache({
      added: (canary, canaryKey) => this.#indexCanary(canary, canaryKey, 'add'),
      removed: (canary, canaryKey) =>
        this.#indexCanary(canary, canaryKey, 'delete'),
      changed: canary =>
        this.#onChange({
          kind: 'canary',
          namespace: canary.metadata.namespace,
          name: canary.metadata.name,
        }),
    });
    this.#deployments = new ObjectCache({
      added: (deployment, deploymentKey) =>
        this.#indexDeployment(deployment, deploymentKey, 'add'),
      removed: (deployment, deploymentKey) =>
        this.#indexDeployment(deployment, deploymentKey, 'delete'),
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
    this.canaries = this.#canaries;
    this.deployments = this.#deployments;
    this.templates = this.#templates;
    this.workloads = this.#workloads;
    this.events = {
      replace: list => this.#replaceEvents(list),
      upsert: event => this.#recordEvent(event),
      remove: event => this.#forgetEvent(event),
    };
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
  canaryKeysByTarget(namespace: string, name: string): string[] {
    const prefix = key(namespace, '');
    return [...this.#canariesByTargetName.get(name)].filter(canaryKey =>
      canaryKey.startsWith(prefix),
    );
  }

  /** Keys of the canaries whose target Deployment carries `carto.run/workload-name=<workload>`. */
  canaryKeysByWorkload(workload: string): string[] {
    const keys: string[] = [];
    for (const deploymentKey of this.#deploymentsByWorkload.get(workload)) {
      const deployment = this.#deployments.objects.get(deploymentKey);
      keys.push(
        ...this.canaryKeysByTarget(
          deployment?.metadata?.namespace,
          deployment?.metadata?.name,
        ),
      );
    }
    return keys;
  }

  canaryKeysInNamespace(namespace: string): ReadonlySet<string> {
    return this.#canariesByNamespace.get(namespace);
  }

  canaryKeysWithLabel(labelKey: string, value?: string): ReadonlySet<string> {
    return value === undefined
      ? this.#canariesByLabelKey.get(labelKey)
      : this.#canariesByLabel.get(labelKey)?.get(value) ?? EMPTY;
  }

  allCanaryKeys(): Iterable<string> {
    return this.#canaries.objects.keys();
  }

  #indexCanary(canary: Obj, canaryKey: string, operation: 'add' | 'delete') {
    const target = canary.spec?.targetRef?.name;
    if (typeof target === 'string') {
      this.#canariesByTargetName[operation](target, canaryKey);
    }
    this.#canariesByNamespace[operation](canary.metadata?.namespace, canaryKey);
    for (const [labelKey, value] of Object.entries(
      (canary.metadata?.labels ?? {}) as Record<string, string>,
    )) {
      let byValue = this.#canariesByLabel.get(labelKey);
      if (!byValue) {
        byValue = new MultiIndex();
        this.#canariesByLabel.set(labelKey, byValue);
      }
      byValue[operation](value, canaryKey);
      this.#canariesByLabelKey[operation](labelKey, canaryKey);
    }
  }

  #indexDeployment(
    deployment: Obj,
    deploymentKey: string,
    operation: 'add' | 'delete',
  ) {
    const workload = deployment.metadata?.labels?.[WORKLOAD_NAME_LABEL];
    if (typeof workload === 'string' && workload) {
      this.#deploymentsByWorkload[operation](workload, deploymentKey);
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
