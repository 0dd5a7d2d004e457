/**
 * Session ids are random safe integers whose residue modulo the shard count names the coordinator
 * that owns them, so any Worker routes a request without a lookup. Handle ids are random safe
 * integers unique inside their session.
 */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function randomSafeInt(): number {
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  // 21 high bits + 32 low bits = 53 bits; never 0.
  const v = (a[0]! & 0x1fffff) * 0x100000000 + a[1]!;
  return v === 0 ? 1 : v;
}

export function shardOf(sessionId: number, shardCount: number): number {
  return sessionId % shardCount;
}

export function newSessionId(shard: number, shardCount: number): number {
  const slots = Math.floor((MAX_SAFE - shard) / shardCount);
  const k = randomSafeInt() % slots;
  const id = k * shardCount + shard;
  return id === 0 ? shardCount : id;
}

export function randomShard(shardCount: number): number {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0]! % shardCount;
}

export function shardName(shard: number): string {
  return `shard-${shard}`;
}
