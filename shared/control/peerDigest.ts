/**
 * An order-independent digest of a set of peer keys (`${sessionId}:${handleId}`). The relay sends the
 * digest of its peers with every heartbeat and the edge's link compares it with the digest of the
 * peers it tracks: equal sets cost a few bytes a second, and only a difference asks for the list.
 */
export function peerDigest(keys: Iterable<string>): string {
  let count = 0;
  let a = 0;
  let b = 0;
  for (const key of keys) {
    count++;
    const h = fnv1a(key);
    // two sums of differently mixed hashes: a set differing by one key changes both
    a = (a + h) >>> 0;
    b = (b + mix(h ^ 0x9e3779b9)) >>> 0;
  }
  return `${count}-${hex(a)}${hex(b)}`;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finalizer. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
