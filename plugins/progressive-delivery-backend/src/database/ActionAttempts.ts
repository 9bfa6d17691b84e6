import {
  CanaryAction,
  CanaryRef,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { Knex } from 'knex';
import { ATTEMPTS, canaryColumns } from './tables';

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

interface AttemptRow {
  id: number | string;
  cluster: string;
  namespace: string;
  name: string;
  revision: string | null;
  action: CanaryAction;
  actor: string;
  comment: string | null;
  outcome: AttemptOutcome;
  message: string | null;
  at: string;
}

const toAttempt = (row: AttemptRow): ActionAttempt => ({
  ref: canaryColumns(row),
  revision: row.revision ?? undefined,
  action: row.action,
  actor: row.actor,
  comment: row.comment ?? undefined,
  outcome: row.outcome,
  message: row.message ?? undefined,
  at: row.at,
});

/**
 * Every action tried on a canary, refused ones included. The table doubles as the replicas'
 * change log: a replica follows the others by reading the rows after the last id it saw.
 */
export class ActionAttempts {
  constructor(private readonly db: Knex) {}

  /** Deletes attempts recorded before `before` (ISO); returns how many. */
  async pruneBefore(before: string): Promise<number> {
    return this.db(ATTEMPTS).where('at', '<', before).delete();
  }

  async recordAttempt(attempt: Omit<ActionAttempt, 'at'>) {
    await this.db(ATTEMPTS).insert({
      ...canaryColumns(attempt.ref),
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
    const rows: AttemptRow[] = await this.db(ATTEMPTS)
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit);
    return {
      lastId: rows.length ? Number(rows[rows.length - 1].id) : afterId,
      refs: rows.map(row => toAttempt(row).ref),
    };
  }

  /** Every action tried on a canary, oldest first. */
  async attempts(ref: CanaryRef): Promise<ActionAttempt[]> {
    const rows: AttemptRow[] = await this.db(ATTEMPTS)
      .where(canaryColumns(ref))
      .orderBy('id', 'asc');
    return rows.map(toAttempt);
  }
}
