/*
 * Why a poll of our own table and not a library bus. Backstage's events service
 * (@backstage/plugin-events-node) is in-memory unless the adopter also installs the events
 * backend, whose database-backed bus (DatabaseEventBusStore) refuses anything but PostgreSQL;
 * the legacy backend system and TDP's PluginEnvironment do not provide it at all. PostgreSQL's
 * LISTEN/NOTIFY alone would need a connection held outside knex's pool and still a fallback for
 * SQLite. Every action already writes a row to the shared database, so one indexed query for
 * rows after the last id seen, every 2 s, works on every database the plugin supports and adds
 * no dependency; a change reaches the other replicas' browsers within 2 s.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { canaryKey } from '@progressive-delivery/plugin-progressive-delivery-common';
import { ActionAttempts } from '../database/ActionAttempts';
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
      attempts: ActionAttempts;
      feed: ChangeFeed;
      logger: LoggerService;
      pollMs?: number;
    },
  ) {}

  async start() {
    this.#cursor = await this.options.attempts.lastAttemptId();
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
      const { lastId, refs } = await this.options.attempts.attemptsAfter(
        this.#cursor,
      );
      this.#cursor = lastId;
      const seen = new Set<string>();
      for (const ref of refs) {
        const key = canaryKey(ref);
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
