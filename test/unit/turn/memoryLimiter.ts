import type { RateLimit } from '../../../edge/core/clientLimits.js';
import { TurnRateLimit, type StoredBucket, type TakeResult } from '../../../edge/turn/turnRateLimit.js';

/** TurnLimiter objects (one per address) over in-memory storage, as workerd would hold them. */
export class MemoryLimiters {
  readonly stored = new Map<string, StoredBucket>();
  readonly alarms = new Map<string, number>();
  /** Calls to `take`: RPCs to limiter objects in workerd. */
  taken = 0;

  constructor(private readonly limit: RateLimit) {}

  private limiter(address: string): TurnRateLimit {
    return new TurnRateLimit(this.limit, {
      load: async () => this.stored.get(address),
      save: async (b) => void this.stored.set(address, { ...b }),
      forget: async () => {
        this.stored.delete(address);
        this.alarms.delete(address);
      },
      wakeAt: async (ms) => void this.alarms.set(address, ms),
    });
  }

  take(address: string, now: number): Promise<TakeResult> {
    this.taken++;
    return this.limiter(address).take(now);
  }

  /** Runs every alarm due by `now`, as workerd would. */
  async runAlarms(now: number): Promise<void> {
    for (const [address, at] of [...this.alarms]) {
      if (at > now) continue;
      this.alarms.delete(address);
      await this.limiter(address).alarm(now);
    }
  }
}
