import { describe, expect, it } from 'vitest';
import { nextShardWhenFull, PlacementHint } from '../../../edge/core/shardFill.js';

describe('fill-first shard placement', () => {
  it('a shard takes new work until it holds the fill, then names the next; the last takes the overflow', () => {
    expect(nextShardWhenFull(0, 3, 0, 4)).toBeUndefined();
    expect(nextShardWhenFull(2, 3, 0, 4)).toBeUndefined();
    expect(nextShardWhenFull(3, 3, 0, 4)).toBe(1);
    expect(nextShardWhenFull(9, 3, 2, 4)).toBe(3);
    expect(nextShardWhenFull(1000, 3, 3, 4)).toBeUndefined();
    expect(nextShardWhenFull(5, 3, 0, 1)).toBeUndefined();
  });

  it('the Worker starts where it was last sent on to, for 30 s, then tries the lowest shard again', () => {
    let now = 1_000;
    const hint = new PlacementHint(() => now);
    expect(hint.first(16)).toBe(0);
    hint.learn(0, 0);
    expect(hint.first(16)).toBe(0);
    hint.learn(0, 2);
    expect(hint.first(16)).toBe(2);
    now += 20_000;
    // a hit on the hinted shard does not renew it
    hint.learn(2, 2);
    expect(hint.first(16)).toBe(2);
    now += 10_001;
    expect(hint.first(16)).toBe(0);
    // a hint beyond a smaller shard count (a redeploy) is not used
    hint.learn(0, 5);
    expect(hint.first(4)).toBe(0);
  });
});
