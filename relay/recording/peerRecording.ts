import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordingClosedEvent, RecordingFile, RecordingReport } from '../../shared/control/recording.js';
import { Codes, RelayError } from '../errors.js';
import type { RecordingHook } from './hook.js';
import type { Logger } from '../logger.js';
import { janusCodecName, type RecordedKind } from './mjrFormat.js';
import { MjrWriter } from './mjrWriter.js';

/** One m-line a peer can record: its media, position and negotiated codec. */
export interface RecordableStream {
  mid: string;
  kind: RecordedKind;
  mindex: number;
  /** The negotiated codec's name (werift's, any case); data channels need none. */
  codec: string | undefined;
  fmtp?: string;
}

/** What a recording peer (VideoRoom publisher, EchoTest) provides. */
export interface RecordingHost {
  /** The streams that can be recorded after the latest negotiation (not rejected, with a codec). */
  recordableStreams(): RecordableStream[];
  /** Feed the stream's packets to `writer` from now on (and ask for a keyframe for video). */
  attachRecorder(stream: RecordableStream, writer: MjrWriter): void;
  detachRecorder(stream: RecordableStream, writer: MjrWriter): void;
  /** The `recording` peer event (it must reach the edge even while the peer hangs up). */
  emitRecording(event: RecordingClosedEvent): void;
}

export interface RecordingRequest {
  dir: string;
  base: string;
  /**
   * `mline`: `<base>-<kind>-<mindex>.mjr` per m-line (VideoRoom); `kind`: `<base>-<kind>.mjr`, the first
   * m-line of each kind (EchoTest); `file`: `<base>.mjr`, for a host of one stream (a Streaming mountpoint's, named as Janus does).
   */
  naming: 'mline' | 'kind' | 'file';
  queueLimitBytes: number;
  /** Handed back in every `recording` event (see shared/control/recording.ts). */
  report?: RecordingReport;
  /** Run for each file that closes complete; `hookAs` names the plugin and ids when `report` does not. */
  hook?: RecordingHook;
  hookAs?: RecordingReport;
}

interface OpenFile {
  stream: RecordableStream;
  writer: MjrWriter;
  file: RecordingFile;
}

/**
 * The recording of one peer (`peer.record`): a `.mjr` file per recorded m-line, opened when
 * recording starts and for m-lines a renegotiation adds, closed when one is removed, when recording
 * stops and when the peer ends. Each file that closes (or fails) is reported once as a `recording`
 * event.
 */
export class PeerRecording {
  private readonly files = new Map<string, OpenFile>();
  /** m-lines whose file ended by an error: not reopened (that would truncate what was saved). */
  private readonly ended = new Set<string>();
  private stopped = false;

  constructor(
    private readonly host: RecordingHost,
    private readonly req: RecordingRequest,
    private readonly log: Logger,
  ) {}

  /** The files being written. */
  list(): RecordingFile[] {
    return [...this.files.values()].map((f) => f.file);
  }

  /**
   * Opens a file for every recordable m-line that has none and closes those of m-lines that are gone.
   * `strict` (starting): a file that cannot be opened fails the whole start, nothing is left behind;
   * otherwise (a renegotiation) it is reported as a `recording` event with its error.
   */
  async sync(strict = false): Promise<void> {
    if (this.stopped) return;
    const wanted = this.wantedStreams();
    const closing: Array<Promise<unknown>> = [];
    for (const [mid, f] of this.files) if (wanted.get(mid)?.kind !== f.stream.kind) closing.push(this.closeFile(mid));
    const opened: OpenFile[] = [];
    for (const stream of wanted.values()) {
      if (this.files.has(stream.mid) || this.ended.has(stream.mid)) continue;
      const file: RecordingFile = {
        mid: stream.mid,
        kind: stream.kind,
        path: join(this.req.dir, this.fileName(stream)),
      };
      const codec = janusCodecName(stream.kind, stream.codec);
      if (!codec) {
        this.log.warn('stream not recorded: Janus cannot record its codec', { mid: stream.mid, codec: stream.codec });
        continue;
      }
      let writer: MjrWriter;
      try {
        writer = await MjrWriter.create({
          path: file.path,
          kind: stream.kind,
          codec,
          fmtp: stream.fmtp,
          log: this.log,
          queueLimitBytes: this.req.queueLimitBytes,
          onEnd: (w) => this.onEnd(stream.mid, w),
        });
      } catch (err) {
        const reason = `Cannot open recording file ${file.path} (${(err as Error).message})`;
        if (strict) {
          await this.abandon(opened);
          throw new RelayError(Codes.UNKNOWN, reason);
        }
        this.log.warn('recording file not opened', { path: file.path, error: (err as Error).message });
        this.host.emitRecording(closedEvent(file, { error: (err as Error).message }, this.req.report));
        this.ended.add(stream.mid);
        continue;
      }
      if (this.stopped) {
        // the peer ended while the file was being opened
        await this.abandon([{ stream, writer, file }]);
        return;
      }
      const f = { stream, writer, file };
      opened.push(f);
      this.files.set(stream.mid, f);
      this.host.attachRecorder(stream, writer);
    }
    await Promise.all(closing);
  }

