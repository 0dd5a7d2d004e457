/**
 * Simulcast per subscriber on the relay: VP8 temporal layer filtering on a simulcast leg (continuous
 * sequence numbers), the layer notifications (`sfu.layer`, Janus's `substream` / `temporal` events),
 * and Janus's `fallback`: when the selected substream goes silent for that long while a lower one
 * flows, the leg falls back one layer at a time, and climbs back once the better layer returns.
 *
 * The publisher lists its rids "h;m;l": its layer index 0 is "h" (the relay's substream 2), 1 is "m"
 * (substream 1), 2 is "l" (substream 0). Sources are recorded as `${publisher}:${publisher layer}`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { waitFor } from '../support/client.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { PubClient, publish, seqStats, sleep, SubClient, subscribe } from './support.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 7600;
const ROOM = 77;
const [H, M, L] = [0, 1, 2];

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '42600',
    RELAY_ICE_PORT_MAX: '42699',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

/** Every sequence-number step of a series is +1 (mod 2^16). */
function consecutive(seqs: number[]): boolean {
  for (let i = 1; i < seqs.length; i++) if (((seqs[i]! - seqs[i - 1]! + 0x10000) & 0xffff) !== 1) return false;
  return true;
}

const layerEvents = (handle: number) => link.eventsFor(SESSION, handle).filter((e) => e.kind === 'sfu.layer');

describe('VideoRoom SFU simulcast per subscriber', () => {
  it('forwards the selected substream and temporal layer with continuous sequence numbers, and says so', async () => {
    const pub = new PubClient(41, { audio: false, rids: ['h', 'm', 'l'], temporal: true });
    const sub = new SubClient();
    try {
      const p = await publish(link, SESSION, pub);
      const s = await subscribe(
        link,
        SESSION,
        sub,
        [{ feedId: 41, feedKey: p.key, feedMid: p.streams[0]!.mid, type: 'video', substream: 1, temporal: 0 }],
        { room: ROOM },
      );
      const mid = s.streams[0]!.mid;
      pub.start(100);
      await waitFor(() => sub.rec(mid).packets >= 20, 5000, 'substream 1, temporal 0');
      let r = sub.rec(mid);
      expect(new Set(r.sources)).toEqual(new Set([`41:${M}`]));
      expect(new Set(r.tids)).toEqual(new Set([0]));
      expect(consecutive(r.seqs), 'dropped temporal layers leave no hole').toBe(true);
      await waitFor(() => layerEvents(s.handle).length >= 1, 2000, 'layer event');
      expect(layerEvents(s.handle)).toEqual([{ kind: 'sfu.layer', room: ROOM, mid, substream: 1, temporal: 0 }]);

      // every temporal layer again, same substream
      const before = r.packets;
      await link.call({ op: 'sfu.configure', sessionId: SESSION, handleId: s.handle, streams: [{ mid, temporal: 2 }] });
      await waitFor(() => sub.rec(mid).packets >= before + 40, 5000, 'temporal 2');
      r = sub.rec(mid);
      expect(new Set(r.tids.slice(before))).toEqual(new Set([0, 1, 2]));
      expect(new Set(r.sources)).toEqual(new Set([`41:${M}`]));
      expect(consecutive(r.seqs)).toBe(true);
      await waitFor(
        () => layerEvents(s.handle).some((e) => (e as { temporal?: number }).temporal === 2),
        2000,
        'temporal event',
      );
      expect(layerEvents(s.handle).at(-1)).toEqual({ kind: 'sfu.layer', room: ROOM, mid, temporal: 2 });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      pub.stop();
      await pub.close();
      await sub.close();
    }
  });

  it('falls back to a lower substream after `fallback` µs without packets from the selected one, and back up when it returns', async () => {
    const pub = new PubClient(42, { audio: false, rids: ['h', 'm', 'l'] });
    const sub = new SubClient();
    try {
      const p = await publish(link, SESSION, pub);
      const s = await subscribe(
        link,
        SESSION,
        sub,
        [{ feedId: 42, feedKey: p.key, feedMid: p.streams[0]!.mid, type: 'video', fallback: 800_000 }],
        { room: ROOM },
      );
      const mid = s.streams[0]!.mid;
      const from = (layer: number, since: number) =>
        sub
          .rec(mid)
          .sources.slice(since)
          .filter((x) => x === `42:${layer}`).length;
      pub.start(100);
      await waitFor(() => from(H, 0) >= 20, 5000, 'the highest substream');

      // "h" stops: nothing for 800 ms, then "m"
      pub.silenced.add(H);
      const stoppedAt = Date.now();
      const n0 = sub.rec(mid).sources.length;
      await sleep(500);
      expect(sub.rec(mid).sources.length - n0, 'no fallback before 800 ms').toBeLessThanOrEqual(2);
      await waitFor(() => from(M, n0) >= 10, 3000, 'fallback to "m"');
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(800);
      expect(from(L, n0)).toBe(0);
      await waitFor(
        () => layerEvents(s.handle).some((e) => (e as { substream?: number }).substream === 1),
        2000,
        'substream 1 event',
      );

      // "m" stops too: one more layer down
      pub.silenced.add(M);
      const n1 = sub.rec(mid).sources.length;
      await waitFor(() => from(L, n1) >= 10, 4000, 'fallback to "l"');
      await waitFor(
        () => layerEvents(s.handle).some((e) => (e as { substream?: number }).substream === 0),
        2000,
        'substream 0 event',
      );

      // "h" is back: the leg climbs back to it (a keyframe is asked for)
      pub.silenced.delete(H);
      const n2 = sub.rec(mid).sources.length;
      await waitFor(() => from(H, n2) >= 10, 4000, 'back to "h"');
      const r = sub.rec(mid);
      const tail = r.sources.slice(r.sources.indexOf(`42:${H}`, n2));
      expect(tail.filter((x) => x !== `42:${H}`)).toEqual([]);
      const st = seqStats(r.seqs);
      expect(st.maxGap).toBeLessThanOrEqual(2);
      expect(st.backwards).toBe(0);
      expect(r.ssrcs.size).toBe(1);
      await waitFor(() => layerEvents(s.handle).length >= 4, 2000, 'substream 2 event');
      expect(layerEvents(s.handle).map((e) => (e as { substream?: number }).substream)).toEqual([2, 1, 0, 2]);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      pub.stop();
      await pub.close();
      await sub.close();
    }
  });
});
