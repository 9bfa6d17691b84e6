import { createHash } from 'node:crypto';
import {
  canaryKey,
  CanaryListResponse,
  CanarySelector,
  StreamMessage,
} from '@progressive-delivery/plugin-progressive-delivery-common';

/** How long an entity's answer is shared when nothing it shows changed (metrics, "ago" texts). */
export const RECENT_SUMMARY_TTL_MS = 1_000;
const MAX_ENTRIES = 1_000;

interface Entry {
  answer: CanaryListResponse;
  at: number;
  canaries: Set<string>;
}

/**
 * An entity's canary list, made once and shared by everyone allowed to read it until anything it
 * shows changes (the change feed: the clusters, a decision, a gate answer, a history record, a
 * decision on another replica) or a second has passed. Two hundred people on one release page
 * then cost one summary, not two hundred. Callers check the read permission before asking.
 */
export class RecentSummaries {
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Promise<CanaryListResponse>>();
  /** Bumped on every change, so an answer made while something changed is not kept. */
  #generation = 0;
  #unsubscribe?: () => void;

  constructor(
    private readonly options: {
      feed: {
        subscribe(listener: (message: StreamMessage) => void): () => void;
      };
      /** The keys of the canaries a selector selects now. */
      selectedKeys: (selector: CanarySelector) => Set<string>;
      ttlMs?: number;
      now?: () => number;
    },
  ) {}

  start() {
    this.#unsubscribe ??= this.options.feed.subscribe(message =>
      this.#forget(message),
    );
  }

  stop() {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#entries.clear();
  }

  /** The entity's answer: a shared recent one, or `make`'s, shared while it is being made. */
  async get(
    entityRef: string,
    make: () => Promise<CanaryListResponse>,
  ): Promise<CanaryListResponse> {
    if (!this.#unsubscribe) return make();
    const now = this.#now();
    const entry = this.#entries.get(entityRef);
    if (entry && now - entry.at < (this.options.ttlMs ?? RECENT_SUMMARY_TTL_MS))
      return entry.answer;
    let pending = this.#pending.get(entityRef);
    if (!pending) {
      pending = this.#make(entityRef, make).finally(() =>
        this.#pending.delete(entityRef),
      );
      this.#pending.set(entityRef, pending);
    }
    return pending;
  }

  async #make(
    entityRef: string,
    make: () => Promise<CanaryListResponse>,
  ): Promise<CanaryListResponse> {
    const generation = this.#generation;
    const at = this.#now();
    const answer = await make();
    if (generation === this.#generation) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
      this.#entries.set(entityRef, {
        answer,
        at,
        canaries: new Set(answer.items.map(item => canaryKey(item.ref))),
      });
    }
    return answer;
  }

  #forget(message: StreamMessage) {
    this.#generation++;
    if (!message.ref) {
      this.#entries.clear();
      return;
    }
    const key = canaryKey(message.ref);
    for (const [entityRef, entry] of this.#entries) {
      // A canary new to the entity is in no answer yet: ask the selection again (as the
      // entity's stream does), so the refetch its browser makes is answered afresh.
      if (
        entry.canaries.has(key) ||
        this.options.selectedKeys(entry.answer.selector).has(key)
      ) {
        this.#entries.delete(entityRef);
      }
    }
  }

  #now() {
    return this.options.now?.() ?? Date.now();
  }
}

/** An answer as sent: its JSON bytes and their entity tag. */
export interface EncodedAnswer {
  body: Buffer;
  etag: string;
}

const encoded = new WeakMap<object, EncodedAnswer>();

/**
 * An answer's JSON bytes and entity tag, made once however many readers it is shared with (an
 * entity with a hundred canaries is a few hundred kilobytes: encoding, copying and hashing
 * them per request cost ten times the floor's CPU under load).
 */
export function encodedOnce(answer: object): EncodedAnswer {
  let known = encoded.get(answer);
  if (!known) {
    const body = Buffer.from(JSON.stringify(answer));
    const hash = createHash('sha1').update(body).digest('base64url');
    known = { body, etag: `W/"${body.length.toString(16)}-${hash}"` };
    encoded.set(answer, known);
  }
  return known;
}
