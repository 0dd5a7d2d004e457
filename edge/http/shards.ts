import type { EdgeConfig } from '../config.js';
import { randomShard, shardName, shardOf } from '../coordinator/ids.js';
import type { Env } from '../env.js';

/** Stubs for the coordinators; a session id names its shard, so routing needs no lookup. */
export function shardStub(env: Env, shard: number) {
  return env.SESSION_SHARD.get(env.SESSION_SHARD.idFromName(shardName(shard)));
}

export function coreStub(env: Env) {
  return env.CORE.get(env.CORE.idFromName('core'));
}

/** The shard a sessionless request goes to: the one a requested `create` id names, else any. */
export function shardForRequest(config: EdgeConfig, body: Record<string, unknown>, sessionId?: number): number {
  if (sessionId !== undefined && sessionId > 0) return shardOf(sessionId, config.shardCount);
  const id = body.id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id > 0) return shardOf(id, config.shardCount);
  return randomShard(config.shardCount);
}

export function allShards(env: Env, config: EdgeConfig) {
  return Array.from({ length: config.shardCount }, (_, i) => shardStub(env, i));
}
