import { DurableObject } from 'cloudflare:workers';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { meterDurableObject } from '../metering/meterDurableObject.js';
import type { TurnLimiterApi } from './turnLimiterApi.js';
import { TurnRateLimit, type StoredBucket, type TakeResult } from './turnRateLimit.js';

const BUCKET = 'bucket';

/** One per client address (named by it): wires storage and the alarm to {@link TurnRateLimit}. */
export class TurnLimiter extends DurableObject<Env> implements TurnLimiterApi {
  private readonly limit: TurnRateLimit;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'TurnLimiter');
    const storage = ctx.storage;
    this.limit = new TurnRateLimit(loadConfig(env).turn.rateLimit, {
      load: () => storage.get<StoredBucket>(BUCKET),
      save: (bucket) => storage.put(BUCKET, bucket),
      forget: async () => {
        await storage.deleteAlarm();
        await storage.deleteAll();
      },
      wakeAt: (ms) => storage.setAlarm(ms),
    });
  }

  take(): Promise<TakeResult> {
    return this.limit.take(Date.now());
  }

  override async alarm(): Promise<void> {
    await this.limit.alarm(Date.now());
  }
}
