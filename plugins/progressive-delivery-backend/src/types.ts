import {
  CanaryRef,
  CanarySelector,
  CanarySummary,
  ClusterStatus,
  GateDecision,
  MetricSeries,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * The contract between the cluster side of the backend (watch caches, summary, Prometheus)
 * and the decision side (gates, actions, history, routes). It sits at the bottom of the
 * backend with `config.ts`: every folder may use it, it uses none of them.
 */

/** A Canary object as the API server returned it, and where it is. */
export interface CanaryObject {
  ref: CanaryRef;
  /** The raw flagger.app/v1beta1 Canary. */
  object: Record<string, any>;
}

/** A Canary object as the API server returned it, plus what was watched beside it. */
export interface WatchedCanary extends CanaryObject {
  /** The target Deployment (`spec.targetRef`) and `<target>-primary`, when watched. */
  target?: Record<string, any>;
  primary?: Record<string, any>;
  /** Events whose involvedObject is this Canary, oldest first. */
  events: Array<Record<string, any>>;
  /**
   * The revision key decisions are bound to: Flagger's own checksum inputs
   * (`status.lastAppliedSpec` plus `status.trackedConfigs`), undefined before initialization.
   */
  revision?: string;
}

/** What the decision side knows about a canary's current revision, fed into the summary. */
export interface DecisionState {
  /** The promote/rollback/approve-rollout decision recorded for the current revision. */
  decision?: GateDecision;
  /** Traffic increases paused for the current revision. */
  paused: boolean;
  /** What the rollout record of the current revision remembers, when there is one. */
  rollout?: RolloutProgress;
}

/**
 * The furthest a run got, as the status showed it while it ran (Flagger resets it when the
 * canary fails), and the revision released before it.
 */
export interface RolloutProgress {
  /** Highest `status.canaryWeight` seen. */
  reachedWeight?: number;
  /** Highest `status.iterations` seen. */
  reachedIterations?: number;
  /** Highest `status.failedChecks` seen. */
  failedChecks?: number;
  /** Flagger's last "Halt advancement" reason. */
  lastHaltReason?: string;
  /** The revision key of the canary's rollout before this one. */
  previousRevision?: string;
}

/** Provided by the cluster side. */
export interface CanaryStore {
  /** Health of every configured cluster. */
  getClusterStatuses(): ClusterStatus[];
  /** Whether a cluster name is configured. */
  hasCluster(cluster: string): boolean;
  /** One canary from the watch cache; undefined when unknown. */
  getCanary(ref: CanaryRef): WatchedCanary | undefined;
  /**
   * Reads one canary straight from its API server (bypassing the cache), for webhook
   * answers that must not act on stale data. Undefined when it does not exist.
   */
  fetchCanary(ref: CanaryRef): Promise<WatchedCanary | undefined>;
  /** The canaries that belong to an entity, from the watch caches (no cluster request). */
  findCanaries(selector: CanarySelector): WatchedCanary[];
  /** Subscribe to changes; returns an unsubscribe function. */
  subscribe(listener: (message: StreamMessage) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Provided by the cluster side: turns watched objects into the domain model. */
export interface CanarySummarizer {
  summarize(
    canaries: WatchedCanary[],
    decisions: (ref: CanaryRef, revision?: string) => Promise<DecisionState>,
  ): Promise<CanarySummary[]>;
  /** Range series for charts (Prometheus `query_range`), on demand for one canary. */
  metricSeries(canary: WatchedCanary, minutes: number): Promise<MetricSeries[]>;
}

/** The cluster side as the decision side sees it: the two contract interfaces plus their lifecycle. */
export interface ClusterSide {
  store: CanaryStore;
  summarizer: CanarySummarizer;
  /** Starts the watches and the metric refresh; resolves without waiting for any cluster. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
