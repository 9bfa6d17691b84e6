import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  CanaryAction,
  CanaryRef,
  GateDecision,
  RolloutOutcome,
  RolloutRecord,
} from '@progressive-delivery/plugin-progressive-delivery-common';

export type DecisionSlot = 'verdict' | 'start' | 'traffic';

export const SLOT_OF_ACTION: Record<CanaryAction, DecisionSlot> = {
  promote: 'verdict',
  rollback: 'verdict',
  'approve-rollout': 'start',
  pause: 'traffic',
  resume: 'traffic',
};

export type AttemptOutcome = 'accepted' | 'repeated' | 'conflict' | 'forbidden' | 'invalid';

interface DecisionRow {
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
}

const toDecision = (row: DecisionRow): GateDecision => ({
  action: row.action,
  revision: row.revision,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  comment: row.comment ?? undefined,
  appliedAt: row.applied_at ?? undefined,
});

const where = (ref: CanaryRef) => ({ cluster: ref.cluster, namespace: ref.namespace, name: ref.name });

export async function migrateDatabase(knex: Knex) {
  await knex.migrate.latest({
    directory: resolvePackagePath('@progressive-delivery/plugin-progressive-delivery-backend', 'migrations'),
    tableName: 'pd_knex_migrations',
  });
}

/**
 * Decisions, attempts, rollouts and Flagger events, all in the backend's database, so every
 * replica answers Flagger the same and nothing is lost on restart.
 */
export class DecisionStore {
  constructor(private readonly db: Knex) {}

  static async create(db: Knex): Promise<DecisionStore> {
    await migrateDatabase(db);
    return new DecisionStore(db);
  }

  async decisionsFor(ref: CanaryRef, revision: string): Promise<GateDecision[]> {
    const rows: DecisionRow[] = await this.db('pd_decisions').where({ ...where(ref), revision });
    return rows.map(toDecision);
  }

  async decision(ref: CanaryRef, revision: string, slot: DecisionSlot): Promise<GateDecision | undefined> {
    const row: DecisionRow | undefined = await this.db('pd_decisions').where({ ...where(ref), revision, slot }).first();
    return row ? toDecision(row) : undefined;
  }

  /**
   * Records a decision. The unique (canary, revision, slot) index makes the first of two
   * concurrent conflicting decisions win on every database and replica.
   *
   * @returns the stored decision and whether this call created or changed it
   */
  async decide(options: {
    ref: CanaryRef;
    revision: string;
    action: CanaryAction;
    actor: string;
    comment?: string;
  }): Promise<{ decision: GateDecision; outcome: 'accepted' | 'repeated' | 'conflict' }> {
    const slot = SLOT_OF_ACTION[options.action];
    const now = new Date().toISOString();
    const existing = await this.decision(options.ref, options.revision, slot);
    if (slot === 'traffic' && existing && existing.action !== options.action) {
      // Pause and resume toggle the same slot; the newest word counts.
      await this.db('pd_decisions')
        .where({ ...where(options.ref), revision: options.revision, slot })
        .update({ action: options.action, decided_by: options.actor, decided_at: now, comment: options.comment ?? null, applied_at: null });
      return { decision: (await this.decision(options.ref, options.revision, slot))!, outcome: 'accepted' };
    }
    if (existing) {
      return { decision: existing, outcome: existing.action === options.action ? 'repeated' : 'conflict' };
    }
    try {
      await this.db('pd_decisions').insert({
        ...where(options.ref),
        revision: options.revision,
        slot,
        action: options.action,
        decided_by: options.actor,
        decided_at: now,
        comment: options.comment ?? null,
      });
      return { decision: (await this.decision(options.ref, options.revision, slot))!, outcome: 'accepted' };
    } catch (error) {
      const winner = await this.decision(options.ref, options.revision, slot);
      if (!winner) throw error;
      return { decision: winner, outcome: winner.action === options.action ? 'repeated' : 'conflict' };
    }
  }

  /** Marks a decision as picked up by Flagger (first time only). */
  async markApplied(ref: CanaryRef, revision: string, slot: DecisionSlot, checksum?: string) {
    await this.db('pd_decisions')
      .where({ ...where(ref), revision, slot })
      .whereNull('applied_at')
      .update({ applied_at: new Date().toISOString(), checksum: checksum ?? null });
  }

  async recordAttempt(attempt: {
    ref: CanaryRef;
    revision?: string;
    action: CanaryAction;
    actor: string;
    comment?: string;
    outcome: AttemptOutcome;
    message?: string;
  }) {
    await this.db('pd_action_attempts').insert({
      ...where(attempt.ref),
      revision: attempt.revision ?? null,
      action: attempt.action,
      actor: attempt.actor,
      comment: attempt.comment ?? null,
      outcome: attempt.outcome,
      message: attempt.message ?? null,
      at: new Date().toISOString(),
    });
  }

  async attempts(ref: CanaryRef) {
    return this.db('pd_action_attempts').where(where(ref)).orderBy('id', 'asc');
  }

  async recordFlaggerEvent(event: {
    ref: CanaryRef;
    phase?: string;
    checksum?: string;
    eventType?: string;
    message: string;
    at: string;
  }) {
    await this.db('pd_flagger_events').insert({
      ...where(event.ref),
      phase: event.phase ?? null,
      checksum: event.checksum ?? null,
      event_type: event.eventType ?? null,
      message: event.message,
      at: event.at,
    });
  }

  /** Starts a rollout record once per revision; every replica may call it. */
  async rolloutStarted(ref: CanaryRef, revision: string, images: string[], at: string) {
    await this.db('pd_rollouts')
      .insert({ ...where(ref), revision, images: JSON.stringify(images), started_at: at, outcome: 'in-progress' })
      .onConflict(['cluster', 'namespace', 'name', 'revision'])
      .ignore();
  }

  async rolloutEnded(
    ref: CanaryRef,
    revision: string,
    outcome: Exclude<RolloutOutcome, 'in-progress'>,
    at: string,
    failureReason?: string,
    images: string[] = [],
    createIfMissing = true,
  ) {
    if (createIfMissing) await this.rolloutStarted(ref, revision, images, at);
    await this.db('pd_rollouts')
      .where({ ...where(ref), revision, outcome: 'in-progress' })
      .update({ ended_at: at, outcome, failure_reason: failureReason ?? null });
  }

  /** Rollouts of the given canaries, newest first, with the decisions made on each revision. */
  async history(refs: CanaryRef[], limit = 50): Promise<RolloutRecord[]> {
    if (refs.length === 0) return [];
    const rows = await this.db('pd_rollouts')
      .where(builder => {
        for (const ref of refs) builder.orWhere(where(ref));
      })
      .orderBy('started_at', 'desc')
      .limit(limit);
    const records: RolloutRecord[] = [];
    for (const row of rows) {
      const ref = { cluster: row.cluster, namespace: row.namespace, name: row.name };
      records.push({
        ref,
        revision: row.revision,
        images: JSON.parse(row.images),
        startedAt: row.started_at,
        endedAt: row.ended_at ?? undefined,
        outcome: row.outcome,
        failureReason: row.failure_reason ?? undefined,
        decisions: await this.decisionsFor(ref, row.revision),
      });
    }
    return records;
  }
}
