import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../logger.js';
import { dropCachedPages } from './pageCache.js';
import { recordingTotals } from './totals.js';

/**
 * The write machinery every recording file shares (`.mjr`: ./mjrWriter.ts, the AudioBridge's `.wav`):
 * the media path only copies into the current chunk (`room`, then `chunk`/`used`); full chunks are
 * written by one asynchronous loop, off the media path. What waits to be written is bounded
 * (`queueLimitBytes`): what does not fit is refused and the caller counts it. Every `syncEveryBytes`
 * written the file is fdatasync'ed and its pages dropped from the page cache (./pageCache.ts), and
 * again on close. A disk error ends the file: `error` is set, one log line says why, `onEnd` runs.
 */

/** Chunks of finished writes, by size, reused by every file of the process. */
const spareChunks = new Map<number, Buffer[]>();
const MAX_SPARE_CHUNKS = 32;
function takeChunk(size: number): Buffer {
  return spareChunks.get(size)?.pop() ?? Buffer.allocUnsafe(size);
}
/** Only chunks of a writer's own size are kept (a chunk grown for one big frame is not). */
function giveBack(buf: Buffer): void {
  const spare = spareChunks.get(buf.length);
  if (spare && spare.length < MAX_SPARE_CHUNKS) spare.push(buf);
}

export interface BoundedFileWriterOptions {
  path: string;
  log: Logger;
  /** What the log line says when a disk error ends the file. */
  failureMessage: string;
  chunkBytes: number;
  queueLimitBytes: number;
  syncEveryBytes: number;
  /** Where the first chunk goes: writes are positional from here (a header written before), else appended. */
  startOffset?: number;
  /** A partly filled chunk is handed to the write loop at least this often. */
  flushEveryMs: number;
  /** Runs in the write loop after the queue is written, on each periodic flush (a format's own upkeep). */
  upkeep?: (fh: FileHandle, written: number) => Promise<void>;
  /** Runs once when the file is closed or ended by an error. */
  onEnd?: () => void;
}

export class BoundedFileWriter {
  /** The chunk being filled, and how much of it is. */
  chunk: Buffer;
  used = 0;
  private readonly queue: Array<{ buf: Buffer; len: number }> = [];
  private queuedBytes = 0;
  private pumping: Promise<void> | undefined;
  private state: 'open' | 'closing' | 'closed' | 'failed' = 'open';
  private closing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private upkeepDue = false;
  private unsynced = 0;
  private onEnd: (() => void) | undefined;
  /** Bytes written to the file by the loop (after `startOffset`). */
  written = 0;
  error: string | undefined;

  constructor(
    readonly fh: FileHandle,
    private readonly opts: BoundedFileWriterOptions,
  ) {
    this.onEnd = opts.onEnd;
    if (!spareChunks.has(opts.chunkBytes)) spareChunks.set(opts.chunkBytes, []);
    this.chunk = takeChunk(opts.chunkBytes);
    this.timer = setInterval(() => this.flush(true), opts.flushEveryMs);
    this.timer.unref();
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /** Makes room for `n` more bytes in `chunk` at `used`; false: the queue is full (the caller drops). */
  room(n: number): boolean {
    if (this.queuedBytes + this.used + n > this.opts.queueLimitBytes) return false;
    if (this.used + n > this.chunk.length) {
      this.enqueue();
      this.kick();
      if (n > this.chunk.length) this.chunk = Buffer.allocUnsafe(n);
    }
    return true;
  }

  private enqueue(): void {
    if (this.used === 0) return;
    this.queue.push({ buf: this.chunk, len: this.used });
    this.queuedBytes += this.used;
    this.chunk = takeChunk(this.opts.chunkBytes);
    this.used = 0;
  }

  /** Hands the current chunk to the write loop (`upkeep`: and runs the format's upkeep after it). */
  private flush(upkeep: boolean): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    if (upkeep) this.upkeepDue = true;
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
    const start = this.opts.startOffset;
    try {
      while (this.queue.length > 0 && this.state !== 'failed') {
        const c = this.queue[0]!;
        for (let off = 0; off < c.len;) {
          const at = start === undefined ? null : start + this.written;
          const { bytesWritten } = await this.fh.write(c.buf, off, c.len - off, at);
          if (bytesWritten <= 0) throw new Error('write made no progress');
          off += bytesWritten;
          this.written += bytesWritten;
          this.unsynced += bytesWritten;
          recordingTotals.bytesWritten += bytesWritten;
        }
        this.queue.shift();
        this.queuedBytes -= c.len;
        giveBack(c.buf);
        if (this.unsynced >= this.opts.syncEveryBytes) await this.sync();
      }
      if (this.upkeepDue && this.state !== 'failed') {
        this.upkeepDue = false;
        await this.opts.upkeep?.(this.fh, this.written);
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
    this.opts.log.warn(this.opts.failureMessage, { path: this.opts.path, error: this.error });
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
    onEnd?.();
  }

  /** No `onEnd` for this file (it is being abandoned). */
  silence(): void {
    this.onEnd = undefined;
  }

  /**
   * Writes what is queued, runs `finish` (a format's last header update), syncs, drops the cached
   * pages and closes the file; true when it closed complete. Idempotent.
   */
  async close(finish?: (fh: FileHandle, written: number) => Promise<void>): Promise<boolean> {
    this.closing ??= (async () => {
      if (this.state === 'open') {
        this.state = 'closing';
        clearInterval(this.timer);
        this.flush(false);
        while (this.pumping) await this.pumping;
        if (this.state === 'closing') {
          try {
            await finish?.(this.fh, this.written);
            await this.sync();
            this.state = 'closed';
            await this.release();
          } catch (err) {
            await this.fail(err);
          }
        }
      }
      while (this.pumping) await this.pumping;
    })();
    await this.closing;
    return this.state === 'closed';
  }
}
