import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  canaryKey,
  CanaryRef,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { DecisionStore } from '../database/DecisionStore';
import { NoticeLog } from '../database/NoticeLog';
import { RolloutHistory } from '../database/RolloutHistory';
import { releaseNotice } from '../summary/attention';
import { CanaryStore, CanarySummarizer } from '../types';
import { CanaryOwners } from './CanaryOwners';
import { summarizeWithDecisions } from './decisionState';
import { imagesOf } from './GateKeeper';

/** The Backstage notifications topic of the plugin's notifications. */
export const NOTIFICATION_TOPIC = 'progressive-delivery';

/**
 * Tells the owners of the entities a canary belongs to when its release waits for them at a gate
 * the portal answers, and when it was rolled back: one Backstage notification per canary,
 * revision and state. Every replica sees the same changes; the notice log lets one of them send.
 */
export class ReleaseNotifier {
  #unsubscribe?: () => void;
  #queue: Promise<void> = Promise.resolve();
  /** What this replica already handled, so an unchanged state costs no database round trip. */
  readonly #handled = new Map<string, string>();
  /**
   * The revision and images each canary had when this replica first saw it Failed. The next
   * release reaches a failed canary's deployment first, then Flagger records its revision
   * (status.lastAppliedSpec), while the status still reads Failed from the release before:
   * neither is a rollback of the next release, which has not run yet.
   */
  readonly #failedAt = new Map<string, string>();

  constructor(
    private readonly options: {
      store: CanaryStore;
      summarizer: CanarySummarizer;
      decisions: DecisionStore;
      rollouts: RolloutHistory;
      notices: NoticeLog;
      owners: CanaryOwners;
      notifications: Pick<NotificationService, 'send'>;
      logger: LoggerService;
      /** Path of the plugin's entity tab below the entity page, e.g. "progressive-delivery". */
      tabPath: string;
      now?: () => Date;
    },
  ) {}

  start() {
    this.#unsubscribe = this.options.store.subscribe(message => {
      this.#queue = this.#queue
        .then(() => this.observe(message))
        .catch(error =>
          this.options.logger.warn(
            `Could not send a release notification: ${error}`,
          ),
        );
    });
  }

  stop() {
    this.#unsubscribe?.();
  }

  /** Waits for the notifications queued so far (tests, shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  async observe(message: StreamMessage): Promise<void> {
    if (message.type !== 'canary-changed' || !message.ref) return;
    const { store, summarizer, decisions, rollouts, notices } = this.options;
    const watched = store.getCanary(message.ref);
    const key = canaryKey(message.ref);
    // The revision key stays the previous release's for a while (Waiting, and Failed until
    // Flagger records the next one): with the images it tells releases apart.
    const release = watched
      ? `${watched.revision}>${imagesOf(watched).join(',')}`
      : undefined;
    if (watched?.object?.status?.phase !== 'Failed') {
      this.#failedAt.delete(key);
    } else if (!this.#failedAt.has(key)) {
      this.#failedAt.set(key, release!);
      if (this.#failedAt.size > 10_000) this.#failedAt.clear();
    } else if (this.#failedAt.get(key) !== release) {
      return;
    }
    if (!watched?.revision) {
      this.#handled.delete(key);
      return;
    }
    const [summary] = await summarizeWithDecisions(
      summarizer,
      decisions,
      [watched],
      rollouts,
    );
    const notice = releaseNotice(summary, this.options.now?.() ?? new Date());
    if (!notice) {
      this.#handled.delete(key);
      return;
    }
    const revision =
      notice.state === 'waiting-rollout-approval' ? release! : watched.revision;
    const handled = `${revision}#${notice.state}`;
    if (this.#handled.get(key) === handled) return;
    this.#handled.set(key, handled);
    if (this.#handled.size > 10_000) this.#handled.clear();

    const entityRefs = await this.options.owners.entityRefsOf(watched.ref);
    if (entityRefs.length === 0) {
      // No entity (yet: the catalog may still be loading) selects it; a later change asks again.
      this.#handled.delete(key);
      return;
    }
    const at = new Date().toISOString();
    if (!(await notices.claim(watched.ref, revision, notice.state, at))) return;
    try {
      await this.options.notifications.send({
        recipients: { type: 'entity', entityRef: entityRefs },
        payload: {
          title: notice.title,
          description: notice.description,
          link: this.#tabLink(entityRefs[0], watched.ref),
          severity: notice.severity,
          topic: NOTIFICATION_TOPIC,
        },
      });
    } catch (error) {
      await notices.release(watched.ref, revision, notice.state);
      this.#handled.delete(key);
      throw error;
    }
  }

  /** The entity's tab, scrolled to the canary's row (`canaryRowId` in the frontend). */
  #tabLink(entityRef: string, ref: CanaryRef): string {
    const { kind, namespace, name } = parseEntityRef(entityRef);
    const tab = this.options.tabPath.replace(/^\/+|\/+$/g, '');
    const row = `pd-row-${canaryKey(ref).replace(/[^a-zA-Z0-9-]/g, '-')}`;
    return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
      kind.toLocaleLowerCase('en-US'),
    )}/${encodeURIComponent(name)}/${tab}#${encodeURIComponent(row)}`;
  }
}
