import {
  CanaryAction,
  CanaryRef,
  CanarySummary,
  GateDecision,
  MetricSeries,
  RolloutRecord,
} from './canary';
import { CanarySelector } from './annotations';

/**
 * The backend plugin's id; routes live under `/api/progressive-delivery`.
 *
 * @public
 */
export const PROGRESSIVE_DELIVERY_PLUGIN_ID = 'progressive-delivery';

/**
 * Health of one configured cluster as the backend's watches see it.
 *
 * @public
 */
export interface ClusterStatus {
  /** The cluster's name from `kubernetes.clusterLocatorMethods`. */
  name: string;
  /** The cluster's title from the same config, when one is set. */
  title?: string;
  /** `syncing` until the first list completes; `error` while the API server is unreachable. */
  status: 'ok' | 'syncing' | 'error';
  /** Why the watches fail, while `status` is `error`. */
  error?: string;
  /** ISO time of the last successful contact with the API server. */
  lastSyncAt?: string;
  /** Whether the cluster's Prometheus answers, and why not. */
  prometheus: {
    status: 'ok' | 'error' | 'not-configured';
    error?: string;
  };
}

/**
 * `GET /canaries?entityRef=<kind:namespace/name>`
 *
 * @public
 */
export interface CanaryListResponse {
  /** The entity's canaries. */
  items: CanarySummary[];
  /**
   * Every configured cluster's health, so a missing canary can be told from an unreachable cluster.
   */
  clusters: ClusterStatus[];
  /** Where the backend looked, so an empty list can say so. */
  selector: CanarySelector;
}

/**
 * `GET /canaries/{cluster}/{namespace}/{name}?entityRef=...`
 *
 * @public
 */
export interface CanaryDetailsResponse {
  /** The canary's summary, as in the list. */
  summary: CanarySummary;
  /** The Canary object as the API server returned it (managedFields removed). */
  manifest: Record<string, unknown>;
  /** The canary's rollouts, newest first. */
  history: RolloutRecord[];
}

/**
 * `GET /canaries/{cluster}/{namespace}/{name}/metrics?entityRef=...&minutes=30`
 *
 * @public
 */
export interface CanaryMetricsResponse {
  /** One series per analysis metric. */
  series: MetricSeries[];
}

/**
 * `GET /history?entityRef=...`: newest first.
 *
 * @public
 */
export interface HistoryResponse {
  /** The entity's rollouts across its canaries. */
  items: RolloutRecord[];
}

/**
 * `POST /canaries/{cluster}/{namespace}/{name}/actions/{action}`
 *
 * @public
 */
export interface ActionRequest {
  /** The entity the canary belongs to, `kind:namespace/name`; permissions are checked on it. */
  entityRef: string;
  /** Why, in the person's words; kept with the decision. */
  comment?: string;
}

/**
 * What the backend answers to an accepted action.
 *
 * @public
 */
export interface ActionResponse {
  /** The action taken. */
  action: CanaryAction;
  /** The canary it was taken on. */
  ref: CanaryRef;
  /** The decision recorded, which Flagger picks up at its next gate call. */
  decision: GateDecision;
  /** What happens next, in words. */
  message: string;
}

/**
 * Messages on `GET /stream?entityRef=...` (server-sent events, event name `change`).
 *
 * @public
 */
export interface StreamMessage {
  /** What changed: one canary, a cluster's health, or the entity's rollout history. */
  type: 'canary-changed' | 'cluster-changed' | 'history-changed';
  /** The canary that changed, for `canary-changed`. */
  ref?: CanaryRef;
  /** The cluster whose health changed, for `cluster-changed`. */
  cluster?: string;
  /** When the backend saw the change (ISO timestamp). */
  at: string;
}

/**
 * The body Flagger sends to gate and event webhooks (flagger.app CanaryWebhookPayload).
 *
 * @public
 */
export interface FlaggerWebhookPayload {
  /** The Canary's name. */
  name: string;
  /** The Canary's namespace. */
  namespace: string;
  /** The Canary's phase when Flagger called. */
  phase?: string;
  /** Flagger's hash of the revision (its last applied spec and tracked configs). */
  checksum?: string;
  /** The webhook's `metadata` from the Canary's spec. */
  metadata?: Record<string, string>;
}
