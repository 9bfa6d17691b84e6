/**
 * Backend plugin for Progressive Delivery with Flagger.
 *
 * @packageDocumentation
 */
export { progressiveDeliveryPlugin as default } from './plugin';
export {
  progressiveDeliveryActionsModule,
  progressiveDeliveryActionsExtensionPoint,
} from './plugin';
export type { ProgressiveDeliveryActionsExtensionPoint } from './plugin';
export { createRouter } from './legacy/createRouter';
export type { LegacyRouterOptions } from './legacy/createRouter';