  /** Closes every file (each reported once); later syncs open nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.files.keys()].map((mid) => this.closeFile(mid)));
  }

  private wantedStreams(): Map<string, RecordableStream> {
    const wanted = new Map<string, RecordableStream>();
    const kinds = new Set<RecordedKind>();
    for (const s of this.host.recordableStreams()) {
      if (this.req.naming === 'kind') {
        if (kinds.has(s.kind)) continue;
        kinds.add(s.kind);
      }
      wanted.set(s.mid, s);
    }
    return wanted;
  }

  private fileName(s: RecordableStream): string {
    if (this.req.naming === 'file') return `${this.req.base}.mjr`;
    return this.req.naming === 'kind' ? `${this.req.base}-${s.kind}.mjr` : `${this.req.base}-${s.kind}-${s.mindex}.mjr`;
  }

  private async closeFile(mid: string): Promise<void> {
    const f = this.files.get(mid);
    if (!f) return;
    this.files.delete(mid);
    this.host.detachRecorder(f.stream, f.writer);
    await f.writer.close();
  }

  /** A writer finished (closed, or ended by a disk error): one event. */
  private onEnd(mid: string, writer: MjrWriter): void {
    const f = this.files.get(mid);
    const file = f?.writer === writer ? f.file : undefined;
    if (f && file) {
      // a disk error: the m-line goes unrecorded from now on
      this.files.delete(mid);
      this.ended.add(mid);
      this.host.detachRecorder(f.stream, writer);
    }
    const stats = writer.stats;
    // also in the log: an event sent while the control socket is down is lost, the file is not
    if (stats.error === undefined) {
      this.log.info('recording closed', { path: writer.path, ...stats });
      // closed complete, its data synced: the deployment's hook may collect it
      const as = this.req.hookAs ?? this.req.report;
      this.req.hook?.fileClosed({
        path: writer.path,
        bytes: stats.bytes,
        durationMs: stats.durationMs,
        damaged: stats.damaged,
        kind: writer.kind,
        ...(as ? { plugin: as.plugin, ids: as.ids } : {}),
      });
    }
    this.host.emitRecording(closedEvent(file ?? { mid, kind: writer.kind, path: writer.path }, stats, this.req.report));
  }

  /** Files of a start that failed: closed and removed, without events. */
  private async abandon(files: OpenFile[]): Promise<void> {
    for (const f of files) {
      this.files.delete(f.stream.mid);
      this.host.detachRecorder(f.stream, f.writer);
      f.writer.silence();
      await f.writer.close();
      await rm(f.file.path, { force: true });
    }
  }
}

function closedEvent(
  file: RecordingFile,
  s: { bytes?: number; durationMs?: number; packets?: number; dropped?: number; damaged?: boolean; error?: string },
  report: RecordingReport | undefined,
): RecordingClosedEvent {
  const event: RecordingClosedEvent = {
    kind: 'recording',
    file,
    bytes: s.bytes ?? 0,
    durationMs: s.durationMs ?? 0,
    packets: s.packets ?? 0,
    dropped: s.dropped ?? 0,
    damaged: s.damaged ?? false,
  };
  if (s.error !== undefined) event.error = s.error;
  if (report) event.report = report;
  return event;
}
