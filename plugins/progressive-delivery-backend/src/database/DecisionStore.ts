import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import {
  CanaryAction,
  CanaryRef,
  GateDecision,
  RolloutOutcome,
  RolloutRecord,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/**
 * Each revision has three independent decisions: the verdict (promote or rollback, one excludes
 * the other), the start of the rollout, and the traffic hold (pause or resume, the newest counts).
 */
export type DecisionSlot = 'verdict' | 'start' | 'traffic';

export const SLOT_OF_ACTION: Record<CanaryAction, DecisionSlot> = {
  promote: 'verdict',
  rollback: 'verdict',
  'approve-rollout': 'start',
  pause: 'traffic',
  resume: 'traffic',
};

export type AttemptOutcome =
  | 'accepted'
  | 'repeated'
  | 'conflict'
  | 'forbidden'
  | 'invalid';

export interface ActionAttempt {
  ref: CanaryRef;
  revision?: string;
  action: CanaryAction;
  actor: string;
  comment?: string;
  outcome: AttemptOutcome;
  message?: string;
  at: string;
}

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
  epoch: number | string;
  rollout_revision: string | null;
}

const DECISIONS = 'pd_decisions';
const ATTEMPTS = 'pd_action_attempts';
const ROLLOUTS = 'pd_rollouts';
const FLAGGER_EVENTS = 'pd_flagger_events';
const OPEN = 0;

const toDecision = (row: DecisionRow): GateDecision => ({
  action: row.action,
  revision: row.revision,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  comment: row.comment ?? undefined,
  appliedAt: row.applied_at ?? undefined,
});

const canary = (ref: CanaryRef) => ({
  cluster: ref.cluster,
  namespace: ref.namespace,
  name: ref.name,
});
const keyOf = (ref: CanaryRef) => `${ref.cluster}/${ref.namespace}/${ref.name}`;

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

/**
 * Decisions, attempts, rollouts and Flagger events, all in the backend's database, so every
 * replica answers Flagger the same and nothing is lost on restart. Every write is safe to repeat:
 * all replicas observe the same transitions and write them.
 */
export class DecisionStore {
  private constructor(private readonly db: Knex) {}

  static async create(db: Knex): Promise<DecisionStore> {
    await migrateDatabase(db);
    return new DecisionStore(db);
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

  async recordAttempt(attempt: Omit<ActionAttempt, 'at'>) {
    await this.db(ATTEMPTS).insert({
      ...canary(attempt.ref),
      revision: attempt.revision ?? null,
      action: attempt.action,
      actor: attempt.actor,
      comment: attempt.comment ?? null,
      outcome: attempt.outcome,
      message: attempt.message ?? null,
      at: new Date().toISOString(),
    });
  }

  /** The newest attempt's id, where a replica starts following the others. */
  async lastAttemptId(): Promise<number> {
    const [row] = await this.db(ATTEMPTS).max({ id: 'id' });
    return Number(row?.id ?? 0);
  }

  /** Canaries acted on (on any replica) after attempt `afterId`, with the newest id seen. */
  async attemptsAfter(
    afterId: number,
    limit = 500,
  ): Promise<{ lastId: number; refs: CanaryRef[] }> {
    const rows = await this.db(ATTEMPTS)
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)
      .select('id', 'cluster', 'namespace', 'name');
    return {
      lastId: rows.length ? Number(rows[rows.length - 1].id) : afterId,
      refs: rows.map((row: any) => canary(row)),
    };
  }

  /** Every action tried on a canary, oldest first. */
  async attempts(ref: CanaryRef): Promise<ActionAttempt[]> {
    const rows = await this.db(ATTEMPTS)
      .where(canary(ref))
      .orderBy('id', 'asc');
    return rows.map((row: any) => ({
      ref: canary(row),
      revision: row.revision ?? undefined,
      action: row.action,
      actor: row.actor,
      comment: row.comment ?? undefined,
      outcome: row.outcome,
      message: row.message ?? undefined,
      at: row.at,
    }));
  }

