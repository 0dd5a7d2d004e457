import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import {
  DATA_TIME_BYTES,
  FRAME_HEADER_BYTES,
  infoHeader,
  MAX_FRAME_BYTES,
  MJR_MAGIC,
  writeFrameHeader,
  writeRtpHeader,
  type RecordedKind,
} from './mjrFormat.js';
import { BoundedFileWriter } from './boundedFileWriter.js';
import { RecordedRtpContinuity } from './rtpContinuity.js';
import { recordingTotals } from './totals.js';
import { nowUs } from './wallClock.js';

/**
 * One `.mjr` file being written (format: ./mjrFormat.ts). The packet path only copies a frame into
 * the current chunk (64 KiB for video, 16 KiB for audio and data); full chunks are written by one asynchronous loop per file, off the
 * packet path. What waits to be written is bounded (`queueLimitBytes`): a frame that does not fit is
 * dropped and counted, and the file is marked damaged. Every `syncEveryBytes` written the file is
 * fdatasync'ed and its pages dropped from the page cache (./pageCache.ts), and again on close. A disk
 * error (ENOSPC, EIO, the file or its directory removed) ends the file: `error` is set, one log line
 * says why, `onEnd` runs; the packet path never sees it.
 */

/** Chunk sizes: video fills 64 KiB in well under a second; audio and data need less held per file. */
const VIDEO_CHUNK_BYTES = 64 * 1024;
const AUDIO_CHUNK_BYTES = 16 * 1024;
/** A partly filled chunk is written at least this often (and the file checked for removal). */
const FLUSH_EVERY_MS = 1000;
export const DEFAULT_QUEUE_LIMIT_BYTES = 8 * 1024 * 1024;
export const DEFAULT_SYNC_EVERY_BYTES = 2 * 1024 * 1024;

export interface MjrWriterOptions {
  path: string;
  kind: RecordedKind;
  /** Janus's codec name (mjrFormat.janusCodecName). */
  codec: string;
  fmtp?: string;
  log: Logger;
  queueLimitBytes?: number;
  syncEveryBytes?: number;
  /** Runs once when the file is closed or ended by an error. */
  onEnd?: (writer: MjrWriter) => void;
}

export interface MjrStats {
  bytes: number;
  durationMs: number;
  packets: number;
  dropped: number;
  damaged: boolean;
  error?: string;
}

export class MjrWriter {
  readonly path: string;
  readonly kind: RecordedKind;
  private readonly createdUs = nowUs();
  private readonly continuity: RecordedRtpContinuity | undefined;
  private readonly file: BoundedFileWriter;
  /** performance.now() of the first and the last frame; the recorded SSRC (the first one seen). */
  private startedAt = -1;
  private lastAt = -1;
  private ssrc = -1;
  private packets = 0;
  private dropped = 0;

  /** Creates (or truncates, as Janus does) the file and writes its magic. */
  static async create(opts: MjrWriterOptions): Promise<MjrWriter> {
    const fh = await open(opts.path, 'w', 0o644);
    recordingTotals.open++;
    return new MjrWriter(fh, opts);
  }

  private constructor(
    fh: FileHandle,
    private readonly opts: MjrWriterOptions,
  ) {
    this.path = opts.path;
    this.kind = opts.kind;
    this.continuity = opts.kind === 'data' ? undefined : new RecordedRtpContinuity(opts.kind === 'video');
    const onEnd = opts.onEnd;
    this.file = new BoundedFileWriter(fh, {
      path: opts.path,
      log: opts.log,
      failureMessage: 'recording ended by a disk error',
      chunkBytes: opts.kind === 'video' ? VIDEO_CHUNK_BYTES : AUDIO_CHUNK_BYTES,
      queueLimitBytes: opts.queueLimitBytes ?? DEFAULT_QUEUE_LIMIT_BYTES,
      syncEveryBytes: opts.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES,
      flushEveryMs: FLUSH_EVERY_MS,
      // an open file survives its directory's removal: nothing would ever be collected
      upkeep: async (file) => {
        if ((await file.stat()).nlink === 0) throw new Error('ENOENT: the recording file or its directory was removed');
      },
      ...(onEnd ? { onEnd: () => onEnd(this) } : {}),
    });
    MJR_MAGIC.copy(this.file.chunk, 0);
    this.file.used = MJR_MAGIC.length;
  }

  get open(): boolean {
    return this.file.open;
  }

  get stats(): MjrStats {
    const s: MjrStats = {
      bytes: this.file.written,
      durationMs: this.startedAt < 0 ? 0 : Math.round(this.lastAt - this.startedAt),
      packets: this.packets,
      dropped: this.dropped,
      damaged: this.dropped > 0,
    };
    if (this.file.error !== undefined) s.error = this.file.error;
    return s;
  }

  // ---- the packet path: copies into the current chunk, never waits, never throws -------------

  /** One RTP packet, stored with a 12-byte header (Janus's sequence/timestamp rewriting applied). */
  writeRtp(ssrc: number, pt: number, seq: number, ts: number, marker: boolean, payload: Uint8Array): void {
    if (!this.file.open || !this.continuity) return;
    const now = performance.now();
    const frame = 12 + payload.length;
    const at = this.reserve(FRAME_HEADER_BYTES + frame, now);
    if (at < 0) return;
    if (this.ssrc < 0) this.ssrc = ssrc >>> 0;
    const c = this.continuity;
    c.update(ssrc, pt, seq, ts, now);
    const buf = this.file.chunk;
    let off = writeFrameHeader(buf, at, now - this.startedAt, frame);
    off = writeRtpHeader(buf, off, pt, marker, c.seq, c.ts, this.ssrc);
    buf.set(payload, off);
  }

  /** One data channel message, stored with its wall-clock time. */
  writeData(msg: Uint8Array): void {
    if (!this.file.open || this.opts.kind !== 'data') return;
    const now = performance.now();
    const frame = DATA_TIME_BYTES + msg.length;
    const at = frame > MAX_FRAME_BYTES ? this.drop() : this.reserve(FRAME_HEADER_BYTES + frame, now);
    if (at < 0) return;
    const buf = this.file.chunk;
    const off = writeFrameHeader(buf, at, now - this.startedAt, frame);
    buf.writeBigInt64BE(BigInt(nowUs()), off);
    buf.set(msg, off + DATA_TIME_BYTES);
  }

  /** Room for `n` bytes in the current chunk (the info header first, before the first frame); -1 = dropped. */
  private reserve(n: number, now: number): number {
    const header = this.startedAt < 0 ? this.infoHeader() : undefined;
    const file = this.file;
    if (!file.room(n + (header?.length ?? 0))) return this.drop();
    if (header) {
      header.copy(file.chunk, file.used);
      file.used += header.length;
      this.startedAt = now;
    }
    const at = file.used;
    file.used += n;
    this.lastAt = now;
    this.packets++;
    return at;
  }

  private infoHeader(): Buffer {
    const { kind, codec, fmtp } = this.opts;
    return infoHeader({ kind, codec, fmtp, createdUs: this.createdUs, firstFrameUs: nowUs() });
  }

  private drop(): -1 {
    this.dropped++;
    recordingTotals.packetsDropped++;
    return -1;
  }

  /** No `onEnd` for this file (it is being abandoned). */
  silence(): void {
    this.file.silence();
  }

  /** Writes what is queued, syncs, drops the cached pages and closes the file. Idempotent. */
  async close(): Promise<MjrStats> {
    await this.file.close();
    return this.stats;
  }
}
