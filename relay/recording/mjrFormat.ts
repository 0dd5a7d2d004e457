/**
 * The Janus recording format (`.mjr`, version 2, as Janus 1.x's src/record.c writes it):
 *
 *   "MJR00002"                                     at creation
 *   u16 length + JSON info header                  before the first frame
 *   per frame: "MEET" + u32 ms since the first frame + u16 length + bytes
 *
 * Lengths and times are big-endian. A data frame's length counts 8 more bytes: the wall-clock time of
 * the message in µs (i64) precedes it. The JSON header is written the way jansson dumps it (", " and
 * ": " separators, keys in Janus's order): `t` (a/v/d), `c` (codec), `f` (fmtp, optional), `s`
 * (created, µs), `u` (first frame, µs). janus-pp-rec reads exactly this.
 */

export const MJR_MAGIC = Buffer.from('MJR00002', 'latin1');
const FRAME_MAGIC = 0x4d454554; // "MEET"
/** A frame's fixed header: "MEET", time, length. */
export const FRAME_HEADER_BYTES = 10;
/** Data frames carry the message time (µs, i64) before the message. */
export const DATA_TIME_BYTES = 8;
/** What one frame can hold (its length is a u16). */
export const MAX_FRAME_BYTES = 0xffff;

export type RecordedKind = 'audio' | 'video' | 'data';

const AUDIO_CODECS: Record<string, string> = {
  opus: 'opus',
  multiopus: 'multiopus',
  pcmu: 'pcmu',
  pcma: 'pcma',
  g722: 'g722',
};
const VIDEO_CODECS: Record<string, string> = { vp8: 'vp8', vp9: 'vp9', h264: 'h264', av1: 'av1', h265: 'h265' };

/**
 * The codec name Janus writes in `c` (janus_audiocodec_name / janus_videocodec_name; data channels
 * are recorded as "text", as the VideoRoom and EchoTest do); undefined for a codec Janus cannot record.
 */
export function janusCodecName(kind: RecordedKind, codec: string | undefined): string | undefined {
  if (kind === 'data') return 'text';
  const name = codec?.toLowerCase();
  if (name === undefined) return undefined;
  return (kind === 'audio' ? AUDIO_CODECS : VIDEO_CODECS)[name];
}

export interface MjrInfo {
  kind: RecordedKind;
  /** Janus's codec name ({@link janusCodecName}). */
  codec: string;
  fmtp?: string;
  /** When the recording was created and when its first frame was written, µs since the epoch. */
  createdUs: number;
  firstFrameUs: number;
}

/** The JSON info header with its u16 length, as written before the first frame. */
export function infoHeader(info: MjrInfo): Buffer {
  const fields: Array<[string, string | number]> = [
    ['t', info.kind === 'audio' ? 'a' : info.kind === 'video' ? 'v' : 'd'],
    ['c', info.codec],
  ];
  if (info.fmtp) fields.push(['f', info.fmtp]);
  fields.push(['s', Math.floor(info.createdUs)], ['u', Math.floor(info.firstFrameUs)]);
  const json = `{${fields.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** Writes a frame header at `off` of `buf`; returns the offset after it. */
export function writeFrameHeader(buf: Buffer, off: number, relMs: number, length: number): number {
  buf.writeUInt32BE(FRAME_MAGIC, off);
  buf.writeUInt32BE(relMs >>> 0, off + 4);
  buf.writeUInt16BE(length, off + 8);
  return off + FRAME_HEADER_BYTES;
}

/** Writes a 12-byte RTP header (version 2, no padding, extension or CSRC) at `off`; returns the offset after it. */
export function writeRtpHeader(
  buf: Buffer,
  off: number,
  pt: number,
  marker: boolean,
  seq: number,
  ts: number,
  ssrc: number,
): number {
  buf[off] = 0x80;
  buf[off + 1] = (pt & 0x7f) | (marker ? 0x80 : 0);
  buf.writeUInt16BE(seq & 0xffff, off + 2);
  buf.writeUInt32BE(ts >>> 0, off + 4);
  buf.writeUInt32BE(ssrc >>> 0, off + 8);
  return off + 12;
}