  async recordFlaggerEvent(event: {
    ref: CanaryRef;
    phase?: string;
    checksum?: string;
    eventType?: string;
    message: string;
    at: string;
  }) {
    await this.db(FLAGGER_EVENTS).insert({
      ...canary(event.ref),
      phase: event.phase ?? null,
      checksum: event.checksum ?? null,
      event_type: event.eventType ?? null,
      message: event.message,
      at: event.at,
    });
  }

  /** Flagger's events as its event webhook delivered them, newest first. */
  async flaggerEvents(ref: CanaryRef, limit = 100) {
    const rows = await this.db(FLAGGER_EVENTS)
      .where(canary(ref))
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map((row: any) => ({
      phase: row.phase ?? undefined,
      eventType: row.event_type ?? undefined,
      message: row.message as string,
      at: row.at as string,
    }));
  }

  /**
   * A rollout of `revision` runs. Starts its record once, ends any other rollout of the canary
   * still marked running (a new revision restarted the analysis) as superseded, and closes the
   * approve-rollout decisions that let it start.
   *
   * @returns true when this call wrote anything
   */
  async rolloutStarted(
    ref: CanaryRef,
    revision: string,
    images: string[],
    at: string,
  ): Promise<boolean> {
    return this.db.transaction(async tx => {
      const existed = await tx(ROLLOUTS)
        .where({ ...canary(ref), revision })
        .first();
      await tx(ROLLOUTS)
        .insert({
          ...canary(ref),
          revision,
          images: JSON.stringify(images),
          started_at: at,
          outcome: 'in-progress',
        })
        .onConflict(['cluster', 'namespace', 'name', 'revision'])
        .ignore();
      const superseded: Array<{ revision: string }> = await tx(ROLLOUTS)
        .where({ ...canary(ref), outcome: 'in-progress' })
        .whereNot({ revision })
        .select('revision');
      if (superseded.length > 0) {
        await tx(ROLLOUTS)
          .where({ ...canary(ref), outcome: 'in-progress' })
          .whereIn(
            'revision',
            superseded.map(row => row.revision),
          )
          .update({ outcome: 'superseded', ended_at: at });
        await closeDecisions(
          tx,
          ref,
          superseded.map(row => row.revision),
          ['verdict', 'traffic'],
          at,
        );
      }
      // Approvals are only taken while Waiting, so every open one let this rollout start. It
      // carries the previous revision's key after a Succeeded canary, and already this one's
      // after a Failed canary (Flagger syncs lastAppliedSpec of a failed canary first).
      const started = await tx(DECISIONS)
        .where({ ...canary(ref), slot: 'start', epoch: OPEN })
        .update({
          epoch: tx.ref('id'),
          closed_at: at,
          rollout_revision: revision,
        });
      return !existed || superseded.length > 0 || started > 0;
    });
  }

  /**
   * A rollout of `revision` ended. Closes its promote/rollback and pause/resume decisions, so a
   * later release of the same pod template starts undecided.
   *
   * @param createIfMissing - record the rollout even if its start was never observed
   * @returns true when this call wrote anything
   */
  async rolloutEnded(
    ref: CanaryRef,
    revision: string,
    outcome: Exclude<RolloutOutcome, 'in-progress'>,
    at: string,
    options: {
      failureReason?: string;
      images?: string[];
      createIfMissing?: boolean;
    } = {},
  ): Promise<boolean> {
    return this.db.transaction(async tx => {
      if (options.createIfMissing ?? true) {
        await tx(ROLLOUTS)
          .insert({
            ...canary(ref),
            revision,
            images: JSON.stringify(options.images ?? []),
            started_at: at,
            outcome: 'in-progress',
          })
          .onConflict(['cluster', 'namespace', 'name', 'revision'])
          .ignore();
      }
      const row = await tx(ROLLOUTS)
        .where({ ...canary(ref), revision, outcome: 'in-progress' })
        .first();
      if (!row) return false;
      const failureReason =
        outcome === 'failed'
          ? combineReasons(options.failureReason, row.last_halt_reason)
          : undefined;
      await tx(ROLLOUTS)
        .where({ ...canary(ref), revision, outcome: 'in-progress' })
        .update({
          ended_at: at,
          outcome,
          failure_reason: failureReason ?? null,
        });
      await closeDecisions(tx, ref, [revision], ['verdict', 'traffic'], at);
      return true;
    });
  }

