import { JanusApiError, JanusError } from '../../shared/janus/errors.js';

/** A token bucket's shape: `burst` tokens at most, refilled at `perSecond` (0 = no limit). */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** What one client may hold and send (edge/config.ts); 0 = no limit. */
export interface ClientLimits {
  peersPerSession: number;
  peersPerAddress: number;
  sessionOffers: RateLimit;
  addressOffers: RateLimit;
}

export const noClientLimits: ClientLimits = {
  peersPerSession: 0,
  peersPerAddress: 0,
  sessionOffers: { perSecond: 0, burst: 1 },
  addressOffers: { perSecond: 0, burst: 1 },
};

/** A refusal by a limit: the core's 490 with a reason saying which limit (Janus has no closer core code). */
export const limitError = (reason: string) => new JanusApiError(JanusError.UNKNOWN, reason);

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key, in memory. A bucket refills completely within `burst / perSecond` seconds, so
 * losing them (an evicted object) grants at most one extra burst, and only to a client that was idle
 * long enough for the object to be evicted: a refilled bucket is what it would have had anyway.
 */
export class TokenBuckets<K> {
  private readonly buckets = new Map<K, Bucket>();

  constructor(private readonly limit: RateLimit) {}

  /** Takes a token for `key`; false (and nothing taken) when its bucket is empty. */
  take(key: K, now: number): boolean {
    const { perSecond, burst } = this.limit;
    if (perSecond <= 0) return true;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return false;
    }
    b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.forgetFull(now);
    return true;
  }

  /** Buckets that refilled are the same as none: dropping them bounds memory. */
  private forgetFull(now: number): void {
    const { perSecond, burst } = this.limit;
    for (const [k, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
  }

  forget(key: K): void {
    this.buckets.delete(key);
  }
}
