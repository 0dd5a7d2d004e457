import { decodeRecord, emptyRecord, RECORD_HEADER, type BatchRecord } from './packetRecord.js';

/**
 * Publisher packets on their way to a relay thread through a SharedArrayBuffer ring (one per
 * thread): the main thread writes each packet once (the record format of packetRecord.ts, padded to
 * 16 bytes), publishes the write position once per turn of the event loop and wakes the thread with
 * `Atomics.notify`; the thread, parked in `Atomics.waitAsync`, copies what is new out in one piece
 * (legs keep payload views in their NACK history, and the ring is overwritten) and hands it on.
 * bench/fanout/threadHandoff.ts measured this wake-up at ~40 µs of CPU against ~70 µs for a
 * transferred buffer posted as a message. Resync and close of a stream travel as records, in order
 * with its packets. A full ring drops the packet (counted): a thread that far behind would drop
 * anyway, and the main thread never waits for it.
 */
export const RING_BYTES = 1 << 20;
/** Int32 slots of the control array: published write position, read position (byte counters mod 2^32). */
const WRITE = 0;
const READ = 1;
/** feedId 0 (ids start at 1): the rest of the ring up to its end is padding; go on at its start. */
const WRAP = 0;
/** Flags beside marker (1) and keyframe (2): a stream's resync, a stream's close. */
export const FLAG_RESYNC = 4;
export const FLAG_CLOSED = 8;

const padded = (n: number) => (n + 15) & ~15;

/** Node 20 has `Atomics.waitAsync`; the TypeScript lib this project targets does not declare it yet. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface PacketRing {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export function createPacketRing(): PacketRing {
  return { data: new SharedArrayBuffer(RING_BYTES), control: new SharedArrayBuffer(8) };
}

export class PacketRingWriter {
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  private readonly control: Int32Array;
  /** Written, not yet published. */
  private write = 0;
  private scheduled = false;
  dropped = 0;

  constructor(ring: PacketRing) {
    this.view = new DataView(ring.data);
    this.bytes = new Uint8Array(ring.data);
    this.control = new Int32Array(ring.control);
  }

  append(
    feedId: number,
    layer: number,
    layers: number,
    seq: number,
    ts: number,
    marker: boolean,
    key: boolean,
    tid: number,
    payload: Buffer,
  ): void {
    this.record(feedId, layer, layers, seq, ts, (marker ? 1 : 0) | (key ? 2 : 0), tid, payload);
  }

  /** A stream event in order with its packets. */
  signal(feedId: number, flag: typeof FLAG_RESYNC | typeof FLAG_CLOSED): void {
    this.record(feedId, 0, 1, 0, 0, flag, 0, undefined);
  }

  /** Publishes what was written and wakes the thread. */
  flush(): void {
    this.scheduled = false;
    if (Atomics.load(this.control, WRITE) === this.write) return;
    Atomics.store(this.control, WRITE, this.write);
    Atomics.notify(this.control, WRITE);
  }

  private record(
    feedId: number,
    layer: number,
    layers: number,
    seq: number,
    ts: number,
    flags: number,
    tid: number,
    payload: Buffer | undefined,
  ): void {
    const length = payload?.length ?? 0;
    const need = padded(RECORD_HEADER + length);
    let at = this.write & (RING_BYTES - 1);
    const skip = at + need > RING_BYTES ? RING_BYTES - at : 0;
    const used = (this.write - Atomics.load(this.control, READ)) >>> 0;
    if (used + skip + need > RING_BYTES) {
      this.dropped++;
      return;
    }
    const v = this.view;
    if (skip) {
      v.setUint32(at, WRAP);
      this.write = (this.write + skip) | 0;
      at = 0;
    }
    v.setUint32(at, feedId);
    v.setUint16(at + 4, seq);
    v.setUint16(at + 6, length);
    v.setUint32(at + 8, ts);
    v.setUint8(at + 12, layer);
    v.setUint8(at + 13, layers);
    v.setUint8(at + 14, flags);
    v.setUint8(at + 15, tid);
    if (payload) this.bytes.set(payload, at + RECORD_HEADER);
    this.write = (this.write + need) | 0;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

/**
 * The thread's side: waits for the writer, copies each new stretch out and reads its records,
 * until `stopped()`; never keeps the thread alive by itself (its MessagePort does).
 */
export async function readPacketRing(
  ring: PacketRing,
  each: (r: BatchRecord) => void,
  stopped: () => boolean,
  /** Called once per wake-up, before its records (the packet path reads the clock once per batch). */
  woke: () => void = () => undefined,
): Promise<void> {
  const control = new Int32Array(ring.control);
  const bytes = new Uint8Array(ring.data);
  let read = Atomics.load(control, READ);
  while (!stopped()) {
    const wait = waitAsync(control, WRITE, read);
    if (wait.async) await wait.value;
    const write = Atomics.load(control, WRITE);
    woke();
    while (read !== write) {
      const at = read & (RING_BYTES - 1);
      const end = (write & (RING_BYTES - 1)) > at ? write & (RING_BYTES - 1) : RING_BYTES;
      // one copy of the stretch up to the write position or the ring's end: payload views stay valid
      const chunk = bytes.slice(at, end);
      const consumed = readRecords(chunk, each);
      read = (read + consumed) | 0;
      Atomics.store(control, READ, read);
    }
  }
}

/** Reads the records of one copied stretch; returns the bytes consumed (a wrap marker ends it). */
function readRecords(chunk: Uint8Array, each: (r: BatchRecord) => void): number {
  const buf = chunk.buffer as ArrayBuffer;
  const view = new DataView(buf);
  const r = emptyRecord();
  let o = 0;
  while (o + RECORD_HEADER <= chunk.length) {
    if (view.getUint32(o) === WRAP) return chunk.length;
    o += padded(RECORD_HEADER + decodeRecord(buf, view, o, r));
    each(r);
  }
  return o;
}
