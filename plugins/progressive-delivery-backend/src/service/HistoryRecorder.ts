import { LoggerService } from '@backstage/backend-plugin-api';
import { StreamMessage } from '@progressive-delivery/plugin-progressive-delivery-common';
import { KubernetesCanaryStore } from '../clusters/KubernetesCanaryStore';
import { DecisionStore } from '../database/DecisionStore';
import { ProgressiveDeliveryService } from './ProgressiveDeliveryService';

const IN_RELEASE = ['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'];

/**
 * Turns the phase transitions the watches see into rollout records. Every replica does the
 * same; the writes are idempotent per revision.
 */
export class HistoryRecorder {
  readonly #lastPhase = new Map<string, string | undefined>();
  #unsubscribe?: () => void;

  constructor(
    private readonly store: KubernetesCanaryStore,
    private readonly decisions: DecisionStore,
    private readonly service: ProgressiveDeliveryService,
    private readonly logger: LoggerService,
  ) {}

  start() {
    this.#unsubscribe = this.store.subscribe(message => {
      this.observe(message).catch(error =>
        this.logger.warn(`Could not record rollout history: ${error}`),
      );
    });
  }

  stop() {
    this.#unsubscribe?.();
  }

  async observe(message: StreamMessage) {
    if (message.type !== 'canary-changed' || !message.ref) return;
    const watched = this.store.getCanary(message.ref);
    if (!watched?.revision) return;
    const key = `${message.ref.cluster}/${message.ref.namespace}/${message.ref.name}`;
    const phase: string | undefined = watched.object.status?.phase;
    const seenBefore = this.#lastPhase.has(key);
    const previous = this.#lastPhase.get(key);
    this.#lastPhase.set(key, phase);
    if (phase === previous) return;
    const now = new Date().toISOString();
    const images = (watched.target?.spec?.template?.spec?.containers ?? []).map((c: any) => c.image);
    if (phase && IN_RELEASE.includes(phase)) {
      await this.decisions.rolloutStarted(watched.ref, watched.revision, images, now);
    } else if (phase === 'Succeeded' || phase === 'Failed') {
      // A rollout that ended while this replica was not watching is closed only if it was started.
      if (!seenBefore) return this.decisions.rolloutEnded(watched.ref, watched.revision, phase === 'Succeeded' ? 'succeeded' : 'failed', now, undefined, images, false);
      const [summary] = await this.service.summarize([watched]);
      const reason = phase === 'Failed' ? summary.state.headline.replace(/^Rolled back:?\s*/, '') || undefined : undefined;
      await this.decisions.rolloutEnded(watched.ref, watched.revision, phase === 'Succeeded' ? 'succeeded' : 'failed', now, reason, images, true);
    }
  }
}
