import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Logger } from '../logger.js';
import type { ClosedRecording, RecordingHook } from '../recording/hook.js';
import { dropCachedPages } from '../recording/pageCache.js';
import { recordingTotals } from '../recording/totals.js';

/**
 * A room's mix recorded to a `.wav` file (Janus's `record`): 16-bit PCM at the room's rate, mono, or
 * stereo in spatial rooms, after a 44-byte RIFF header. The mixer's tick only copies a frame into the
 * current 64 KiB chunk; full chunks are written by one asynchronous loop, off the tick. What waits to
 * be written is bounded: a frame that does not fit is dropped and counted. Every `SYNC_EVERY_BYTES`
 * the file is fdatasync'ed and its pages dropped from the page cache (relay/recording/pageCache.ts),
 * and the header's sizes are brought up to date every 5 s (as Janus, so a crash leaves a playable
 * file) and fixed at close.
 */

const HEADER_BYTES = 44;
/** WAV is little-endian, as the host's Int16Array usually is: then a frame is one copy. */
const LITTLE_ENDIAN = endianness() === 'LE';
const CHUNK_BYTES = 64 * 1024;
const QUEUE_LIMIT_BYTES = 4 * 1024 * 1024;
const SYNC_EVERY_BYTES = 1024 * 1024;
const FLUSH_EVERY_MS = 1000;
const HEADER_EVERY_FLUSHES = 5;

export interface WavStats {
  path: string;
  bytes: number;
  durationMs: number;
  dropped: number;
  error?: string;
}

function wavHeader(rate: number, channels: 1 | 2): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(HEADER_BYTES - 8, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2 * channels, 28);
  h.writeUInt16LE(2 * channels, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(0, 40);
  return h;
}

export class WavRecorder {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private readonly queue: Array<{ buf: Buffer; len: number }> = [];
  private queuedBytes = 0;
  private pumping: Promise<void> | undefined;
  private state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  private closing: Promise<WavStats> | undefined;
  private readonly timer: NodeJS.Timeout;
  private flushes = 0;
  private headerDue = false;
  /** PCM bytes written to the file (after the header), and not yet synced. */
  private written = 0;
  private unsynced = 0;
  private frames = 0;
  private dropped = 0;
  private error: string | undefined;
  private hook: { run: RecordingHook; as: Pick<ClosedRecording, 'plugin' | 'ids'> } | undefined;

  /** Creates (or truncates, as Janus's fopen "wb") the file and writes its header. */
  static async create(path: string, rate: number, channels: 1 | 2, log: Logger): Promise<WavRecorder> {
    const fh = await open(path, 'w', 0o644);
    recordingTotals.open++;
    try {
      await fh.write(wavHeader(rate, channels), 0, HEADER_BYTES, 0);
    } catch (err) {
      recordingTotals.open--;
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new WavRecorder(fh, path, rate, channels, log);
  }

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly rate: number,
    readonly channels: 1 | 2,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /** The room's recording (not a file that lost a race): once it closes complete, the deployment's hook runs for it. */
  hookWhenClosed(run: RecordingHook, as: Pick<ClosedRecording, 'plugin' | 'ids'>): void {
    this.hook = { run, as };
  }

  get stats(): WavStats {
    const s: WavStats = {
      path: this.path,
      bytes: HEADER_BYTES + this.written,
      durationMs: this.frames * 20,
      dropped: this.dropped,
    };
    if (this.error !== undefined) s.error = this.error;
    return s;
  }

  // ---- the tick's path: copies, never waits, never throws --------------------------------------

  /** One 20 ms frame of the mix (interleaved when stereo). */
  write(pcm: Int16Array): void {
    if (this.state !== 'open') return;
    const n = pcm.length * 2;
    if (this.queuedBytes + this.used + n > QUEUE_LIMIT_BYTES) {
      this.dropped++;
      return;
    }
    if (this.used + n > this.chunk.length) {
      this.enqueue();
      this.kick();
    }
    const out = this.chunk;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, n), this.used);
    else for (let i = 0, off = this.used; i < pcm.length; i++, off += 2) out.writeInt16LE(pcm[i]!, off);
    this.used += n;
    this.frames++;
  }

  private enqueue(): void {
    if (this.used === 0) return;
    this.queue.push({ buf: this.chunk, len: this.used });
    this.queuedBytes += this.used;
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  // ---- writing, off the tick -------------------------------------------------------------------

  private flush(): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    if (++this.flushes % HEADER_EVERY_FLUSHES === 0) this.headerDue = true;
    this.enqueue();
    this.kick();
  }

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
          const pos = HEADER_BYTES + this.written;
          const { bytesWritten } = await this.fh.write(c.buf, off, c.len - off, pos);
          if (bytesWritten <= 0) throw new Error('write made no progress');
          off += bytesWritten;
          this.written += bytesWritten;
          this.unsynced += bytesWritten;
          recordingTotals.bytesWritten += bytesWritten;
        }
        this.queue.shift();
        this.queuedBytes -= c.len;
        if (this.unsynced >= SYNC_EVERY_BYTES) await this.sync();
      }
      if (this.headerDue) {
        this.headerDue = false;
        await this.writeSizes();
      }
    } catch (err) {
      await this.fail(err);
    }
  }

  /** The RIFF and data chunk sizes for what is written so far. */
  private async writeSizes(): Promise<void> {
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(HEADER_BYTES - 8 + this.written, 0);
    await this.fh.write(sizes, 0, 4, 4);
    sizes.writeUInt32LE(this.written, 0);
    await this.fh.write(sizes, 0, 4, 40);
  }

  private async sync(): Promise<void> {
    this.unsynced = 0;
    await this.fh.datasync();
    await dropCachedPages(this.fh.fd, this.log);
  }

  private async fail(err: unknown): Promise<void> {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.error = (err as Error).message ?? String(err);
    clearInterval(this.timer);
    this.queue.splice(0);
    this.queuedBytes = 0;
    this.log.warn('mix recording ended by a disk error', { path: this.path, error: this.error });
    recordingTotals.failed++;
    await this.release();
  }

  private async release(): Promise<void> {
    try {
      await this.fh.close();
    } catch {
      // already closed, or the disk is gone: nothing more to release
    }
    recordingTotals.open--;
  }

  /** Writes what is queued, fixes the header's sizes, syncs, drops the cached pages, closes. Idempotent. */
  close(): Promise<WavStats> {
    this.closing ??= (async () => {
      if (this.state === 'open') {
        this.state = 'closing';
        clearInterval(this.timer);
        this.enqueue();
        this.kick();
        while (this.pumping) await this.pumping;
        if (this.state === 'closing') {
          try {
            await this.writeSizes();
            await this.sync();
            this.state = 'closed';
            await this.release();
          } catch (err) {
            await this.fail(err);
          }
          if (this.state === 'closed' && this.hook) {
            const { bytes, durationMs, dropped } = this.stats;
            this.hook.run.fileClosed({ path: this.path, bytes, durationMs, damaged: dropped > 0, ...this.hook.as });
          }
        }
      }
      while (this.pumping) await this.pumping;
      return this.stats;
    })();
    return this.closing;
  }
}
