import type { TakeResult } from './turnRateLimit.js';

/** What a client address's TURN limiter object answers over RPC (`TurnLimiter` implements it). */
export interface TurnLimiterApi extends Rpc.DurableObjectBranded {
  take(): Promise<TakeResult>;
}
