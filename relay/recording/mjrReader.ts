import { open, type FileHandle } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Reads Janus `.mjr` v2 recordings (src/record.c): `MJR00002`, a 2-byte big-endian length and the
 * JSON info header, then frames of `MEET`, 4 bytes of milliseconds since the first frame, 2 bytes
 * of length and the RTP packet (a data frame prepends 8 bytes of wall-clock µs, counted in the
 * length). The index keeps offsets, not packets, so hours of video cost a few bytes per frame;
 * packets are read back one at a time as they play.
 */

const MAGIC = 'MJR00002';
const FRAME_MAGIC = 'MEET';
const FRAME_HEADER_BYTES = 10;
const RTP_HEADER_BYTES = 12;
/** Read-ahead while indexing: frames are small, one read serves hundreds of them. */
const CHUNK_BYTES = 256 * 1024;

/** The info header's keys as src/record.c writes them. */
const infoSchema = z.object({
  t: z.enum(['a', 'v', 'd']),
  c: z.string().min(1),
  f: z.string().optional(),
  d: z.string().optional(),
  x: z.record(z.string(), z.string()).optional(),
  s: z.number().int(),
  u: z.number().int(),
  or: z.number().int().optional(),
  e: z.boolean().optional(),
});

export interface MjrHeader {
  kind: 'audio' | 'video' | 'data';
  /** Janus's codec name: `opus`, `vp8`, `h264`, `pcmu`, … (`text`/`binary` for data). */
  codec: string;
  fmtp?: string;
  description?: string;
  /** RTP header extensions by id, as negotiated when recorded. */
  extmaps: Record<string, string>;
  /** When the recorder was created and when its first frame was written, µs since the epoch. */
  createdUs: number;
  firstFrameUs: number;
  /** Opus RED payload type, when the audio was recorded with RED. */
  opusRedPt?: number;
  /** Media end-to-end encrypted (insertable streams): not playable by us. */
  encrypted: boolean;
}

/** Where one frame is, and what its RTP header says. */
export interface MjrFrame {
  /** Offset of the packet (after the frame header and, for data, the 8-byte time). */
  offset: number;
  length: number;
  /** Milliseconds since the recording's first frame. */
  timeMs: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payloadType: number;
  marker: boolean;
}

export interface MjrIndex {
  header: MjrHeader;
  frames: MjrFrame[];
  /** Bytes at the end that do not form a whole frame (a recording cut short): ignored. */
  truncatedBytes: number;
}

export class MjrFormatError extends Error {}

/** Sequential reads through a file with one buffer of read-ahead. */
class ChunkedReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
  ) {}

  /** `length` bytes at `pos`, or undefined past the end of the file. */
  async at(pos: number, length: number): Promise<Buffer | undefined> {
    if (pos + length > this.size) return undefined;
    if (pos < this.bufStart || pos + length > this.bufStart + this.buf.length) {
      const want = Math.min(Math.max(length, CHUNK_BYTES), this.size - pos);
      const chunk = Buffer.alloc(want);
      const { bytesRead } = await this.file.read(chunk, 0, want, pos);
      this.buf = chunk.subarray(0, bytesRead);
      this.bufStart = pos;
      if (bytesRead < length) return undefined;
    }
    return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + length);
  }
}

function parseHeader(json: Buffer): MjrHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    throw new MjrFormatError('info header is not JSON');
  }
  const info = infoSchema.safeParse(raw);
  if (!info.success) throw new MjrFormatError(`invalid info header (${info.error.issues[0]?.path.join('.')})`);
  const i = info.data;
  return {
    kind: i.t === 'a' ? 'audio' : i.t === 'v' ? 'video' : 'data',
    codec: i.c.toLowerCase(),
    ...(i.f !== undefined ? { fmtp: i.f } : {}),
    ...(i.d !== undefined ? { description: i.d } : {}),
    extmaps: i.x ?? {},
    createdUs: i.s,
    firstFrameUs: i.u,
    ...(i.or ? { opusRedPt: i.or } : {}),
    encrypted: i.e === true,
  };
}

