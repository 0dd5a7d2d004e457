/**
 * Session ids are random safe integers whose residue modulo the shard count names the coordinator
 * that owns them, so any Worker routes a request without a lookup. Handle ids are random safe
 * integers unique inside their session.
 */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Random words drawn from the CSPRNG in blocks, so an id costs no system call. */
const pool = new Uint32Array(1024);
let next = pool.length;

function randomWord(): number {
  if (next >= pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  return pool[next++] ?? 0;
}

export function randomSafeInt(): number {
  // 21 high bits + 32 low bits = 53 bits; never 0.
  const v = (randomWord() & 0x1fffff) * 0x100000000 + randomWord();
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

export function shardName(shard: number): string {
  return `shard-${shard}`;
}

const positiveId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * The shard a request names: its session's, else (a `create` asking for an id) that id's. Undefined
 * when it names none: any shard serves it.
 */
export function namedShard(raw: Record<string, unknown>, shardCount: number): number | undefined {
  if (positiveId(raw.session_id)) return shardOf(raw.session_id, shardCount);
  if (positiveId(raw.id)) return shardOf(raw.id, shardCount);
  return undefined;
}
