/**
 * One publisher packet as a relay thread receives it (through its ring, packetRing.ts): a 16-byte
 * header then the payload.
 *
 *   0 feedId u32 | 4 seq u16 | 6 payload length u16 | 8 timestamp u32 | 12 layer u8 | 13 layers u8 |
 *   14 flags u8 (1 marker, 2 keyframe) | 15 temporal id u8
 */
export const RECORD_HEADER = 16;

/** One record as the thread reads it; the payload is a view into the thread's copy of what it read. */
export interface BatchRecord {
  feedId: number;
  seq: number;
  ts: number;
  layer: number;
  layers: number;
  marker: boolean;
  key: boolean;
  tid: number;
  /** 1 marker, 2 keyframe, and the ring's stream signals (packetRing.ts). */
  flags: number;
  payload: Buffer;
}

/** An empty record to decode into (reused: the packet path allocates only payload views). */
export function emptyRecord(): BatchRecord {
  return {
    feedId: 0,
    seq: 0,
    ts: 0,
    layer: 0,
    layers: 1,
    marker: false,
    key: false,
    tid: 0,
    flags: 0,
    payload: Buffer.alloc(0),
  };
}

/** Decodes the record at `o` into `r` (its payload a view into `buf`); returns the payload's length. */
export function decodeRecord(buf: ArrayBuffer, v: DataView, o: number, r: BatchRecord): number {
  const n = v.getUint16(o + 6);
  r.feedId = v.getUint32(o);
  r.seq = v.getUint16(o + 4);
  r.ts = v.getUint32(o + 8);
  r.layer = v.getUint8(o + 12);
  r.layers = v.getUint8(o + 13);
  const flags = v.getUint8(o + 14);
  r.flags = flags;
  r.marker = (flags & 1) !== 0;
  r.key = (flags & 2) !== 0;
  r.tid = v.getUint8(o + 15);
  r.payload = Buffer.from(buf, o + RECORD_HEADER, n);
  return n;
}
