import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  canaryKey,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { ChangeFeed } from './ChangeFeed';
import { EntityCanaries, principalKey } from './EntityCanaries';
import { LimitExceededError } from './RequestBudget';

/** How often the event stream sends a comment line, so proxies keep an idle stream open. */
export const HEARTBEAT_MS = 15_000;

/** The response headers of a server-sent-events stream that no proxy buffers or caches. */
export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** An entity's stream, checked and ready: `start` writes to the response until its stop is called. */
export interface EntityChanges {
  /** Starts writing the stream's text; returns the function that stops it. */
  start(write: (chunk: string) => void): () => void;
}

/**
 * The push channel (`/stream`) of one entity: which canaries the entity follows, the
 * server-sent-events framing of each change, and the heartbeat. The router only hands it the
 * response's `write`.
 */
export class EntityStream {
  constructor(
    private readonly options: {
      entities: EntityCanaries;
      feed: ChangeFeed;
      /** Default {@link HEARTBEAT_MS}. */
      heartbeatMs?: number;
      /** Open streams allowed per user or service, and in all. */
      maxPerPrincipal: number;
      maxTotal: number;
    },
  ) {}

  readonly #open = new Map<string, number>();
  #total = 0;

  /** Open streams of this replica. */
  get openCount(): number {
    return this.#total;
  }

  /**
   * Checks that the entity may be read and finds its canaries; nothing is written before
   * {@link EntityChanges.start}, so a refusal can still be an error response.
   *
   * @throws the errors of {@link EntityCanaries.selectorFor} (unknown entity, not allowed)
   */
  async open(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<EntityChanges> {
    const { entities, feed } = this.options;
    const heartbeatMs = this.options.heartbeatMs ?? HEARTBEAT_MS;
    const { selector } = await entities.selectorFor(entityRef, credentials);
    const principal = principalKey(credentials);
    const mine = this.#open.get(principal) ?? 0;
    if (this.#total >= this.options.maxTotal) {
      throw new LimitExceededError(
        `This backend already serves ${
          this.#total
        } streams, its limit (progressiveDelivery.limits.streams); try again later.`,
        30,
      );
    }
    if (mine >= this.options.maxPerPrincipal) {
      throw new LimitExceededError(
        `You already have ${mine} open streams, the limit per user (progressiveDelivery.limits.streamsPerPrincipal); close other tabs or try again later.`,
        30,
      );
    }
    this.#open.set(principal, mine + 1);
    this.#total += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#total -= 1;
      const left = (this.#open.get(principal) ?? 1) - 1;
      if (left > 0) this.#open.set(principal, left);
      else this.#open.delete(principal);
    };
    // Which canaries the entity has can change (a canary created later); recompute on a miss.
    const belonging = () => entities.canaryKeysOf(selector);
    return {
      start(write) {
        let followed = belonging();
        write(': connected\n\n');
        const send = (message: StreamMessage) =>
          write(`event: change\ndata: ${JSON.stringify(message)}\n\n`);
        const unsubscribe = feed.subscribe(message => {
          if (message.type === 'cluster-changed') {
            followed = belonging();
            send(message);
            return;
          }
          if (!message.ref) return;
          const key = canaryKey(message.ref);
          if (!followed.has(key)) followed = belonging();
          if (followed.has(key)) send(message);
        });
        const heartbeat = setInterval(
          () => write(': heartbeat\n\n'),
          heartbeatMs,
        );
        return () => {
          clearInterval(heartbeat);
          unsubscribe();
          release();
        };
      },
    };
  }
}
