import type { PeerEvent } from '../../shared/control/events.js';
import type { RecordingFile } from '../../shared/control/recording.js';
import type { Logger } from '../logger.js';
import { FeedRecorder } from '../recording/feedRecorder.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import { PeerRecording, type RecordableStream, type RecordingRequest } from '../recording/peerRecording.js';
import type { RemotePublisher } from './remotePublisher.js';

/**
 * Recording a remote publisher (Janus records them as any publisher) on the relay that receives its
 * RTP: a `.mjr` file per audio/video stream, fed from its feeds like a VideoRoom publisher's; data
 * streams are not recorded. The recording lives beside the remote publisher, keyed by it, and ends
 * with it (`SfuHub.removeRemote`, the one way a remote publisher goes).
 */
const recordings = new WeakMap<RemotePublisher, PeerRecording>();

export type EmitPeerEvent = (sessionId: number, handleId: number, event: PeerEvent) => void;

export async function startRemoteRecording(
  r: RemotePublisher,
  req: RecordingRequest,
  emit: EmitPeerEvent,
  log: Logger,
): Promise<RecordingFile[]> {
  const current = recordings.get(r);
  if (current) return current.list();
  const [sessionId, handleId] = r.key.split(':').map(Number) as [number, number];
  const taps = new Map<MjrWriter, FeedRecorder>();
  const rec = new PeerRecording(
    {
      recordableStreams: () => {
        const out: RecordableStream[] = [];
        for (const f of r.feeds.values())
          if (!f.disabled && f.codecName) out.push({ mid: f.mid, kind: f.kind, mindex: f.mindex, codec: f.codecName });
        return out;
      },
      attachRecorder: (stream, writer) => {
        const feed = r.feeds.get(stream.mid);
        if (!feed) return;
        const tap = new FeedRecorder(feed, writer);
        taps.set(writer, tap);
        feed.addTap(tap);
        feed.requestKeyframe();
      },
      detachRecorder: (stream, writer) => {
        const tap = taps.get(writer);
        if (!tap) return;
        taps.delete(writer);
        r.feeds.get(stream.mid)?.removeTap(tap);
      },
      emitRecording: (event) => emit(sessionId, handleId, event),
    },
    req,
    log,
  );
  recordings.set(r, rec);
  try {
    await rec.sync(true);
  } catch (err) {
    if (recordings.get(r) === rec) recordings.delete(r);
    throw err;
  }
  return rec.list();
}

/** Closes every file of the remote publisher's recording; resolves once each is reported. */
export async function stopRemoteRecording(r: RemotePublisher): Promise<void> {
  const rec = recordings.get(r);
  recordings.delete(r);
  await rec?.stop();
}

/** After `sfu.remoteUpdate`: added streams get files, removed ones are closed. */
export async function syncRemoteRecording(r: RemotePublisher): Promise<void> {
  await recordings.get(r)?.sync();
}
