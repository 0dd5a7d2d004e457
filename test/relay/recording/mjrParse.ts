import { readFileSync } from 'node:fs';

/** A `.mjr` file read back independently of the writer (Janus 1.x's version 2 layout). */
export interface ParsedMjr {
  magic: string;
  headerText: string | undefined;
  header: Record<string, unknown> | undefined;
  frames: Array<{ relMs: number; bytes: Buffer; dataTimeUs?: bigint }>;
  /** Bytes after the last whole frame (a torn write). */
  trailing: number;
}

export function parseMjr(path: string): ParsedMjr {
  const b = readFileSync(path);
  const magic = b.subarray(0, 8).toString('latin1');
  let off = 8;
  const out: ParsedMjr = { magic, headerText: undefined, header: undefined, frames: [], trailing: 0 };
  if (b.length < off + 2) return out;
  const len = b.readUInt16BE(off);
  out.headerText = b.subarray(off + 2, off + 2 + len).toString('utf8');
  out.header = JSON.parse(out.headerText) as Record<string, unknown>;
  off += 2 + len;
  const data = out.header.t === 'd';
  while (off + 10 <= b.length) {
    if (b.subarray(off, off + 4).toString('latin1') !== 'MEET') throw new Error(`no frame magic at ${off}`);
    const relMs = b.readUInt32BE(off + 4);
    const n = b.readUInt16BE(off + 8);
    if (off + 10 + n > b.length) break;
    const body = b.subarray(off + 10, off + 10 + n);
    out.frames.push(
      data ? { relMs, dataTimeUs: body.readBigInt64BE(0), bytes: body.subarray(8) } : { relMs, bytes: body },
    );
    off += 10 + n;
  }
  out.trailing = b.length - off;
  return out;
}

export function rtpOf(frame: Buffer): {
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  ssrc: number;
  payload: Buffer;
} {
  return {
    pt: frame[1]! & 0x7f,
    marker: (frame[1]! & 0x80) !== 0,
    seq: frame.readUInt16BE(2),
    ts: frame.readUInt32BE(4),
    ssrc: frame.readUInt32BE(8),
    payload: frame.subarray(12),
  };
}
