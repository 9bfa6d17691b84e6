/**
 * Domain model, API types, annotations and permissions shared by the Progressive Delivery
 * plugins for Flagger.
 *
 * @packageDocumentation
 */
export * from './canary';
export * from './annotations';
export * from './permissions';
export * from './actions';
export * from './api';
export * from './waiting';
