import {
  CanaryAction,
  canaryKey,
  CanaryRef,
  GateDecision,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Knex } from 'knex';
import { ActionAttempts } from './ActionAttempts';
import { NoticeLog } from './NoticeLog';
import { RolloutHistory } from './RolloutHistory';
import {
  canaryColumns as canary,
  DECISIONS,
  DecisionRow,
  DecisionSlot,
  migrateDatabase,
  OPEN,
  toDecision,
} from './tables';

export type { DecisionSlot } from './tables';
export type { ActionAttempt, AttemptOutcome } from './ActionAttempts';

export const SLOT_OF_ACTION: Record<CanaryAction, DecisionSlot> = {
  promote: 'verdict',
  rollback: 'verdict',
  'approve-rollout': 'start',
  pause: 'traffic',
  resume: 'traffic',
};

/**
 * The decisions people made, per canary revision and slot, in the backend's database, so every
 * replica answers Flagger the same and nothing is lost on restart. Rollouts close them (see
 * {@link RolloutHistory}).
 */
export class DecisionStore {
  constructor(private readonly db: Knex) {}

  /** Runs the migrations and opens the store of decisions alone. */
  static async create(db: Knex): Promise<DecisionStore> {
    return (await openPluginDatabase(db)).decisions;
  }

  /** The open decisions of one revision. */
  async decisionsFor(
    ref: CanaryRef,
    revision: string,
  ): Promise<GateDecision[]> {
    const rows: DecisionRow[] = await this.db(DECISIONS).where({
      ...canary(ref),
      revision,
      epoch: OPEN,
    });
    return rows.map(toDecision);
  }

  /**
   * The open decisions of many revisions in one query per 200 (a page of canaries), keyed by
   * `cluster/namespace/name/revision`.
   */
  async decisionsForMany(
    revisions: Array<{ ref: CanaryRef; revision: string }>,
  ): Promise<Map<string, GateDecision[]>> {
    const found = new Map<string, GateDecision[]>();
    for (let start = 0; start < revisions.length; start += 200) {
      const chunk = revisions.slice(start, start + 200);
      const rows: DecisionRow[] = await this.db(DECISIONS)
        .where({ epoch: OPEN })
        .whereIn(
          ['cluster', 'namespace', 'name', 'revision'],
          chunk.map(({ ref, revision }) => [
            ref.cluster,
            ref.namespace,
            ref.name,
            revision,
          ]),
        );
      for (const row of rows) {
        const key = revisionKeyOf(canary(row), row.revision);
        found.set(key, [...(found.get(key) ?? []), toDecision(row)]);
      }
    }
    return found;
  }

  /** The open decision in one slot of one revision. */
  async decision(
    ref: CanaryRef,
    revision: string,
    slot: DecisionSlot,
  ): Promise<GateDecision | undefined> {
    const row: DecisionRow | undefined = await this.db(DECISIONS)
      .where({ ...canary(ref), revision, slot, epoch: OPEN })
      .first();
    return row ? toDecision(row) : undefined;
  }

  /**
   * Records a decision. The unique (canary, revision, slot, epoch) index makes the first of two
   * concurrent conflicting decisions win, on every database and across replicas.
   *
   * @returns the stored decision and what this call did: `accepted` (created or changed it),
   *   `repeated` (the same decision was there) or `conflict` (another decision holds the slot)
   */
  async decide(options: {
    ref: CanaryRef;
    revision: string;
    action: CanaryAction;
    actor: string;
    comment?: string;
  }): Promise<{
    decision: GateDecision;
    outcome: 'accepted' | 'repeated' | 'conflict';
  }> {
    const { ref, revision, action } = options;
    const slot = SLOT_OF_ACTION[action];
    const now = new Date().toISOString();
    const existing = await this.decision(ref, revision, slot);
    if (existing?.action === action) {
      return { decision: existing, outcome: 'repeated' };
    }
    if (existing && slot === 'traffic') {
      // Pause and resume share a slot; the newest word counts and waits for Flagger again.
      const changed = await this.db(DECISIONS)
        .where({ ...canary(ref), revision, slot, epoch: OPEN })
        .whereNot({ action })
        .update({
          action,
          decided_by: options.actor,
          decided_at: now,
          comment: options.comment ?? null,
          applied_at: null,
          checksum: null,
        });
      // Zero rows changed means a concurrent request already set the same word.
      return {
        decision: (await this.decision(ref, revision, slot))!,
        outcome: changed > 0 ? 'accepted' : 'repeated',
      };
    }
    if (existing) {
      return { decision: existing, outcome: 'conflict' };
    }
    try {
      await this.db(DECISIONS).insert({
        ...canary(ref),
        revision,
        slot,
        action,
        decided_by: options.actor,
        decided_at: now,
        comment: options.comment ?? null,
        epoch: OPEN,
      });
      return {
        decision: (await this.decision(ref, revision, slot))!,
        outcome: 'accepted',
      };
    } catch (error) {
      // Lost the race for the slot: whoever won decides the answer.
      const winner = await this.decision(ref, revision, slot);
      if (!winner) throw error;
      return {
        decision: winner,
        outcome: winner.action === action ? 'repeated' : 'conflict',
      };
    }
  }

  /**
   * Marks an open decision as applied by Flagger, the first time only.
   *
   * @returns true when this call marked it
   */
  async markApplied(
    ref: CanaryRef,
    revision: string,
    slot: DecisionSlot,
    checksum?: string,
  ): Promise<boolean> {
    const updated = await this.db(DECISIONS)
      .where({ ...canary(ref), revision, slot, epoch: OPEN })
      .whereNull('applied_at')
      .update({
        applied_at: new Date().toISOString(),
        checksum: checksum ?? null,
      });
    return updated > 0;
  }

  /**
   * Closes an approval Flagger already used for an earlier rollout, found open at a later
   * release's gate (its rollout start was never observed), so a new approval can be given.
   *
   * @returns true when an approval was closed
   */
  async closeUsedApproval(ref: CanaryRef, revision: string): Promise<boolean> {
    const closed = await this.db(DECISIONS)
      .where({ ...canary(ref), revision, slot: 'start', epoch: OPEN })
      .whereNotNull('applied_at')
      .update({
        epoch: this.db.ref('id'),
        closed_at: new Date().toISOString(),
      });
    return closed > 0;
  }
}

/** The plugin's tables, migrated, behind one object per job. */
export interface PluginDatabase {
  decisions: DecisionStore;
  attempts: ActionAttempts;
  rollouts: RolloutHistory;
  notices: NoticeLog;
}

/** Runs the migrations and opens the plugin's stores. */
export async function openPluginDatabase(db: Knex): Promise<PluginDatabase> {
  await migrateDatabase(db);
  return {
    decisions: new DecisionStore(db),
    attempts: new ActionAttempts(db),
    rollouts: new RolloutHistory(db),
    notices: new NoticeLog(db),
  };
}

/** How `decisionsForMany` keys its answer. */
export function revisionKeyOf(ref: CanaryRef, revision: string): string {
  return `${canaryKey(ref)}/${revision}`;
}