/** Indexes an open `.mjr` file: its header and every frame's place and RTP fields. */
export async function indexMjrFile(file: FileHandle): Promise<MjrIndex> {
  const { size } = await file.stat();
  const reader = new ChunkedReader(file, size);
  const magic = await reader.at(0, MAGIC.length + 2);
  if (!magic || magic.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    // MJR00001 (Janus before 0.10) had no codec information: refused rather than guessed.
    throw new MjrFormatError('not an .mjr v2 file (MJR00002)');
  }
  const infoLength = magic.readUInt16BE(MAGIC.length);
  const json = await reader.at(MAGIC.length + 2, infoLength);
  if (!json || infoLength === 0) throw new MjrFormatError('missing info header');
  const header = parseHeader(json);
  const dataPrefix = header.kind === 'data' ? 8 : 0;
  const frames: MjrFrame[] = [];
  let pos = MAGIC.length + 2 + infoLength;
  while (pos < size) {
    const fh = await reader.at(pos, FRAME_HEADER_BYTES);
    if (!fh) break;
    if (fh.toString('latin1', 0, 4) !== FRAME_MAGIC) throw new MjrFormatError(`no frame header at offset ${pos}`);
    const timeMs = fh.readUInt32BE(4);
    const length = fh.readUInt16BE(8);
    const packetAt = pos + FRAME_HEADER_BYTES + dataPrefix;
    const packetLength = length - dataPrefix;
    const end = pos + FRAME_HEADER_BYTES + length;
    if (end > size || packetLength < 0) break;
    if (header.kind === 'data') {
      frames.push({
        offset: packetAt,
        length: packetLength,
        timeMs,
        seq: 0,
        timestamp: 0,
        ssrc: 0,
        payloadType: 0,
        marker: false,
      });
    } else if (packetLength >= RTP_HEADER_BYTES) {
      const rtp = (await reader.at(packetAt, RTP_HEADER_BYTES))!;
      // Only RTP version 2 is media; anything else in the file is skipped, as janus-pp-rec does.
      if (rtp[0]! >> 6 === 2)
        frames.push({
          offset: packetAt,
          length: packetLength,
          timeMs,
          seq: rtp.readUInt16BE(2),
          timestamp: rtp.readUInt32BE(4),
          ssrc: rtp.readUInt32BE(8),
          payloadType: rtp[1]! & 0x7f,
          marker: (rtp[1]! & 0x80) !== 0,
        });
    }
    pos = end;
  }
  return { header, frames, truncatedBytes: size - pos };
}

/** An `.mjr` file open for playback: its index, and its packets read by place. */
export class MjrFile {
  private constructor(
    private readonly file: FileHandle,
    private indexed: MjrIndex,
  ) {}

  static async open(path: string): Promise<MjrFile> {
    const file = await open(path, 'r');
    try {
      return new MjrFile(file, await indexMjrFile(file));
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  get index(): MjrIndex {
    return this.indexed;
  }

  get header(): MjrHeader {
    return this.indexed.header;
  }

  /** Lets the frame index go (a player keeps its own compact schedule); the header stays. */
  forgetFrames(): void {
    this.indexed = { ...this.indexed, frames: [] };
  }

  /** The frame's packet bytes (a fresh buffer the caller may rewrite). */
  packet(frame: MjrFrame): Promise<Buffer> {
    return this.read(frame.offset, frame.length);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.file.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new MjrFormatError(`short read at offset ${offset}`);
    return buf;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** The header only (listing recordings): reads the first bytes of the file. */
export async function readMjrHeader(path: string): Promise<MjrHeader> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC.length + 2 + 0xffff);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    if (bytesRead < MAGIC.length + 2 || head.toString('latin1', 0, MAGIC.length) !== MAGIC)
      throw new MjrFormatError('not an .mjr v2 file (MJR00002)');
    const len = head.readUInt16BE(MAGIC.length);
    if (len === 0 || MAGIC.length + 2 + len > bytesRead) throw new MjrFormatError('missing info header');
    return parseHeader(head.subarray(MAGIC.length + 2, MAGIC.length + 2 + len));
  } finally {
    await file.close();
  }
}
