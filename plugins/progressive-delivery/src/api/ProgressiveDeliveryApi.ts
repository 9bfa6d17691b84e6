import { createApiRef } from '@backstage/core-plugin-api';
import {
  ActionResponse,
  CanaryAction,
  CanaryDetailsResponse,
  CanaryListResponse,
  CanaryMetricsResponse,
  CanaryRef,
  HistoryResponse,
  StreamMessage,
  WaitingResponse,
  WaitingScope,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * Options of an action request.
 *
 * @public
 */
export interface ActionOptions {
  /** The entity the canary belongs to; the backend checks permissions against it. */
  entityRef: string;
  comment?: string;
}

/**
 * Client of the progressive-delivery backend.
 *
 * @public
 */
export interface ProgressiveDeliveryApi {
  getCanaries(entityRef: string): Promise<CanaryListResponse>;
  getCanary(ref: CanaryRef, entityRef: string): Promise<CanaryDetailsResponse>;
  getMetrics(
    ref: CanaryRef,
    entityRef: string,
    minutes: number,
  ): Promise<CanaryMetricsResponse>;
  getHistory(entityRef: string): Promise<HistoryResponse>;
  /** Across the catalog: what waits for the signed-in user, what failed today, what moves. */
  getWaiting(scope: WaitingScope): Promise<WaitingResponse>;
  act(
    ref: CanaryRef,
    action: CanaryAction,
    options: ActionOptions,
  ): Promise<ActionResponse>;
  /**
   * Follows the push channel of an entity. `onOpen` fires whenever a connection is
   * established (also after a reconnect); `onError` whenever it is lost.
   * @returns a function that closes the channel
   */
  subscribe(
    entityRef: string,
    onMessage: (message: StreamMessage) => void,
    onError?: (error: Error) => void,
    onOpen?: () => void,
  ): () => void;
}

/** @public */
export const progressiveDeliveryApiRef = createApiRef<ProgressiveDeliveryApi>({
  id: 'plugin.progressive-delivery.service',
});
