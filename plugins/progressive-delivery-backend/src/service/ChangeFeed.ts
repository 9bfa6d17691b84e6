import { StreamMessage } from '@progressive-delivery/plugin-progressive-delivery-common';
import { CanaryStore } from '../types';

/**
 * The store's changes plus the decision side's own: a recorded decision, a gate answer that
 * applied one, a new history record. These change what a summary shows without any change in
 * the cluster, so browsers connected to this replica learn of them at once.
 */
export class ChangeFeed {
  readonly #listeners = new Set<(message: StreamMessage) => void>();

  constructor(private readonly store: CanaryStore) {}

  subscribe(listener: (message: StreamMessage) => void): () => void {
    const unsubscribeStore = this.store.subscribe(listener);
    this.#listeners.add(listener);
    return () => {
      unsubscribeStore();
      this.#listeners.delete(listener);
    };
  }

  publish(message: Omit<StreamMessage, 'at'>) {
    const full: StreamMessage = { ...message, at: new Date().toISOString() };
    for (const listener of this.#listeners) {
      try {
        listener(full);
      } catch {
        // One broken subscriber (a closed response) must not keep the others from hearing.
      }
    }
  }
}
