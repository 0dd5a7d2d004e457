import type { RecordingClosedEvent, RecordingFile, RecordingReport } from '../../shared/control/recording.js';
import { Codes, RelayError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FeedRecorder } from '../recording/feedRecorder.js';
import type { RecordingHook } from '../recording/hook.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import { PeerRecording } from '../recording/peerRecording.js';
import type { FeedStream } from '../sfu/feed.js';

/** One stream to start recording: where its `<base>.mjr` goes. */
export interface StreamRecordingTarget {
  mid: string;
  dir: string;
  base: string;
}

export interface MountpointRecordingOptions {
  queueLimitBytes: number;
  hook?: RecordingHook;
  report?: RecordingReport;
  emit: (event: RecordingClosedEvent) => void;
}

/**
 * The recordings of one mountpoint (Janus's Streaming `recording`): each stream records on its own,
 * to `<dir>/<base>.mjr`, through the machinery every recording uses (a {@link PeerRecording} of that one
 * stream: bounded writes, page-cache release, the hook, one `recording` event per closed file), fed by
 * a {@link FeedRecorder} tap on the stream's feed (a video stream's tap starts from its buffered keyframe).
 */
export class MountpointRecordings {
  private readonly active = new Map<string, PeerRecording>();
  /** Streams whose start is in progress: a second start of them is refused, not raced. */
  private readonly starting = new Set<string>();
  private closed = false;

  constructor(
    private readonly feeds: ReadonlyMap<string, FeedStream>,
    private readonly log: Logger,
  ) {}

  /** The files being written. */
  list(): RecordingFile[] {
    return [...this.active.values()].flatMap((r) => r.list());
  }

  /**
   * Starts every target, or none: an unknown mid or a stream already recording fails it before any
   * file opens; a file that cannot be opened fails it too, and the files opened before it are closed.
   */
  async start(targets: StreamRecordingTarget[], opts: MountpointRecordingOptions): Promise<void> {
    if (this.closed) throw new RelayError(Codes.PEER_NOT_FOUND, 'Mountpoint closed');
    const mids = new Set<string>();
    for (const t of targets) {
      if (!this.feeds.has(t.mid)) throw new RelayError(Codes.INVALID_STREAM, `No stream ${t.mid}`);
      if (this.active.has(t.mid) || this.starting.has(t.mid) || mids.has(t.mid))
        throw new RelayError(Codes.INVALID_STREAM, `Stream ${t.mid} is already recording`);
      mids.add(t.mid);
    }
    for (const mid of mids) this.starting.add(mid);
    const started: Array<[string, PeerRecording]> = [];
    try {
      for (const t of targets) {
        const rec = this.recordingOf(t, opts);
        await rec.sync(true);
        started.push([t.mid, rec]);
        if (rec.list().length === 0) throw new RelayError(Codes.UNKNOWN, `Cannot record the codec of stream ${t.mid}`);
        if (this.closed) break;
      }
    } catch (err) {
      await Promise.all(started.map(([, r]) => r.stop()));
      throw err;
    } finally {
      for (const mid of mids) this.starting.delete(mid);
    }
    for (const [mid, rec] of started) this.active.set(mid, rec);
    if (this.closed) await this.stop();
  }

  /** Closes the named streams' files (all when none is named); resolves once each is closed and reported. */
  async stop(mids?: string[]): Promise<void> {
    const which = mids ?? [...this.active.keys()];
    const stopping: Array<Promise<void>> = [];
    for (const mid of which) {
      const rec = this.active.get(mid);
      if (!rec) continue;
      this.active.delete(mid);
      stopping.push(rec.stop());
    }
    await Promise.all(stopping);
  }

  /** The mountpoint goes: every file closes, and a start still in progress closes what it opens. */
  close(): Promise<void> {
    this.closed = true;
    return this.stop();
  }

  private recordingOf(t: StreamRecordingTarget, opts: MountpointRecordingOptions): PeerRecording {
    const feed = this.feeds.get(t.mid)!;
    let tap: FeedRecorder | undefined;
    return new PeerRecording(
      {
        recordableStreams: () =>
          feed.codecName ? [{ mid: t.mid, kind: feed.kind, mindex: feed.mindex, codec: feed.codecName }] : [],
        attachRecorder: (_stream, writer: MjrWriter) => {
          tap = new FeedRecorder(feed, writer);
          feed.addTap(tap);
          feed.requestKeyframe();
        },
        detachRecorder: () => {
          if (tap) feed.removeTap(tap);
          tap = undefined;
        },
        emitRecording: opts.emit,
      },
      {
        dir: t.dir,
        base: t.base,
        naming: 'file',
        queueLimitBytes: opts.queueLimitBytes,
        ...(opts.report ? { report: opts.report } : {}),
        ...(opts.hook ? { hook: opts.hook } : {}),
      },
      this.log,
    );
  }
}
