import { LoggerService } from '@backstage/backend-plugin-api';
import { DecisionStore } from '../database/DecisionStore';
import { ChangeFeed } from './ChangeFeed';

/** How often a replica looks for actions taken through the other replicas. */
export const REPLICA_POLL_MS = 2_000;

/**
 * Tells this replica's subscribers about actions taken through another replica behind the same
 * load balancer: every action leaves a row in the shared database, so a cheap indexed query
 * for rows newer than the last one seen is enough. Cluster changes need no relay: every
 * replica watches the clusters itself.
 */
export class ReplicaRelay {
  #cursor = 0;
  #timer?: NodeJS.Timeout;
  #polling?: Promise<void>;

  constructor(
    private readonly options: {
      decisions: DecisionStore;
      feed: ChangeFeed;
      logger: LoggerService;
      pollMs?: number;
    },
  ) {}

  async start() {
    this.#cursor = await this.options.decisions.lastAttemptId();
    const schedule = () => {
      this.#timer = setTimeout(() => {
        this.#polling = this.poll().finally(() => {
          if (this.#timer) schedule();
        });
      }, this.options.pollMs ?? REPLICA_POLL_MS);
      this.#timer.unref?.();
    };
    schedule();
  }

  async stop() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /** One look at the database; exposed for tests. */
  async poll() {
    try {
      const { lastId, refs } = await this.options.decisions.attemptsAfter(
        this.#cursor,
      );
      this.#cursor = lastId;
      const seen = new Set<string>();
      for (const ref of refs) {
        const key = `${ref.cluster}/${ref.namespace}/${ref.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        this.options.feed.publish({ type: 'canary-changed', ref });
      }
    } catch (error) {
      this.options.logger.warn(
        `Could not read actions taken on other replicas: ${error}`,
      );
    }
  }
}
