import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Informer,
  VersionApi,
  KubeConfig,
  KubernetesObject,
  makeInformer,
  ObjectCache,
} from '@kubernetes/client-node';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterStatus } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../service/config';

type Obj = Record<string, any>;
type Watched = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

/** Which watched object changed, so the store can tell subscribers which canaries moved. */
export type ClusterChange =
  | { kind: 'canary'; namespace: string; name: string }
  | { kind: 'deployment'; namespace: string; name: string }
  | { kind: 'event'; namespace: string; canaryName: string }
  | { kind: 'metric-template' }
  | { kind: 'status' };

const MAX_EVENTS_PER_CANARY = 100;
/** How often an API server is asked whether it is alive; a dropped watch alone may go unnoticed. */
const PROBE_INTERVAL_MS = 5000;

export function kubeConfigFor(cluster: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: cluster.skipTLSVerify,
      },
    ],
    users: [{ name: 'progressive-delivery', token: cluster.serviceAccountToken }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: 'progressive-delivery' }],
    currentContext: cluster.name,
  });
  return kc;
}

const withoutManagedFields = (object: Obj): Obj => {
  if (object?.metadata?.managedFields) {
    const { managedFields: _dropped, ...metadata } = object.metadata;
    return { ...object, metadata };
  }
  return object;
};

/**
 * Informer-style watches on one cluster: Canaries, MetricTemplates, Deployments and the
 * Events about Canaries. List, then watch from the resourceVersion; the client relists on
 * 410 Gone; after an error the watch restarts with exponential backoff and jitter.
 */
export class ClusterWatcher {
  readonly name: string;
  readonly #cluster: ClusterConfig;
  readonly #logger: LoggerService;
  readonly #maxBackoffMs: number;
  readonly #onChange: (change: ClusterChange) => void;
  readonly #informers: Array<{ what: string; informer: Watched; synced: boolean; failures: number }> = [];
  readonly #eventsByCanary = new Map<string, Obj[]>();
  #canaries!: Watched;
  #deployments!: Watched;
  #templates!: Watched;
  #status: ClusterStatus['status'] = 'syncing';
  #error?: string;
  #lastSyncAt?: string;
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #kc: KubeConfig;

  constructor(options: {
    cluster: ClusterConfig;
    logger: LoggerService;
    maxBackoffMs: number;
    onChange: (change: ClusterChange) => void;
  }) {
    this.name = options.cluster.name;
    this.#cluster = options.cluster;
    this.#logger = options.logger.child({ cluster: this.name });
    this.#maxBackoffMs = options.maxBackoffMs;
    this.#onChange = options.onChange;
    this.#kc = kubeConfigFor(options.cluster);
  }

  get kubeConfig(): KubeConfig {
    return this.#kc;
  }

