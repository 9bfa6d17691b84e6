import {
  AuditorService,
  CacheService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { DecisionStore } from '../database/DecisionStore';
import { ActionService } from './ActionService';
import { ChangeFeed } from './ChangeFeed';
import { ReplicaRelay } from './ReplicaRelay';
import { ClusterSide, createClusterSide } from './clusterSide';
import { EntityCanaries, EntityLookup } from './EntityCanaries';
import { GateKeeper } from './GateKeeper';
import { HistoryRecorder } from './HistoryRecorder';
import { ReleaseQueries } from './ReleaseQueries';

/** Everything the router needs, built once by {@link createServices}. */
export interface ProgressiveDeliveryServices {
  queries: ReleaseQueries;
  actions: ActionService;
  gates: GateKeeper;
  entities: EntityCanaries;
  feed: ChangeFeed;
  decisions: DecisionStore;
  history: HistoryRecorder;
  /** Starts the watches, metric refresh and history recording; resolves without waiting for clusters. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CreateServicesOptions {
  config: Config;
  logger: LoggerService;
  /** The plugin's database; migrations run here. */
  database: Knex;
  catalog: EntityLookup;
  permissions: Pick<PermissionsService, 'authorize'>;
  auditor: AuditorService;
  /** Short-lived answers of the permission backend and the catalog (see EntityCanaries). */
  cache?: CacheService;
  /** The cluster side; built from config when absent (tests pass fakes). */
  clusterSide?: ClusterSide;
}

/**
 * Builds every service of the plugin. The new backend system (plugin.ts) and the legacy
 * `createRouter` both come through here, so there is one implementation.
 */
export async function createServices(
  options: CreateServicesOptions,
): Promise<ProgressiveDeliveryServices> {
  const { logger } = options;
  const clusterSide =
    options.clusterSide ??
    createClusterSide({ config: options.config, logger });
  const { store, summarizer } = clusterSide;
  const decisions = await DecisionStore.create(options.database);
  const feed = new ChangeFeed(store);
  const entities = new EntityCanaries({
    store,
    catalog: options.catalog,
    permissions: options.permissions,
    cache: options.cache,
  });
  const history = new HistoryRecorder({
    store,
    summarizer,
    decisions,
    feed,
    logger,
  });
  const relay = new ReplicaRelay({ decisions, feed, logger });
  return {
    queries: new ReleaseQueries({ store, summarizer, decisions, entities }),
    actions: new ActionService({
      store,
      summarizer,
      decisions,
      entities,
      feed,
      auditor: options.auditor,
      logger,
    }),
    gates: new GateKeeper({
      store,
      decisions,
      feed,
      logger,
      sharedSecret:
        options.config.getOptionalString(
          'progressiveDelivery.webhooks.sharedSecret',
        ) || undefined,
    }),
    entities,
    feed,
    decisions,
    history,
    async start() {
      history.start();
      await relay.start();
      await clusterSide.start();
    },
    async stop() {
      history.stop();
      await relay.stop();
      await clusterSide.stop();
      await history.idle();
    },
  };
}
