import { describe, expect, it } from 'vitest';
import type { Env } from '../../../edge/env.js';
import { Stubs } from '../../../edge/stubs.js';

/**
 * A namespace that counts how often ids are derived. Stubs are plain records of the id they were
 * made with, so that a test sees which id each stub got.
 */
function countingNamespace() {
  const calls = { fromName: 0, fromString: 0 };
  const ns = {
    calls,
    idFromName(name: string) {
      calls.fromName++;
      return { name, toString: () => `id(${name})` };
    },
    idFromString(s: string) {
      calls.fromString++;
      if (!/^[0-9a-f]{64}$/.test(s)) throw new TypeError('Invalid Durable Object ID');
      return { name: s, toString: () => s };
    },
    get(id: { name: string }) {
      return { id };
    },
  };
  return ns;
}

function stubsOver() {
  const shards = countingNamespace();
  const core = countingNamespace();
  const links = countingNamespace();
  const env = { SESSION_SHARD: shards, CORE: core, RELAY_LINK: links } as unknown as Env;
  return { stubs: new Stubs(env, 16), shards, core, links, env };
}

describe('Stubs', () => {
  it('derives a name’s id once per namespace, however many stubs are made, in any Stubs of the isolate', () => {
    const { stubs, shards, core, env } = stubsOver();
    const ids = [stubs.shard(3), stubs.shard(3), stubs.shardOfSession(16 * 7 + 3), new Stubs(env, 16).shard(3)].map(
      (s) => (s as unknown as { id: { name: string } }).id.name,
    );
    expect(new Set(ids)).toEqual(new Set([ids[0]]));
    expect(shards.calls.fromName).toBe(1);
    stubs.shard(4);
    expect(shards.calls.fromName).toBe(2);
    stubs.core();
    stubs.core();
    expect(core.calls.fromName).toBe(1);
  });

  it('parses a link id once; a bad one throws every time and is not kept', () => {
    const { stubs, links } = stubsOver();
    const good = 'ab'.repeat(32);
    stubs.relayLink(good);
    stubs.relayLink(good);
    expect(links.calls.fromString).toBe(1);
    expect(() => stubs.relayLink('nope')).toThrow(TypeError);
    expect(() => stubs.relayLink('nope')).toThrow(TypeError);
    expect(links.calls.fromString).toBe(3);
  });
});
