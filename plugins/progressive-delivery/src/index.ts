/**
 * Progressive Delivery for Backstage: an entity tab to watch and steer Flagger canary and
 * blue-green releases. The new frontend system plugin is the default export of `./alpha`.
 *
 * @packageDocumentation
 */
export {
  progressiveDeliveryPlugin,
  EntityProgressiveDeliveryContent,
  EntityProgressiveDeliveryCard,
  ProgressiveDeliveryWaitingPage,
} from './plugin';
export {
  progressiveDeliveryApiRef,
  ProgressiveDeliveryClient,
  ServerSentEventParser,
} from './api';
export type {
  ProgressiveDeliveryApi,
  ActionOptions,
  ReconnectOptions,
  ServerSentEvent,
} from './api';
export type { ProgressiveDeliveryContentProps } from './components/ProgressiveDeliveryContent';
export type { UseCanariesOptions } from './hooks/useCanaries';
export type { ProgressiveDeliveryCardProps } from './components/ProgressiveDeliveryCard';
export type { WaitingPageProps } from './components/WaitingPage/WaitingPage';
export { isProgressiveDeliveryAvailable } from '@progressive-delivery/plugin-progressive-delivery-common';
