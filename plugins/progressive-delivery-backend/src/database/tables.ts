import { resolvePackagePath } from '@backstage/backend-plugin-api';
import {
  CanaryAction,
  CanaryRef,
  GateDecision,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Knex } from 'knex';

/**
 * What the plugin's tables share: their names, how a canary is stored in each, the decision
 * rows (the history reads them too) and the migrations that make them.
 */

/**
 * Each revision has three independent decisions: the verdict (promote or rollback, one excludes
 * the other), the start of the rollout, and the traffic hold (pause or resume, the newest counts).
 */
export type DecisionSlot = 'verdict' | 'start' | 'traffic';

export interface DecisionRow {
  cluster: string;
  namespace: string;
  name: string;
  revision: string;
  slot: DecisionSlot;
  action: CanaryAction;
  decided_by: string;
  decided_at: string;
  comment: string | null;
  checksum: string | null;
  applied_at: string | null;
  epoch: number | string;
  rollout_revision: string | null;
}

export const DECISIONS = 'pd_decisions';
export const ATTEMPTS = 'pd_action_attempts';
export const ROLLOUTS = 'pd_rollouts';
export const FLAGGER_EVENTS = 'pd_flagger_events';
export const NOTICES = 'pd_notices';
/** The epoch of a decision still in force; a closed one takes its row id. */
export const OPEN = 0;

export const toDecision = (row: DecisionRow): GateDecision => ({
  action: row.action,
  revision: row.revision,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  comment: row.comment ?? undefined,
  appliedAt: row.applied_at ?? undefined,
});

/** The columns that name a canary, from a ref or from a row. */
export const canaryColumns = (ref: CanaryRef): CanaryRef => ({
  cluster: ref.cluster,
  namespace: ref.namespace,
  name: ref.name,
});

/** Runs the package's knex migrations (shipped in the package's `migrations/` folder). */
export async function migrateDatabase(knex: Knex) {
  await knex.migrate.latest({
    directory: resolvePackagePath(
      '@progressive-delivery/plugin-progressive-delivery-backend',
      'migrations',
    ),
    tableName: 'pd_knex_migrations',
  });
}

/** Closes the open decisions of some revisions in some slots (their rollout ended). */
export async function closeDecisions(
  tx: Knex.Transaction,
  ref: CanaryRef,
  revisions: string[],
  slots: DecisionSlot[],
  at: string,
) {
  await tx(DECISIONS)
    .where({ ...canaryColumns(ref), epoch: OPEN })
    .whereIn('revision', revisions)
    .whereIn('slot', slots)
    .update({ epoch: tx.ref('id'), closed_at: at });
}
