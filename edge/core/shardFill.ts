import { shardOf } from './ids.js';

/**
 * Fill-first placement of new sessions and WebSockets on the session shards. A shard object that
 * wakes for anything stays resident (and billed) for seconds, and every session's keepalive wakes
 * its shard every 25 s: spread at random, 50 participants kept 14 shards resident. So new work goes
 * to the lowest shard with room, and only a shard holding SHARD_FILL sessions and sockets sends it
 * on to the next; the last shard takes the overflow. The shard decides from its own registry (derived,
 * so it survives eviction); the Worker only remembers where it was last sent, as a hint.
 */

/** The header of a full shard's answer to a WebSocket upgrade: the shard to try instead. */
export const NEXT_SHARD_HEADER = 'x-next-shard';

/** The shard to send new work on to, or undefined when `shard` takes it. */
export function nextShardWhenFull(load: number, fill: number, shard: number, shardCount: number): number | undefined {
  return load >= fill && shard + 1 < shardCount ? shard + 1 : undefined;
}

/** How long the Worker trusts a shard's "full" before it tries the lowest shard again. */
const HINT_MS = 30_000;

/**
 * Where a Worker isolate sends new work: the shard it was last sent on to, for a while, else 0.
 * Losing it (a new isolate) costs only the extra hops until it learns again.
 */
export class PlacementHint {
  private shard = 0;
  private until = 0;

  constructor(private readonly now: () => number = Date.now) {}

  first(shardCount: number): number {
    return this.now() < this.until && this.shard < shardCount ? this.shard : 0;
  }

  /**
   * New work asked of shard `asked` landed on `landed`. When it was sent on, start at `landed` for a
   * while; a hit does not renew the hint, so lower shards that emptied are tried again.
   */
  learn(asked: number, landed: number): void {
    if (landed === asked) return;
    this.shard = landed;
    this.until = this.now() + HINT_MS;
  }
}

/** The Worker isolate's hint (module state lives as long as the isolate). */
export const placementHint = new PlacementHint();

/** A `create` asked of shard `asked`: where its session landed teaches the hint. */
export function learnFromReply(asked: number, reply: { janus?: unknown; data?: unknown }, shardCount: number): void {
  const id = (reply.data as { id?: unknown } | undefined)?.id;
  if (reply.janus === 'success' && typeof id === 'number') placementHint.learn(asked, shardOf(id, shardCount));
}
