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
  name: string;
  title?: string;
  /** `syncing` until the first list completes; `error` while the API server is unreachable. */
  status: 'ok' | 'syncing' | 'error';
  error?: string;
  /** ISO time of the last successful contact with the API server. */
  lastSyncAt?: string;
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
  items: CanarySummary[];
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
  summary: CanarySummary;
  /** The Canary object as the API server returned it (managedFields removed). */
  manifest: Record<string, unknown>;
  history: RolloutRecord[];
}

/**
 * `GET /canaries/{cluster}/{namespace}/{name}/metrics?entityRef=...&minutes=30`
 *
 * @public
 */
export interface CanaryMetricsResponse {
  series: MetricSeries[];
}

/**
 * `GET /history?entityRef=...`: newest first.
 *
 * @public
 */
export interface HistoryResponse {
  items: RolloutRecord[];
}

/**
 * `POST /canaries/{cluster}/{namespace}/{name}/actions/{action}`
 *
 * @public
 */
export interface ActionRequest {
  entityRef: string;
  comment?: string;
}

/** @public */
export interface ActionResponse {
  action: CanaryAction;
  ref: CanaryRef;
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
  type: 'canary-changed' | 'cluster-changed' | 'history-changed';
  ref?: CanaryRef;
  cluster?: string;
  at: string;
}

/**
 * The body Flagger sends to gate and event webhooks (flagger.app CanaryWebhookPayload).
 *
 * @public
 */
export interface FlaggerWebhookPayload {
  name: string;
  namespace: string;
  phase?: string;
  checksum?: string;
  metadata?: Record<string, string>;
}
