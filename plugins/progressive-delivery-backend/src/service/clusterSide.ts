import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { createCanaryStore } from '../clusters/KubernetesCanaryStore';
import { createCanarySummarizer } from '../translation/CanarySummarizer';
import { CanaryStore, CanarySummarizer } from './types';

/** The cluster side as the decision side sees it: the two contract interfaces plus their lifecycle. */
export interface ClusterSide {
  store: CanaryStore;
  summarizer: CanarySummarizer;
  /** Starts the watches and the metric refresh; resolves without waiting for any cluster. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Builds the watch caches and the summarizer from config with the cluster side's factories. The
 * only place that knows their concrete classes; everything else codes against the contract.
 */
export function createClusterSide(options: {
  config: Config;
  logger: LoggerService;
}): ClusterSide {
  const store = createCanaryStore(options);
  const summarizer = createCanarySummarizer({ ...options, store });
  return {
    store,
    summarizer,
    async start() {
      await store.start();
      summarizer.start();
    },
    async stop() {
      summarizer.stop();
      await store.stop();
    },
  };
}
