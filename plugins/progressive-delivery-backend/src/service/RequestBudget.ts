/**
 * A limit a caller went past; the router answers it with 429 and Retry-After. (Backstage's
 * error handler has no 429 error, and would answer an unknown error with 500.)
 */
export class LimitExceededError extends Error {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
    this.name = 'LimitExceededError';
  }
}

/** Past this many keys, buckets that have refilled completely are forgotten. */
const MAX_KEYS = 10_000;

/**
 * A token bucket per key: `perMinute` calls a minute, refilled continuously, with bursts of up
 * to `perMinute`. Backstage's own rate limit (`backend.rateLimit.plugin.<id>`) counts per IP
 * over the whole plugin and skips localhost; this one counts per user or per canary on the
 * routes that write.
 */
export class RequestBudget {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    /** The config key of `perMinute`, named in the refusal. */
    private readonly configKey: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one call from `key`'s budget; throws {@link LimitExceededError} when it is spent. */
  take(key: string, what: string): void {
    const now = this.now();
    const ratePerMs = this.perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? {
      tokens: this.perMinute,
      at: now,
    };
    bucket.tokens = Math.min(
      this.perMinute,
      bucket.tokens + (now - bucket.at) * ratePerMs,
    );
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.#buckets.set(key, bucket);
      const seconds = Math.ceil((1 - bucket.tokens) / ratePerMs / 1000);
      throw new LimitExceededError(
        `Too many ${what}: at most ${this.perMinute} a minute (${this.configKey}); try again in ${seconds}s.`,
        seconds,
      );
    }
    bucket.tokens -= 1;
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_KEYS) this.#forgetFull(now);
  }

  #forgetFull(now: number) {
    const ratePerMs = this.perMinute / 60_000;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * ratePerMs >= this.perMinute)
        this.#buckets.delete(key);
    }
  }
}
