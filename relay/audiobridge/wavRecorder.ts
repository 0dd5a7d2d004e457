import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Logger } from '../logger.js';
import type { ClosedRecording, RecordingHook } from '../recording/hook.js';
import { BoundedFileWriter } from '../recording/boundedFileWriter.js';
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
  private readonly file: BoundedFileWriter;
  private flushes = 0;
  private frames = 0;
  private dropped = 0;
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
    fh: FileHandle,
    readonly path: string,
    readonly rate: number,
    readonly channels: 1 | 2,
    log: Logger,
  ) {
    this.file = new BoundedFileWriter(fh, {
      path,
      log,
      failureMessage: 'mix recording ended by a disk error',
      chunkBytes: CHUNK_BYTES,
      queueLimitBytes: QUEUE_LIMIT_BYTES,
      syncEveryBytes: SYNC_EVERY_BYTES,
      startOffset: HEADER_BYTES,
      flushEveryMs: FLUSH_EVERY_MS,
      // as Janus, the header's sizes follow the data every few seconds: a crash leaves a playable file
      upkeep: (file, written) =>
        ++this.flushes % HEADER_EVERY_FLUSHES === 0 ? writeSizes(file, written) : Promise.resolve(),
    });
  }

  get open(): boolean {
    return this.file.open;
  }

  /** The room's recording (not a file that lost a race): once it closes complete, the deployment's hook runs for it. */
  hookWhenClosed(run: RecordingHook, as: Pick<ClosedRecording, 'plugin' | 'ids'>): void {
    this.hook = { run, as };
  }

  get stats(): WavStats {
    const s: WavStats = {
      path: this.path,
      bytes: HEADER_BYTES + this.file.written,
      durationMs: this.frames * 20,
      dropped: this.dropped,
    };
    if (this.file.error !== undefined) s.error = this.file.error;
    return s;
  }

  // ---- the tick's path: copies, never waits, never throws --------------------------------------

  /** One 20 ms frame of the mix (interleaved when stereo). */
  write(pcm: Int16Array): void {
    const file = this.file;
    if (!file.open) return;
    const n = pcm.length * 2;
    if (!file.room(n)) {
      this.dropped++;
      return;
    }
    const out = file.chunk;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, n), file.used);
    else for (let i = 0, off = file.used; i < pcm.length; i++, off += 2) out.writeInt16LE(pcm[i]!, off);
    file.used += n;
    this.frames++;
  }

  /** Writes what is queued, fixes the header's sizes, syncs, drops the cached pages, closes. Idempotent. */
  async close(): Promise<WavStats> {
    const complete = await this.file.close(writeSizes);
    if (complete && this.hook) {
      const hook = this.hook;
      this.hook = undefined;
      const { bytes, durationMs, dropped } = this.stats;
      hook.run.fileClosed({ path: this.path, bytes, durationMs, damaged: dropped > 0, ...hook.as });
    }
    return this.stats;
  }
}

/** The RIFF and data chunk sizes for `written` bytes of samples. */
async function writeSizes(fh: FileHandle, written: number): Promise<void> {
  const sizes = Buffer.alloc(4);
  sizes.writeUInt32LE(HEADER_BYTES - 8 + written, 0);
  await fh.write(sizes, 0, 4, 4);
  sizes.writeUInt32LE(written, 0);
  await fh.write(sizes, 0, 4, 40);
}
