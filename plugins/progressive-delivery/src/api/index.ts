export { progressiveDeliveryApiRef } from './ProgressiveDeliveryApi';
export type {
  ProgressiveDeliveryApi,
  ActionOptions,
} from './ProgressiveDeliveryApi';
export { ProgressiveDeliveryClient } from './ProgressiveDeliveryClient';
export type { ReconnectOptions } from './ProgressiveDeliveryClient';
export { ServerSentEventParser } from './sse';
export type { ServerSentEvent } from './sse';
