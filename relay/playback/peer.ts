import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { RtpPacket, type RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import type { MidCounters } from '../../shared/control/commands.js';
import { RECORDPLAY_PLUGIN, type RecordingSummary } from '../../shared/control/playback.js';
import { Codes, RelayError } from '../errors.js';
import { addCounters, zeroCounters, type MediaCounters } from '../metrics.js';
import { PeerBase, type PeerDeps } from '../peer/base.js';
import { relayHeaderExtensions, type PeerMedia } from '../peer/factory.js';
import { MjrFile } from '../recording/mjrReader.js';
import { playbackCodec } from './codecs.js';
import { Playout, type PlayoutTrack } from './playout.js';
import { scheduleTrack, type PlayoutSchedule } from './schedule.js';

/** Janus Record&Play's error codes that the relay answers with (janus_recordplay.c). */
export const PlaybackError = { NOT_FOUND: 416, INVALID_RECORDING: 417, RECORDING_EXISTS: 420 } as const;

interface Track {
  kind: 'audio' | 'video';
  file: MjrFile;
  codec: RTCRtpCodecParameters;
  /** The packets in sending order (the file's own frame index is let go once this is made). */
  schedule: PlayoutSchedule;
}

/** A recording's files, open and indexed, ready to be offered and played. */
export interface PreparedRecording {
  id: number;
  tracks: Track[];
}

/** Opens the recording's `.mjr` files (416 for an unknown id, 417 when none can be played); closes them on failure. */
export async function prepareRecording(
  folder: string,
  rec: RecordingSummary | undefined,
  id: number,
): Promise<PreparedRecording> {
  if (!rec) throw new RelayError(PlaybackError.NOT_FOUND, 'No such recording');
  const tracks: Track[] = [];
  try {
    for (const kind of ['audio', 'video'] as const) {
      const t = rec[kind];
      if (!t) continue;
      const file = await MjrFile.open(join(folder, t.file));
      const codec = playbackCodec(kind, file.header.codec, file.header.fmtp);
      if (!codec || file.index.frames.length === 0) {
        await file.close();
        continue;
      }
      const schedule = scheduleTrack(file.index.frames, codec.clockRate, randomInt(0, 0x10000), randomInt(0, 2 ** 32));
      file.forgetFrames();
      tracks.push({ kind, file, codec, schedule });
    }
  } catch (err) {
    await Promise.allSettled(tracks.map((t) => t.file.close()));
    throw new RelayError(PlaybackError.INVALID_RECORDING, `Error opening recording files (${(err as Error).message})`);
  }
  if (tracks.length === 0)
    throw new RelayError(PlaybackError.INVALID_RECORDING, 'Recording has no playable audio or video');
  return { id, tracks };
}

function mediaOf(rec: PreparedRecording): PeerMedia {
  const codecs = (kind: 'audio' | 'video') => rec.tracks.filter((t) => t.kind === kind).map((t) => t.codec);
  return {
    codecs: { audio: codecs('audio'), video: codecs('video') },
    // The mid extension only: a recording's own extensions (audio level, orientation) are not replayed.
    headerExtensions: { audio: relayHeaderExtensions.audio, video: relayHeaderExtensions.audio },
  };
}

/**
 * A Record&Play viewer: sendonly m-lines in the recording's codecs; once the client's answer is in
 * and the PeerConnection is up, the recorded packets go out with their recorded timing, then the
 * peer ends (`onFinished`: the engine hangs it up, as Janus closes the PeerConnection).
 */
export class PlaybackPeer extends PeerBase {
  readonly plugin = RECORDPLAY_PLUGIN;
  private readonly transceivers = new Map<Track, RTCRtpTransceiver>();
  private readonly sent = new Map<Track, MediaCounters>();
  private answered = false;
  private playout: Playout | undefined;
  private filesClosed = false;

  constructor(
    deps: PeerDeps,
    private readonly rec: PreparedRecording,
    private readonly onFinished: (peer: PlaybackPeer, error?: unknown) => void,
  ) {
    super(deps, mediaOf(rec));
  }

  async makeOffer(): Promise<string> {
    this.assertOpen();
    for (const t of this.rec.tracks) {
      this.transceivers.set(t, this.pc.addTransceiver(t.kind, { direction: 'sendonly' }));
      this.sent.set(t, zeroCounters());
    }
    const offer = await this.pc.createOffer();
    return this.applyLocal({ type: 'offer', sdp: offer.sdp });
  }

  /** The client's answer: playout starts as soon as the PeerConnection is up. */
  async acceptAnswer(sdp: string): Promise<void> {
    await this.applyAnswer(sdp);
    this.hookDtls();
    this.answered = true;
    if (this.connected) this.startPlayout();
  }

  protected onConnected(): void {
    if (this.answered) this.startPlayout();
  }

  get packetsSent(): number {
    return this.playout?.sent ?? 0;
  }

  private startPlayout(): void {
    if (this.playout || this.closed) return;
    const tracks: PlayoutTrack[] = this.rec.tracks.map((t) => {
      const transceiver = this.transceivers.get(t)!;
      const counters = this.sent.get(t)!;
      return {
        file: t.file,
        schedule: t.schedule,
        send: (packet, i) => {
          const rtp = RtpPacket.deSerialize(packet);
          rtp.header.sequenceNumber = t.schedule.seq[i]!;
          rtp.header.timestamp = t.schedule.timestamp[i]!;
          rtp.header.extensions = [];
          rtp.header.padding = false;
          counters.packetsOut++;
          counters.bytesOut += packet.length;
          void transceiver.sender.sendRtp(rtp);
        },
      };
    });
    this.playout = new Playout(
      tracks,
      () => this.onFinished(this),
      (err) => this.onFinished(this, err),
    );
    this.playout.start();
  }

  protected counters(): MidCounters[] {
    return this.rec.tracks.map((t) => ({
      ...zeroCounters(),
      ...this.sent.get(t),
      mid: this.transceivers.get(t)?.mid ?? '',
      media: t.kind,
      receiving: false,
    }));
  }

  override totals(into: MediaCounters): MediaCounters {
    for (const c of this.sent.values()) addCounters(into, c);
    return into;
  }

  /** Stops the playout and closes the files, on every way the peer ends. */
  protected override release(): void {
    this.playout?.stop();
    if (this.filesClosed) return;
    this.filesClosed = true;
    for (const t of this.rec.tracks) void t.file.close().catch(() => undefined);
  }
}

export function unknownPlaybackOp(op: string): RelayError {
  return new RelayError(Codes.WEBRTC_STATE, `${op} is not supported on a Record&Play peer`);
}