  /** The rollouts still running, as `cluster/namespace/name@revision`. */
  async openRollouts(): Promise<Set<string>> {
    const rows = await this.db(ROLLOUTS)
      .where({ outcome: 'in-progress' })
      .select('cluster', 'namespace', 'name', 'revision');
    return new Set(rows.map((row: any) => `${keyOf(row)}@${row.revision}`));
  }

  /** Remembers why Flagger last halted the running rollout, for the failure reason. */
  async noteHalt(ref: CanaryRef, revision: string, reason: string) {
    await this.db(ROLLOUTS)
      .where({ ...canary(ref), revision, outcome: 'in-progress' })
      .update({ last_halt_reason: reason.slice(0, 1000) });
  }

  /** Rollouts of the given canaries, newest first, with the decisions made on each. */
  async history(refs: CanaryRef[], limit = 50): Promise<RolloutRecord[]> {
    if (refs.length === 0) return [];
    const rows: any[] = await this.db(ROLLOUTS)
      .where(builder => {
        for (const ref of refs) builder.orWhere(canary(ref));
      })
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit);
    if (rows.length === 0) return [];
    const revisions = [...new Set(rows.map(row => row.revision as string))];
    const decisionRows: DecisionRow[] = await this.db(DECISIONS)
      .where(builder => {
        for (const ref of refs) builder.orWhere(canary(ref));
      })
      .andWhere(builder =>
        builder
          .where(inner =>
            inner.whereIn('revision', revisions).whereNot('slot', 'start'),
          )
          .orWhereIn('rollout_revision', revisions),
      )
      .orderBy('decided_at', 'asc');
    const byRollout = new Map<string, GateDecision[]>();
    for (const row of decisionRows) {
      const revision =
        row.slot === 'start' ? row.rollout_revision : row.revision;
      if (!revision) continue;
      const key = `${keyOf(row)}@${revision}`;
      byRollout.set(key, [...(byRollout.get(key) ?? []), toDecision(row)]);
    }
    return rows.map(row => {
      const ref = canary(row);
      return {
        ref,
        revision: row.revision,
        images: JSON.parse(row.images),
        startedAt: row.started_at,
        endedAt: row.ended_at ?? undefined,
        outcome: row.outcome,
        failureReason: row.failure_reason ?? undefined,
        decisions: byRollout.get(`${keyOf(ref)}@${row.revision}`) ?? [],
      };
    });
  }
}

async function closeDecisions(
  tx: Knex.Transaction,
  ref: CanaryRef,
  revisions: string[],
  slots: DecisionSlot[],
  at: string,
) {
  await tx(DECISIONS)
    .where({ ...canary(ref), epoch: OPEN })
    .whereIn('revision', revisions)
    .whereIn('slot', slots)
    .update({ epoch: tx.ref('id'), closed_at: at });
}

function combineReasons(
  reason: string | undefined,
  lastHalt: string | null,
): string | undefined {
  if (reason && lastHalt && /failed checks threshold/.test(reason))
    return `${reason} (last failed check: ${lastHalt})`;
  return reason ?? lastHalt ?? undefined;
}

/** How `decisionsForMany` keys its answer. */
export function revisionKeyOf(ref: CanaryRef, revision: string): string {
  return `${ref.cluster}/${ref.namespace}/${ref.name}/${revision}`;
}
