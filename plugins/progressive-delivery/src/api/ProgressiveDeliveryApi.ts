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
  /** Why, in the person's words; the backend keeps it with the decision. */
  comment?: string;
}

/**
 * Client of the progressive-delivery backend.
 *
 * @public
 */
export interface ProgressiveDeliveryApi {
  /** The entity's canaries with the health of every configured cluster. */
  getCanaries(entityRef: string): Promise<CanaryListResponse>;
  /** One canary of the entity, with its manifest and rollout history. */
  getCanary(ref: CanaryRef, entityRef: string): Promise<CanaryDetailsResponse>;
  /** The analysis metrics' series of one canary over the last `minutes` minutes. */
  getMetrics(
    ref: CanaryRef,
    entityRef: string,
    minutes: number,
  ): Promise<CanaryMetricsResponse>;
  /** The entity's rollouts across its canaries, newest first. */
  getHistory(entityRef: string): Promise<HistoryResponse>;
  /** Across the catalog: what waits for the signed-in user, what failed today, what moves. */
  getWaiting(scope: WaitingScope): Promise<WaitingResponse>;
  /** Records a person's decision on a canary; Flagger carries it out at its next gate call. */
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

/**
 * The API ref of {@link ProgressiveDeliveryApi}; override it to point the plugin at another client.
 *
 * @public
 */
export const progressiveDeliveryApiRef = createApiRef<ProgressiveDeliveryApi>({
  id: 'plugin.progressive-delivery.service',
});
