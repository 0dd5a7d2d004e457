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
import { dropCachedPages } from './pageCache.js';
import { RecordedRtpContinuity } from './rtpContinuity.js';
import { recordingTotals } from './totals.js';

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

/** Chunks of finished writes, by size, reused by every file of the process. */
const spareChunks = new Map<number, Buffer[]>([
  [VIDEO_CHUNK_BYTES, []],
  [AUDIO_CHUNK_BYTES, []],
]);
const MAX_SPARE_CHUNKS = 32;
function takeChunk(size: number): Buffer {
  return spareChunks.get(size)?.pop() ?? Buffer.allocUnsafe(size);
}
function giveBack(buf: Buffer): void {
  const spare = spareChunks.get(buf.length);
  if (spare && spare.length < MAX_SPARE_CHUNKS) spare.push(buf);
}

/**
 * Wall-clock time in µs (Janus's janus_get_real_time): the monotonic clock's µs, kept within 1 ms of
 * the system clock (files of different relays are aligned by it; timeOrigin + performance.now() alone
 * drifts from it as the process runs, and Date.now() alone has only ms).
 */
let wallOffsetUs = Date.now() * 1000 - performance.now() * 1000;
function nowUs(): number {
  const mono = performance.now() * 1000;
  const wall = Date.now() * 1000;
  if (Math.abs(mono + wallOffsetUs - wall) > 1000) wallOffsetUs = wall - mono;
  return Math.floor(mono + wallOffsetUs);
}

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
  private onEnd: ((writer: MjrWriter) => void) | undefined;
  private readonly createdUs = nowUs();
  private readonly queueLimit: number;
  private readonly syncEvery: number;
  private readonly continuity: RecordedRtpContinuity | undefined;
  private readonly chunkBytes: number;
  private chunk: Buffer;
  private used = 0;
  private readonly queue: Array<{ buf: Buffer; len: number }> = [];
  private queuedBytes = 0;
  private pumping: Promise<void> | undefined;
  private state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  private closing: Promise<MjrStats> | undefined;
  private readonly timer: NodeJS.Timeout;
  private checkDue = false;
  private unsynced = 0;
  /** performance.now() of the first and the last frame; the recorded SSRC (the first one seen). */
  private startedAt = -1;
  private lastAt = -1;
  private ssrc = -1;
  private bytes = 0;
  private packets = 0;
  private dropped = 0;
  private error: string | undefined;

  /** Creates (or truncates, as Janus does) the file and writes its magic. */
  static async create(opts: MjrWriterOptions): Promise<MjrWriter> {
    const fh = await open(opts.path, 'w', 0o644);
    recordingTotals.open++;
    return new MjrWriter(fh, opts);
  }

  private constructor(
    private readonly fh: FileHandle,
    private readonly opts: MjrWriterOptions,
  ) {
    this.path = opts.path;
    this.kind = opts.kind;
    this.onEnd = opts.onEnd;
    this.queueLimit = opts.queueLimitBytes ?? DEFAULT_QUEUE_LIMIT_BYTES;
    this.syncEvery = opts.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES;
    this.continuity = opts.kind === 'data' ? undefined : new RecordedRtpContinuity(opts.kind === 'video');
    this.chunkBytes = opts.kind === 'video' ? VIDEO_CHUNK_BYTES : AUDIO_CHUNK_BYTES;
    this.chunk = takeChunk(this.chunkBytes);
    MJR_MAGIC.copy(this.chunk, 0);
    this.used = MJR_MAGIC.length;
    this.timer = setInterval(() => this.flush(true), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  get open(): boolean {
    return this.state === 'open';
  }

  get stats(): MjrStats {
    const s: MjrStats = {
      bytes: this.bytes,
      durationMs: this.startedAt < 0 ? 0 : Math.round(this.lastAt - this.startedAt),
      packets: this.packets,
      dropped: this.dropped,
      damaged: this.dropped > 0,
    };
    if (this.error !== undefined) s.error = this.error;
    return s;
  }

  // ---- the packet path: copies into the current chunk, never waits, never throws -------------

  /** One RTP packet, stored with a 12-byte header (Janus's sequence/timestamp rewriting applied). */
  writeRtp(ssrc: number, pt: number, seq: number, ts: number, marker: boolean, payload: Uint8Array): void {
    if (this.state !== 'open' || !this.continuity) return;
    const now = performance.now();
    const frame = 12 + payload.length;
    const at = this.reserve(FRAME_HEADER_BYTES + frame, now);
    if (at < 0) return;
    if (this.ssrc < 0) this.ssrc = ssrc >>> 0;
    const c = this.continuity;
    c.update(ssrc, pt, seq, ts, now);
    const buf = this.chunk;
    let off = writeFrameHeader(buf, at, now - this.startedAt, frame);
    off = writeRtpHeader(buf, off, pt, marker, c.seq, c.ts, this.ssrc);
    buf.set(payload, off);
  }

  /** One data channel message, stored with its wall-clock time. */
  writeData(msg: Uint8Array): void {
    if (this.state !== 'open' || this.opts.kind !== 'data') return;
    const now = performance.now();
    const frame = DATA_TIME_BYTES + msg.length;
    const at = frame > MAX_FRAME_BYTES ? this.drop() : this.reserve(FRAME_HEADER_BYTES + frame, now);
    if (at < 0) return;
    const buf = this.chunk;
    const off = writeFrameHeader(buf, at, now - this.startedAt, frame);
    buf.writeBigInt64BE(BigInt(nowUs()), off);
    buf.set(msg, off + DATA_TIME_BYTES);
  }

  /** Room for `n` bytes in the current chunk (the info header first, before the first frame); -1 = dropped. */
  private reserve(n: number, now: number): number {
    const header = this.startedAt < 0 ? this.infoHeader() : undefined;
    const total = n + (header?.length ?? 0);
    if (this.queuedBytes + this.used + total > this.queueLimit) return this.drop();
    if (this.used + total > this.chunk.length) {
      this.enqueue();
      this.kick();
      if (total > this.chunk.length) this.chunk = Buffer.allocUnsafe(total);
    }
    if (header) {
      header.copy(this.chunk, this.used);
      this.used += header.length;
      this.startedAt = now;
    }
    const at = this.used;
    this.used += n;
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

  private enqueue(): void {
    if (this.used === 0) return;
    this.queue.push({ buf: this.chunk, len: this.used });
    this.queuedBytes += this.used;
    this.chunk = takeChunk(this.chunkBytes);
    this.used = 0;
  }

  // ---- writing, off the packet path ----------------------------------------------------------

  /** Hands the current chunk to the write loop. */
  private flush(check: boolean): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    if (check) this.checkDue = true;
    this.enqueue();
    this.kick();
  }

  /** Starts the write loop unless it runs; it starts again by itself when chunks came meanwhile. */
  private kick(): void {
    if (this.pumping || this.state === 'failed' || this.state === 'closed') return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.state !== 'failed') {
        const c = this.queue[0]!;
        for (let off = 0; off < c.len;) {
          const { bytesWritten } = await this.fh.write(c.buf, off, c.len - off);
          if (bytesWritten <= 0) throw new Error('write made no progress');
          off += bytesWritten;
          this.bytes += bytesWritten;
          this.unsynced += bytesWritten;
          recordingTotals.bytesWritten += bytesWritten;
        }
        this.queue.shift();
        this.queuedBytes -= c.len;
        giveBack(c.buf);
        if (this.unsynced >= this.syncEvery) await this.sync();
      }
      if (this.checkDue && this.state !== 'failed') {
        this.checkDue = false;
        // an open file survives its directory's removal: nothing would ever be collected
        if ((await this.fh.stat()).nlink === 0)
          throw new Error('ENOENT: the recording file or its directory was removed');
      }
    } catch (err) {
      await this.fail(err);
    }
  }

  private async sync(): Promise<void> {
    this.unsynced = 0;
    await this.fh.datasync();
    await dropCachedPages(this.fh.fd, this.opts.log);
  }

  private async fail(err: unknown): Promise<void> {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.error = (err as Error).message ?? String(err);
    clearInterval(this.timer);
    for (const c of this.queue.splice(0)) giveBack(c.buf);
    this.queuedBytes = 0;
    this.opts.log.warn('recording ended by a disk error', { path: this.path, error: this.error });
    recordingTotals.failed++;
    await this.release();
  }

  private async release(): Promise<void> {
    giveBack(this.chunk);
    this.used = 0;
    try {
      await this.fh.close();
    } catch {
      // already closed, or the disk is gone: nothing more to release
    }
    recordingTotals.open--;
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.(this);
  }

  /** No `onEnd` for this file (it is being abandoned). */
  silence(): void {
    this.onEnd = undefined;
  }

  /** Writes what is queued, syncs, drops the cached pages and closes the file. Idempotent. */
  close(): Promise<MjrStats> {
    this.closing ??= (async () => {
      if (this.state === 'open') {
        this.state = 'closing';
        clearInterval(this.timer);
        this.flush(false);
        while (this.pumping) await this.pumping;
        if (this.state === 'closing') {
          try {
            await this.sync();
            this.state = 'closed';
            await this.release();
          } catch (err) {
            await this.fail(err);
          }
        }
      }
      while (this.state === 'failed' && this.pumping) await this.pumping;
      return this.stats;
    })();
    return this.closing;
  }
}
