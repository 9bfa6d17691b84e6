/**
 * Backend plugin for Progressive Delivery with Flagger.
 *
 * @packageDocumentation
 */
export { progressiveDeliveryPlugin as default } from './plugin';
export { createRouter } from './legacy/createRouter';
export type { LegacyRouterOptions } from './legacy/createRouter';
