import { LoggerService } from '@backstage/backend-plugin-api';
import { ClusterStatus } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ClusterConfig } from '../config';
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
import { ClusterChange, ClusterIndex } from './ClusterIndex';
import { Reflector, ReflectorSink, ReflectorState } from './Reflector';

type Obj = Record<string, any>;

export { kubeConfigFor };

export type { ClusterChange } from './ClusterIndex';

/**
 * How often each API server is asked whether it is alive. A watch on a connection that
 * silently died (a paused process, a dropped network path) is noticed only at its timeout;
 * the probe marks the cluster unavailable within seconds instead.
 */
export const DEFAULT_PROBE_INTERVAL_MS = 5000;

/**
 * The watches of one cluster: Canaries, MetricTemplates, Deployments, the Events about
 * Canaries, and Cartographer Workloads (optional: the CRD may be absent). Each collection
 * is mirrored by a {@link Reflector} into the cluster's {@link ClusterIndex}; a liveness probe
 * notices a dead connection within seconds, and the watches' states make the cluster's status.
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

  /** What the watches mirrored, with its lookups. */
  readonly index: ClusterIndex;

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

    this.index = new ClusterIndex(change => this.#onChange(change));

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
      this.index.canaries,
      projectCanary,
    );
    reflect(
      'metrictemplates',
      '/apis/flagger.app/v1beta1/metrictemplates',
      this.index.templates,
      projectMetricTemplate,
    );
    reflect(
      'deployments',
      '/apis/apps/v1/deployments',
      this.index.deployments,
      projectDeployment,
    );
    reflect('events', '/api/v1/events', this.index.events, projectEvent, {
      query: { fieldSelector: 'involvedObject.kind=Canary' },
    });
    reflect(
      'workloads',
      '/apis/carto.run/v1alpha1/workloads',
      this.index.workloads,
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
