import type { RateLimit } from '../core/clientLimits.js';

/** One client address's token bucket, as stored. */
export interface StoredBucket {
  tokens: number;
  at: number;
}

/** What the limiter needs from its Durable Object: its one stored bucket and its alarm. */
export interface TurnLimitHost {
  load(): Promise<StoredBucket | undefined>;
  save(bucket: StoredBucket): Promise<void>;
  /** Drops the bucket (and the object's storage with it). */
  forget(): Promise<void>;
  wakeAt(ms: number): Promise<void>;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSec: number };

/**
 * The TURN credential rate limit of one client address: a token bucket kept in its own object's
 * storage, so that an evicted object grants nothing extra. An alarm deletes the bucket once it would
 * be full again (a full bucket and none are the same), so storage holds only recent clients.
 */
export class TurnRateLimit {
  constructor(
    private readonly limit: RateLimit,
    private readonly host: TurnLimitHost,
  ) {}

  async take(now: number): Promise<TakeResult> {
    const { perSecond } = this.limit;
    if (perSecond <= 0) return { ok: true };
    const b = this.refilled(await this.host.load(), now);
    if (b.tokens < 1) {
      await this.host.save(b);
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
    }
    b.tokens -= 1;
    await this.host.save(b);
    await this.host.wakeAt(now + this.msUntilFull(b));
    return { ok: true };
  }

  /** The alarm: forget a bucket that is full by now, else look again when it will be. */
  async alarm(now: number): Promise<void> {
    const stored = await this.host.load();
    if (!stored) return;
    const b = this.refilled(stored, now);
    if (b.tokens >= this.limit.burst || this.limit.perSecond <= 0) await this.host.forget();
    else await this.host.wakeAt(now + this.msUntilFull(b));
  }

  private refilled(stored: StoredBucket | undefined, now: number): StoredBucket {
    const { perSecond, burst } = this.limit;
    if (!stored) return { tokens: burst, at: now };
    const elapsed = Math.max(0, now - stored.at) / 1000;
    return { tokens: Math.min(burst, stored.tokens + elapsed * perSecond), at: now };
  }

  private msUntilFull(b: StoredBucket): number {
    return Math.ceil(((this.limit.burst - b.tokens) / this.limit.perSecond) * 1000);
  }
}
