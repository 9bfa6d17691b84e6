import { KubeRequestError, KubeTransport, WatchHandle } from '../KubeTransport';

type Obj = Record<string, any>;

interface OpenWatch {
  path: string;
  query: Record<string, string | undefined>;
  onEvent: (type: string, object: Obj) => void;
  onDone: (error?: unknown) => void;
  closed: boolean;
}

/**
 * An in-memory API server for unit tests: collections by path, paged lists, watches that
 * receive what the test changes, and injectable failures. Integration tests use the sandbox.
 */
export class FakeKubeTransport implements KubeTransport {
  readonly collections = new Map<string, Map<string, Obj>>();
  readonly watches: OpenWatch[] = [];
  readonly requests: Array<{
    verb: 'get' | 'watch';
    path: string;
    query: Record<string, string | undefined>;
  }> = [];
  /** Paths answering 404 (a CRD not installed). */
  readonly missing = new Set<string>();
  /** While set, the liveness probe (GET /version) fails with this error. */
  unreachable?: Error;
  /** The next GET fails with this error (once per entry). */
  readonly failures: Error[] = [];
  #resourceVersion = 100;

  /** Adds or replaces an object in its collection and tells open watches. */
  apply(path: string, object: Obj): Obj {
    const stored = structuredClone(object);
    stored.metadata = {
      ...stored.metadata,
      resourceVersion: String(++this.#resourceVersion),
    };
    const collection = this.#collection(path);
    const key = `${stored.metadata.namespace}/${stored.metadata.name}`;
    const type = collection.has(key) ? 'MODIFIED' : 'ADDED';
    collection.set(key, stored);
    this.#emit(path, type, stored);
    return stored;
  }

  delete(path: string, namespace: string, name: string) {
    const collection = this.#collection(path);
    const object = collection.get(`${namespace}/${name}`);
    if (!object) return;
    collection.delete(`${namespace}/${name}`);
    this.#emit(path, 'DELETED', {
      ...object,
      metadata: {
        ...object.metadata,
        resourceVersion: String(++this.#resourceVersion),
      },
    });
  }

  /** Changes an object without telling watches (as if the watch missed it). */
  applySilently(path: string, object: Obj) {
    const stored = structuredClone(object);
    stored.metadata = {
      ...stored.metadata,
      resourceVersion: String(++this.#resourceVersion),
    };
    this.#collection(path).set(
      `${stored.metadata.namespace}/${stored.metadata.name}`,
      stored,
    );
  }

  /** Ends the open watches of a path, optionally with an error or a 410 ERROR event first. */
  closeWatches(path: string, how: 'normal' | 'gone' | Error = 'normal') {
    for (const watch of this.watches.filter(
      w => w.path === path && !w.closed,
    )) {
      watch.closed = true;
      if (how === 'gone') {
        watch.onEvent('ERROR', {
          kind: 'Status',
          code: 410,
          reason: 'Expired',
        });
        watch.onDone();
      } else if (how instanceof Error) {
        watch.onDone(how);
      } else {
        watch.onDone();
      }
    }
  }

  openWatches(path?: string) {
    return this.watches.filter(w => !w.closed && (!path || w.path === path));
  }

  async get(
    path: string,
    query: Record<string, string | undefined> = {},
  ): Promise<Obj> {
    this.requests.push({ verb: 'get', path, query });
    if (path === '/version') {
      if (this.unreachable) throw this.unreachable;
      return { major: '1', minor: '36', gitVersion: 'v1.36.3' };
    }
    const failure = this.failures.shift();
    if (failure) throw failure;
    const base = [...this.collections.keys(), ...this.missing].find(
      p => path === p,
    );
    if (this.missing.has(path))
      throw new KubeRequestError(
        'HTTP 404: the server could not find the requested resource',
        404,
      );
    if (base) {
      const items = [...this.#collection(path).values()];
      const start = Number(query.continue ?? 0);
      const limit = Number(query.limit ?? items.length);
      const page = items.slice(start, start + limit);
      const next =
        start + limit < items.length ? String(start + limit) : undefined;
      return structuredClone({
        kind: 'List',
        metadata: {
          resourceVersion: String(this.#resourceVersion),
          continue: next,
        },
        items: page,
      });
    }
    // A single object: /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>
    const match = /^(.*)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
    if (match) {
      const [, prefix, namespace, plural, name] = match;
      const object = this.collections
        .get(`${prefix}/${plural}`)
        ?.get(`${namespace}/${name}`);
      if (object) return structuredClone(object);
    }
    throw new KubeRequestError(`HTTP 404: ${path} not found`, 404);
  }

  async watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (type: string, object: Obj) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    this.requests.push({ verb: 'watch', path, query });
    const watch: OpenWatch = { path, query, onEvent, onDone, closed: false };
    this.watches.push(watch);
    return {
      abort: () => {
        watch.closed = true;
      },
    };
  }

  #collection(path: string) {
    let collection = this.collections.get(path);
    if (!collection) {
      collection = new Map();
      this.collections.set(path, collection);
    }
    return collection;
  }

  #emit(path: string, type: string, object: Obj) {
    for (const watch of this.openWatches(path))
      watch.onEvent(type, structuredClone(object));
  }
}

export const PATHS = {
  canaries: '/apis/flagger.app/v1beta1/canaries',
  templates: '/apis/flagger.app/v1beta1/metrictemplates',
  deployments: '/apis/apps/v1/deployments',
  events: '/api/v1/events',
  workloads: '/apis/carto.run/v1alpha1/workloads',
};

/** An empty API server with the collections the watches need (Workloads absent unless added). */
export function fakeCluster(
  options: { withWorkloads?: boolean } = {},
): FakeKubeTransport {
  const transport = new FakeKubeTransport();
  for (const path of [
    PATHS.canaries,
    PATHS.templates,
    PATHS.deployments,
    PATHS.events,
  ]) {
    transport.collections.set(path, new Map());
  }
  if (options.withWorkloads)
    transport.collections.set(PATHS.workloads, new Map());
  else transport.missing.add(PATHS.workloads);
  return transport;
}

/** Lets pending promise callbacks and zero-delay timers run. */
export async function settle(times = 5) {
  for (let i = 0; i < times; i++)
    await new Promise(resolve => setImmediate(resolve));
}
