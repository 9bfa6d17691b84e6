import { KubeRequestError, KubeTransport, WatchHandle } from './KubeTransport';

type Obj = Record<string, any>;

/** What a reflector feeds: a full replacement after each list, then single changes. */
export interface ReflectorSink {
  /** The complete current set after a (re)list; the sink drops what is no longer there. */
  replace(objects: Obj[]): void;
  upsert(object: Obj): void;
  remove(object: Obj): void;
}

export type ReflectorState =
  | { state: 'syncing' }
  | { state: 'ok' }
  /** The resource type does not exist on this API server (optional CRD not installed). */
  | { state: 'absent' }
  | { state: 'error'; error: string };

export interface ReflectorOptions {
  /** For messages: "canaries", "deployments"... */
  what: string;
  /** Collection path, e.g. `/apis/flagger.app/v1beta1/canaries`. */
  path: string;
  /** Selectors for list and watch, e.g. `{ fieldSelector: 'involvedObject.kind=Canary' }`. */
  query?: Record<string, string>;
  /** Tolerate a 404 on the collection (a CRD that is not installed): state `absent`, retried slowly. */
  optional?: boolean;
  transport: KubeTransport;
  sink: ReflectorSink;
  /** Keeps only what the plugin reads, to bound memory. */
  transform: (object: Obj) => Obj;
  onState: (state: ReflectorState) => void;
  /** Any successful contact with the API server (list page, watch event, bookmark). */
  onContact: () => void;
  /** The server answered 410 Gone: the resourceVersion held is too old, a fresh list follows. */
  onExpired?: () => void;
  pageSize?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout; each watch gets this plus up to 50 % random extra. */
  watchTimeoutSeconds?: number;
  /** How often an absent optional resource is looked for again. */
  absentRetryMs?: number;
  random?: () => number;
}

const DEFAULTS = {
  pageSize: 500,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  watchTimeoutSeconds: 300,
  absentRetryMs: 300_000,
};

/**
 * Keeps one collection of one API server mirrored, like client-go's reflector: list (in
 * pages), then watch from the list's resourceVersion with bookmarks; a 410 Gone (or an
 * expired continue token) leads to a fresh list; any other failure to a retry after
 * exponential backoff with jitter. A watch that stays silent longer than its own timeout
 * plus a grace period is treated as a dead connection.
 */
export class Reflector {
  readonly #options: ReflectorOptions & typeof DEFAULTS;
  #resourceVersion = '';
  #watch?: WatchHandle;
  #timer?: NodeJS.Timeout;
  #watchdog?: NodeJS.Timeout;
  #failures = 0;
  #running = false;
  #generation = 0;
  #state: ReflectorState = { state: 'syncing' };

  constructor(options: ReflectorOptions) {
    this.#options = { ...DEFAULTS, ...options } as ReflectorOptions &
      typeof DEFAULTS;
    for (const key of Object.keys(DEFAULTS) as Array<keyof typeof DEFAULTS>) {
      if (options[key] === undefined) this.#options[key] = DEFAULTS[key];
    }
  }

  get state(): ReflectorState {
    return this.#state;
  }

