import { CanaryRef } from '@progressive-delivery/plugin-progressive-delivery-common';
import { createHash } from 'node:crypto';
import { Knex } from 'knex';
import { canaryColumns, NOTICES } from './tables';

/**
 * The notifications sent: one row per canary, revision and state, so that of all replicas
 * watching the same canary exactly one sends it (the one whose insert the unique index lets in).
 */
export class NoticeLog {
  constructor(private readonly db: Knex) {}

  /**
   * Claims the right to send the notice; true for exactly one caller per canary, revision and
   * state, until the row is released or pruned.
   */
  async claim(
    ref: CanaryRef,
    revision: string,
    state: string,
    at: string,
  ): Promise<boolean> {
    const row = {
      ...canaryColumns(ref),
      revision_hash: hashOf(revision),
      state,
    };
    try {
      await this.db(NOTICES).insert({ ...row, sent_at: at });
      return true;
    } catch (error) {
      // Every database reports a unique violation its own way; the row being there says it.
      if (await this.db(NOTICES).where(row).first()) return false;
      throw error;
    }
  }

  /** Gives the claim back when sending failed, so a later change tries again. */
  async release(ref: CanaryRef, revision: string, state: string) {
    await this.db(NOTICES)
      .where({ ...canaryColumns(ref), revision_hash: hashOf(revision), state })
      .delete();
  }

  /** Deletes rows of notices sent before `before` (ISO); returns how many. */
  async pruneBefore(before: string): Promise<number> {
    return this.db(NOTICES).where('sent_at', '<', before).delete();
  }
}

function hashOf(revision: string): string {
  return createHash('sha256').update(revision).digest('hex');
}
