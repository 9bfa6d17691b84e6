import {
  canaryKey,
  CanaryRef,
  GateDecision,
  RolloutOutcome,
  RolloutRecord,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Knex } from 'knex';
import {
  canaryColumns as canary,
  closeDecisions,
  DECISIONS,
  DecisionRow,
  FLAGGER_EVENTS,
  OPEN,
  ROLLOUTS,
  toDecision,
} from './tables';
import { RolloutProgress } from '../types';

/**
 * The rollout history: one record per rollout of a revision, from its start to its outcome,
 * with the decisions made on it, and Flagger's events as its event webhook delivered them.
 * Every write is safe to repeat: all replicas observe the same transitions and write them.
 */
export class RolloutHistory {
  constructor(private readonly db: Knex) {}

  /** Deletes Flagger event-webhook rows received before `before` (ISO); returns how many. */
  async pruneFlaggerEventsBefore(before: string): Promise<number> {
    return this.db(FLAGGER_EVENTS).where('at', '<', before).delete();
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
    return new Set(rows.map((row: any) => `${canaryKey(row)}@${row.revision}`));
  }

  /** Remembers why Flagger last halted the running rollout, for the failure reason. */
  async noteHalt(ref: CanaryRef, revision: string, reason: string) {
    await this.db(ROLLOUTS)
      .where({ ...canary(ref), revision, outcome: 'in-progress' })
      .update({ last_halt_reason: reason.slice(0, 1000) });
  }

  /**
   * Raises the furthest weight, iterations and failed checks of the running rollout to what the
   * status shows now; each column only grows, so replicas writing in any order agree.
   */
  async noteProgress(
    ref: CanaryRef,
    revision: string,
    progress: { weight?: number; iterations?: number; failedChecks?: number },
  ) {
    const columns: Array<[string, number | undefined]> = [
      ['reached_weight', progress.weight],
      ['reached_iterations', progress.iterations],
      ['failed_checks', progress.failedChecks],
    ];
    for (const [column, value] of columns) {
      if (value === undefined || !Number.isFinite(value) || value <= 0)
        continue;
      await this.db(ROLLOUTS)
        .where({ ...canary(ref), revision, outcome: 'in-progress' })
        .andWhere(builder =>
          builder.whereNull(column).orWhere(column, '<', value),
        )
        .update({ [column]: Math.round(value) });
    }
  }

  /**
   * What the record of each canary's current revision remembers, and the revision released
   * before it, in two queries for all canaries.
   */
  async progressOf(
    current: Array<{ ref: CanaryRef; revision: string }>,
  ): Promise<Map<string, RolloutProgress>> {
    const result = new Map<string, RolloutProgress>();
    for (let start = 0; start < current.length; start += 200) {
      const chunk = current.slice(start, start + 200);
      const rows: any[] = await this.db(ROLLOUTS)
        .whereIn(
          ['cluster', 'namespace', 'name', 'revision'],
          chunk.map(({ ref, revision }) => [
            ref.cluster,
            ref.namespace,
            ref.name,
            revision,
          ]),
        )
        .select(
          'id',
          'cluster',
          'namespace',
          'name',
          'revision',
          'reached_weight',
          'reached_iterations',
          'failed_checks',
          'last_halt_reason',
        );
      // The rollout before the current one: the newest other record of the same canary.
      const previous: any[] = await this.db(ROLLOUTS)
        .whereIn(
          'id',
          this.db(ROLLOUTS)
            .whereIn(
              ['cluster', 'namespace', 'name'],
              chunk.map(({ ref }) => [ref.cluster, ref.namespace, ref.name]),
            )
            .whereNotIn(
              'id',
              rows.map(row => row.id),
            )
            .groupBy('cluster', 'namespace', 'name')
            .max('id'),
        )
        .select('cluster', 'namespace', 'name', 'revision');
      const previousOf = new Map(
        previous.map(row => [canaryKey(row), row.revision as string]),
      );
      for (const row of rows) {
        result.set(`${canaryKey(row)}@${row.revision}`, {
          reachedWeight: row.reached_weight ?? undefined,
          reachedIterations: row.reached_iterations ?? undefined,
          failedChecks: row.failed_checks ?? undefined,
          lastHaltReason: row.last_halt_reason ?? undefined,
        });
      }
      for (const { ref, revision } of chunk) {
        const before = previousOf.get(canaryKey(ref));
        if (before === undefined) continue;
        const key = `${canaryKey(ref)}@${revision}`;
        result.set(key, { ...result.get(key), previousRevision: before });
      }
    }
    return result;
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
      const key = `${canaryKey(row)}@${revision}`;
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
        decisions: byRollout.get(`${canaryKey(ref)}@${row.revision}`) ?? [],
      };
    });
  }
}

function combineReasons(
  reason: string | undefined,
  lastHalt: string | null,
): string | undefined {
  if (reason && lastHalt && /failed checks threshold/.test(reason))
    return `${reason} (last failed check: ${lastHalt})`;
  return reason ?? lastHalt ?? undefined;
}