  /** Resolves after the first list attempt, whether it worked or not; retries continue in the background. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#run(this.#generation);
  }

  /** Drops the current watch and starts over from the last resourceVersion (a 410 then relists). */
  restart() {
    if (!this.#running) return;
    this.stop();
    this.#failures = 0;
    void this.start();
  }

  stop() {
    this.#running = false;
    this.#generation += 1;
    this.#clearTimers();
    this.#watch?.abort();
    this.#watch = undefined;
  }

  async #run(generation: number): Promise<void> {
    if (!this.#current(generation)) return;
    try {
      if (!this.#resourceVersion) await this.#list(generation);
      if (!this.#current(generation)) return;
      await this.#startWatch(generation);
    } catch (error) {
      if (!this.#current(generation)) return;
      this.#failed(error, generation);
    }
  }

  async #list(generation: number) {
    const { transport, path, query, pageSize, transform } = this.#options;
    const items: Obj[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      let page: Obj;
      try {
        page = await transport.get(path, {
          ...query,
          limit: String(pageSize),
          continue: continueToken,
        });
      } catch (error) {
        if (continueToken && (error as KubeRequestError)?.statusCode === 410) {
          // The continue token expired between pages: start the list over.
          items.length = 0;
          continueToken = undefined;
          continue;
        }
        throw error;
      }
      if (!this.#current(generation)) return;
      this.#options.onContact();
      for (const item of page.items ?? []) items.push(transform(item));
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? '';
    } while (continueToken);
    this.#options.sink.replace(items);
    this.#resourceVersion = resourceVersion;
    this.#setState({ state: 'ok' });
  }

  async #startWatch(generation: number) {
    const { transport, path, query, watchTimeoutSeconds, random } =
      this.#options;
    const timeoutSeconds = Math.round(
      watchTimeoutSeconds * (1 + 0.5 * (random ?? Math.random)()),
    );
    const startedAt = Date.now();
    let sawEvent = false;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      this.#clearWatchdog();
      if (!this.#current(generation)) return;
      this.#watch = undefined;
      if (error) {
        this.#failed(error, generation);
        return;
      }
      // A watch the server closed normally resumes at once from the last resourceVersion,
      // unless it closed right away without news (then back off so a broken server is not hammered).
      if (!sawEvent && Date.now() - startedAt < 1000) {
        this.#schedule(generation, this.#nextBackoff());
      } else {
        this.#failures = 0;
        void this.#run(generation);
      }
    };
    const armWatchdog = () => {
      this.#clearWatchdog();
      this.#watchdog = setTimeout(() => {
        this.#watch?.abort();
        finish(
          new KubeRequestError(
            `the ${this.#options.what} watch went silent for ${
              timeoutSeconds + 60
            }s`,
          ),
        );
      }, (timeoutSeconds + 60) * 1000);
      this.#watchdog.unref?.();
    };
    armWatchdog();
    const handle = await transport.watch(
      path,
      {
        ...query,
        resourceVersion: this.#resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(timeoutSeconds),
      },
      (type, object) => {
        if (done || !this.#current(generation)) return;
        sawEvent = true;
        armWatchdog();
        this.#options.onContact();
        this.#event(type, object);
      },
      finish,
    );
    if (done || !this.#current(generation)) {
      handle.abort();
      return;
    }
    this.#watch = handle;
    this.#failures = 0;
    this.#options.onContact();
    this.#setState({ state: 'ok' });
  }

  #event(type: string, object: Obj) {
    const version = object?.metadata?.resourceVersion;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#options.sink.upsert(this.#options.transform(object));
        break;
      case 'DELETED':
        this.#options.sink.remove(this.#options.transform(object));
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR':
        // The server closes the stream after an ERROR; 410 means our resourceVersion is too old.
        if (object?.code === 410) {
          this.#resourceVersion = '';
          this.#options.onExpired?.();
        }
        return;
      default:
        return;
    }
    if (version) this.#resourceVersion = version;
  }

  #failed(error: unknown, generation: number) {
    const statusCode = (error as KubeRequestError)?.statusCode;
    if (statusCode === 410) {
      this.#resourceVersion = '';
      this.#options.onExpired?.();
      this.#schedule(generation, 0);
      return;
    }
    if (statusCode === 404 && this.#options.optional) {
      this.#resourceVersion = '';
      this.#options.sink.replace([]);
      this.#setState({ state: 'absent' });
      this.#schedule(generation, this.#options.absentRetryMs);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.#setState({
      state: 'error',
      error:
        statusCode === 404
          ? `${message} (is the CRD behind ${this.#options.path} installed?)`
          : message,
    });
    this.#schedule(generation, this.#nextBackoff());
  }

  #nextBackoff(): number {
    const { initialBackoffMs, maxBackoffMs, random } = this.#options;
    this.#failures += 1;
    const ceiling = Math.min(
      maxBackoffMs,
      initialBackoffMs * 2 ** Math.min(this.#failures - 1, 20),
    );
    // "Equal jitter": half fixed, half random, so clusters that failed together retry apart.
    return ceiling / 2 + (random ?? Math.random)() * (ceiling / 2);
  }

  #schedule(generation: number, delayMs: number) {
    if (!this.#current(generation)) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run(generation);
    }, delayMs);
    this.#timer.unref?.();
  }

  #setState(state: ReflectorState) {
    const previous = this.#state;
    this.#state = state;
    if (
      previous.state !== state.state ||
      (previous as { error?: string }).error !==
        (state as { error?: string }).error
    ) {
      this.#options.onState(state);
    }
  }

  #current(generation: number) {
    return this.#running && generation === this.#generation;
  }

  #clearWatchdog() {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  #clearTimers() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clearWatchdog();
  }
}
