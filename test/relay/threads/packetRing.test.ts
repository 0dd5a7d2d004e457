import { describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../../relay/threads/packetRecord.js';
import {
  createPacketRing,
  FLAG_CLOSED,
  FLAG_RESYNC,
  PacketRingWriter,
  readPacketRing,
  RING_BYTES,
} from '../../../relay/threads/packetRing.js';

type Seen = Pick<BatchRecord, 'feedId' | 'seq' | 'flags'> & { bytes: number; first: number };

/** Reads the ring (in this thread: waitAsync resolves on the writer's notify) until `stop` is set. */
function reader(ring: ReturnType<typeof createPacketRing>) {
  const seen: Seen[] = [];
  const state = { stop: false };
  const done = readPacketRing(
    ring,
    (r) =>
      seen.push({ feedId: r.feedId, seq: r.seq, flags: r.flags, bytes: r.payload.length, first: r.payload[0] ?? -1 }),
    () => state.stop,
  );
  return { seen, state, done };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('the packet ring to a relay thread', () => {
  it('delivers every packet and stream signal in order, across many wraps of the ring', async () => {
    const ring = createPacketRing();
    const w = new PacketRingWriter(ring);
    const r = reader(ring);
    const sent: Seen[] = [];
    const payload = (i: number) => Buffer.alloc(900 + (i % 400), i & 0xff);
    for (let i = 0; i < 6000; i++) {
      if (i % 1000 === 999) {
        w.signal(3, FLAG_RESYNC);
        sent.push({ feedId: 3, seq: 0, flags: FLAG_RESYNC, bytes: 0, first: -1 });
      }
      const p = payload(i);
      w.append(1 + (i % 2), 0, 1, i & 0xffff, i, i % 5 === 0, false, 0, p);
      sent.push({ feedId: 1 + (i % 2), seq: i & 0xffff, flags: i % 5 === 0 ? 1 : 0, bytes: p.length, first: i & 0xff });
      if (i % 50 === 49) await turn();
    }
    w.signal(2, FLAG_CLOSED);
    sent.push({ feedId: 2, seq: 0, flags: FLAG_CLOSED, bytes: 0, first: -1 });
    await turn();
    await turn();
    expect(6000 * 1300).toBeGreaterThan(5 * RING_BYTES);
    expect(w.dropped).toBe(0);
    expect(r.seen).toEqual(sent);
    r.state.stop = true;
    w.signal(1, FLAG_RESYNC);
    w.flush();
    await r.done;
  });

  it('drops (and counts) what does not fit while the reader is behind, never overwriting unread records', async () => {
    const ring = createPacketRing();
    const w = new PacketRingWriter(ring);
    const p = Buffer.alloc(1200, 1);
    for (let i = 0; i < 1000; i++) w.append(1, 0, 1, i, i, false, false, 0, p);
    const fit = Math.floor(RING_BYTES / 1216);
    expect(w.dropped).toBe(1000 - fit);
    const r = reader(ring);
    await turn();
    await turn();
    expect(r.seen.map((s) => s.seq)).toEqual(Array.from({ length: fit }, (_, i) => i));
    r.state.stop = true;
    w.append(1, 0, 1, 0, 0, false, false, 0, p);
    w.flush();
    await r.done;
  });
});
