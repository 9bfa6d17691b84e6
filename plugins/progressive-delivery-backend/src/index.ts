/**
 * Backend plugin for Progressive Delivery with Flagger.
 *
 * @packageDocumentation
 */
export { progressiveDeliveryPlugin as default } from './plugin';