  async start(): Promise<void> {
    const custom = this.#kc.makeApiClient(CustomObjectsApi);
    const apps = this.#kc.makeApiClient(AppsV1Api);
    const core = this.#kc.makeApiClient(CoreV1Api);
    const canaryEvents = 'involvedObject.kind=Canary';

    this.#canaries = this.#watch('canaries', '/apis/flagger.app/v1beta1/canaries', () =>
      custom.listClusterCustomObject({ group: 'flagger.app', version: 'v1beta1', plural: 'canaries' }) as any,
    );
    this.#templates = this.#watch('metrictemplates', '/apis/flagger.app/v1beta1/metrictemplates', () =>
      custom.listClusterCustomObject({ group: 'flagger.app', version: 'v1beta1', plural: 'metrictemplates' }) as any,
    );
    this.#deployments = this.#watch('deployments', '/apis/apps/v1/deployments', () =>
      apps.listDeploymentForAllNamespaces() as any,
    );
    const events = this.#watch(
      'events',
      `/api/v1/events?fieldSelector=${encodeURIComponent(canaryEvents)}`,
      () => core.listEventForAllNamespaces({ fieldSelector: canaryEvents }) as any,
    );

    const notify = (kind: 'canary' | 'deployment') => (object: KubernetesObject) =>
      this.#onChange({ kind, namespace: object.metadata!.namespace!, name: object.metadata!.name! });
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.#canaries.on(verb, notify('canary'));
      this.#deployments.on(verb, notify('deployment'));
      this.#templates.on(verb, () => this.#onChange({ kind: 'metric-template' }));
    }
    events.on('add', event => this.#recordEvent(event as Obj));
    events.on('update', event => this.#recordEvent(event as Obj));

    await Promise.all(this.#informers.map(entry => this.#startInformer(entry)));
    this.#scheduleProbe();
  }

  #probeFailing = false;

  #scheduleProbe() {
    if (this.#stopped) return;
    const timer = setTimeout(async () => {
      this.#timers.delete(timer);
      await this.#probe();
      this.#scheduleProbe();
    }, PROBE_INTERVAL_MS);
    this.#timers.add(timer);
  }

  async #probe() {
    try {
      await this.#kc.makeApiClient(VersionApi).getCode();
      if (this.#probeFailing) {
        // Back after an outage: restart every watch so it relists what changed meanwhile.
        this.#probeFailing = false;
        this.#logger.info(`Cluster ${this.name} is reachable again; relisting`);
        for (const entry of this.#informers) {
          entry.synced = false;
          await entry.informer.stop().catch(() => undefined);
          entry.failures = 0;
          void this.#startInformer(entry);
        }
      }
    } catch (error) {
      this.#probeFailing = true;
      for (const entry of this.#informers) entry.synced = false;
      this.#markError('API server', error);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all(this.#informers.map(entry => entry.informer.stop().catch(() => undefined)));
  }

  status(): Omit<ClusterStatus, 'prometheus'> {
    return {
      name: this.name,
      title: this.#cluster.title,
      status: this.#status,
      error: this.#error,
      lastSyncAt: this.#lastSyncAt,
    };
  }

  get fresh(): boolean {
    return this.#status === 'ok';
  }

  listCanaries(): readonly Obj[] {
    return this.#canaries?.list() ?? [];
  }

  getCanary(namespace: string, name: string): Obj | undefined {
    return this.#canaries?.get(name, namespace);
  }

  getDeployment(namespace: string, name: string): Obj | undefined {
    return this.#deployments?.get(name, namespace);
  }

  listDeployments(): readonly Obj[] {
    return this.#deployments?.list() ?? [];
  }

  getMetricTemplate(namespace: string, name: string): Obj | undefined {
    return this.#templates?.get(name, namespace);
  }

  eventsOf(namespace: string, name: string): Obj[] {
    return this.#eventsByCanary.get(`${namespace}/${name}`) ?? [];
  }

  /** One GET straight from the API server, for answers that must not act on a stale cache. */
  async fetchCanary(namespace: string, name: string): Promise<Obj | undefined> {
    const custom = this.#kc.makeApiClient(CustomObjectsApi);
    try {
      return withoutManagedFields(
        (await custom.getNamespacedCustomObject({
          group: 'flagger.app',
          version: 'v1beta1',
          namespace,
          plural: 'canaries',
          name,
        })) as Obj,
      );
    } catch (error: any) {
      if (error?.code === 404) return undefined;
      throw error;
    }
  }

  #watch(what: string, path: string, list: () => Promise<any>): Watched {
    const informer = makeInformer<KubernetesObject>(this.#kc, path, async () => {
      const result = await list();
      result.items = (result.items ?? []).map(withoutManagedFields);
      return result;
    }) as Watched;
    const entry = { what, informer, synced: false, failures: 0 };
    informer.on('connect', () => {
      entry.synced = true;
      entry.failures = 0;
      this.#updateStatus();
    });
    informer.on('error', error => {
      entry.synced = false;
      this.#markError(what, error);
      this.#scheduleRestart(entry);
    });
    this.#informers.push(entry);
    return informer;
  }

  async #startInformer(entry: { what: string; informer: Watched; synced: boolean; failures: number }) {
    try {
      await entry.informer.start();
      entry.synced = true;
      entry.failures = 0;
      this.#updateStatus();
    } catch (error) {
      entry.synced = false;
      this.#markError(entry.what, error);
      this.#scheduleRestart(entry);
    }
  }

  #scheduleRestart(entry: { what: string; informer: Watched; synced: boolean; failures: number }) {
    if (this.#stopped) return;
    entry.failures += 1;
    const base = Math.min(this.#maxBackoffMs, 500 * 2 ** Math.min(entry.failures, 10));
    const delay = base / 2 + Math.random() * (base / 2);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) this.#startInformer(entry);
    }, delay);
    this.#timers.add(timer);
  }

  #markError(what: string, error: unknown) {
    const message = describeError(error);
    if (this.#status !== 'error' || this.#error !== message) {
      this.#logger.warn(`Watching ${what} in cluster ${this.name} failed: ${message}`);
    }
    this.#status = 'error';
    this.#error = `${what}: ${message}`;
    this.#onChange({ kind: 'status' });
  }

  #updateStatus() {
    if (this.#informers.every(entry => entry.synced)) {
      const wasOk = this.#status === 'ok';
      this.#status = 'ok';
      this.#error = undefined;
      this.#lastSyncAt = new Date().toISOString();
      if (!wasOk) this.#onChange({ kind: 'status' });
    }
  }

  #recordEvent(event: Obj) {
    const involved = event.involvedObject ?? {};
    if (involved.kind !== 'Canary') return;
    const key = `${involved.namespace}/${involved.name}`;
    const list = (this.#eventsByCanary.get(key) ?? []).filter(
      existing => existing.metadata?.uid !== event.metadata?.uid,
    );
    list.push(event);
    if (list.length > MAX_EVENTS_PER_CANARY) list.splice(0, list.length - MAX_EVENTS_PER_CANARY);
    this.#eventsByCanary.set(key, list);
    this.#onChange({ kind: 'event', namespace: involved.namespace, canaryName: involved.name });
  }
}

export function describeError(error: unknown): string {
  const anyError = error as any;
  if (anyError?.code && anyError?.body) {
    const body = typeof anyError.body === 'string' ? safeJson(anyError.body) : anyError.body;
    return `HTTP ${anyError.code}: ${body?.message ?? anyError.message}`;
  }
  if (anyError?.code === 'ECONNREFUSED') return `connection refused (${anyError.address ?? ''}:${anyError.port ?? ''})`;
  return anyError?.message ?? String(error);
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
