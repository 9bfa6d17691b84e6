import { LoggerService } from '@backstage/backend-plugin-api';
import {
  canaryKey,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionStore } from '../database/DecisionStore';
import { RolloutHistory } from '../database/RolloutHistory';
import { ChangeFeed } from './ChangeFeed';
import { summarizeWithDecisions } from './decisionState';
import { imagesOf } from './GateKeeper';
import { CanaryStore, CanarySummarizer, WatchedCanary } from '../types';

const IN_RELEASE = [
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
];

/** Cluster and backend clocks differ a little; a start this close to the last sighting counts. */
const CLOCK_SLACK_MS = 2_000;

/**
 * Turns the phase transitions the watches see into rollout records: a release phase starts the
 * record of the current revision, Succeeded or Failed ends it. Every replica sees the same
 * transitions and writes the same rows; the writes are idempotent per revision.
 */
export class HistoryRecorder {
  readonly #seen = new Map<
    string,
    { phase?: string; revision?: string; at: number }
  >();
  #open?: Promise<Set<string>>;
  readonly #progress = new Map<
    string,
    { weight: number; iterations: number; failedChecks: number }
  >();
  #unsubscribe?: () => void;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      rollouts: RolloutHistory;
      feed: ChangeFeed;
      logger: LoggerService;
    },
  ) {}

  start() {
    this.#unsubscribe = this.options.store.subscribe(message => {
      // One at a time, so the transitions of a canary are written in the order they happened.
      this.#queue = this.#queue
        .then(() => this.observe(message))
        .catch(error =>
          this.options.logger.warn(
            `Could not record rollout history: ${error}`,
          ),
        );
    });
  }

  stop() {
    this.#unsubscribe?.();
  }

  /** Waits for the writes queued so far (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  async observe(message: StreamMessage): Promise<void> {
    if (message.type !== 'canary-changed' || !message.ref) return;
    const { store, rollouts, feed } = this.options;
    const watched = store.getCanary(message.ref);
    const key = canaryKey(message.ref);
    if (!watched) {
      this.#seen.delete(key);
      return;
    }
    if (!watched.revision) return;
    const phase: string | undefined = watched.object.status?.phase;
    const previous = this.#seen.get(key);
    this.#seen.set(key, { phase, revision: watched.revision, at: Date.now() });
    const running = phase === 'Progressing' || phase === 'WaitingPromotion';
    if (
      previous &&
      previous.phase === phase &&
      previous.revision === watched.revision
    ) {
      if (running) await this.#noteProgress(watched, watched.revision);
      return;
    }
    let changed = false;
    if (phase && IN_RELEASE.includes(phase)) {
      changed = await rollouts.rolloutStarted(
        watched.ref,
        watched.revision,
        imagesOf(watched),
        startOf(watched, previous?.at),
      );
      if (running) await this.#noteProgress(watched, watched.revision);
    } else if (
      phase === 'Failed' &&
      previous?.phase === 'Failed' &&
      previous.revision !== watched.revision
    ) {
      // Not a run: a new release reached a failed canary, and Flagger syncs its lastAppliedSpec
      // before asking to start. The rollout is recorded when it runs.
      return;
    } else if (phase === 'Succeeded' || phase === 'Failed') {
      // After a restart every finished canary is seen once more; only a record left open needs a write.
      if (
        !previous &&
        !(await this.#openAtStart()).has(`${key}@${watched.revision}`)
      )
        return;
      const now = new Date().toISOString();
      const failureReason =
        phase === 'Failed' ? await this.#failureReason(watched) : undefined;
      // Seen for the first time in a terminal phase (a restart): close a record left open, never invent one.
      changed = await rollouts.rolloutEnded(
        watched.ref,
        watched.revision,
        phase === 'Succeeded' ? 'succeeded' : 'failed',
        now,
        {
          failureReason,
          images: imagesOf(watched),
          createIfMissing: previous !== undefined,
        },
      );
    }
    if (changed) feed.publish({ type: 'history-changed', ref: watched.ref });
  }

  /** Keeps the furthest weight, iterations and failed checks, which Flagger resets on failure. */
  async #noteProgress(watched: WatchedCanary, revision: string) {
    const status = watched.object.status ?? {};
    const number = (value: unknown) =>
      typeof value === 'number' && value > 0 ? value : undefined;
    const progress = {
      // WaitingPromotion writes weight 0 and iterations - 1: the run's furthest was already seen.
      weight:
        status.phase === 'Progressing'
          ? number(status.canaryWeight)
          : undefined,
      iterations:
        status.phase === 'Progressing' ? number(status.iterations) : undefined,
      failedChecks: number(status.failedChecks),
    };
    const key = `${canaryKey(watched.ref)}@${revision}`;
    const noted = this.#progress.get(key);
    if (
      noted &&
      (progress.weight ?? 0) <= noted.weight &&
      (progress.iterations ?? 0) <= noted.iterations &&
      (progress.failedChecks ?? 0) <= noted.failedChecks
    )
      return;
    await this.options.rollouts.noteProgress(watched.ref, revision, progress);
    this.#progress.set(key, {
      weight: Math.max(noted?.weight ?? 0, progress.weight ?? 0),
      iterations: Math.max(noted?.iterations ?? 0, progress.iterations ?? 0),
      failedChecks: Math.max(
        noted?.failedChecks ?? 0,
        progress.failedChecks ?? 0,
      ),
    });
    if (this.#progress.size > 10_000) this.#progress.clear();
  }

  /** Rollouts the database had open when this replica started, loaded once. */
  #openAtStart(): Promise<Set<string>> {
    this.#open ??= this.options.rollouts.openRollouts();
    return this.#open;
  }

  async #failureReason(watched: WatchedCanary): Promise<string | undefined> {
    const [summary] = await summarizeWithDecisions(
      this.options.summarizer,
      this.options.decisions,
      [watched],
    );
    const reason = summary?.state.headline.replace(/^Rolled back:?\s*/, '');
    return reason || undefined;
  }
}

/**
 * When the current run began: Flagger's newest "New revision detected" event, else the status'
 * last transition, else now. Seen live (`notBefore`: when this replica last saw the canary
 * before), a time older than that belongs to an earlier run: Kubernetes updates the one
 * deduplicated event in place, and that update may arrive after the new phase.
 */
function startOf(watched: WatchedCanary, notBefore?: number): string {
  const detected = [...watched.events]
    .reverse()
    .find(
      event =>
        typeof event.message === 'string' &&
        event.message.startsWith('New revision detected'),
    );
  const candidates = [
    detected?.lastTimestamp ?? detected?.eventTime ?? detected?.firstTimestamp,
    watched.object.status?.lastTransitionTime,
  ];
  for (const time of candidates) {
    const parsed = time ? Date.parse(time) : NaN;
    if (Number.isNaN(parsed)) continue;
    if (notBefore !== undefined && parsed < notBefore - CLOCK_SLACK_MS)
      continue;
    return new Date(parsed).toISOString();
  }
  return new Date().toISOString();
}
