import { basename } from 'node:path';
import type { MediaStreamTrack, RTCRtpCodecParameters, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { MidCounters } from '../../shared/control/commands.js';
import { RECORDPLAY_PLUGIN, type RecordOptions } from '../../shared/control/playback.js';
import type { RecordingFile } from '../../shared/control/recording.js';
import { addCounters, zeroCounters, type MediaCounters } from '../metrics.js';
import { noop, PeerBase, type HangupOptions, type PeerDeps } from '../peer/base.js';
import { relayMedia, type PeerMedia } from '../peer/factory.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import type { RecordingHook } from '../recording/hook.js';
import type { RecordableStream, RecordingHost } from '../recording/peerRecording.js';
import type { RecordingSettings } from '../recording/recordingDir.js';
import { rejectSections, splitSdp } from '../sdp.js';
import { janusDate, nfoText, writeNfo } from './nfoWriter.js';

type Spec = RecordOptions['record'];

/** One recorded m-line: the first audio and the first video one the client sends. */
interface Recorded {
  kind: 'audio' | 'video';
  mid: string;
  mindex: number;
  transceiver: RTCRtpTransceiver;
  c: MediaCounters;
  writer: MjrWriter | undefined;
  needKeyframe: boolean;
  hooked: Set<MediaStreamTrack>;
}

/** The relay's codecs, narrowed to the one `audiocodec`/`videocodec` asks for. */
function recorderMedia(spec: Spec): PeerMedia {
  const only = (list: RTCRtpCodecParameters[], name: string | undefined) =>
    name ? list.filter((c) => c.name.toLowerCase() === name) : list;
  return {
    codecs: {
      audio: only(relayMedia.codecs.audio ?? [], spec.audiocodec),
      video: only(relayMedia.codecs.video ?? [], spec.videocodec),
    },
    headerExtensions: relayMedia.headerExtensions,
  };
}

/** The offer's m-lines the client sends on (not rejected, not recvonly/inactive), by mid. */
function sendingMids(offer: string): Set<string> {
  const out = new Set<string>();
  for (const sec of splitSdp(offer).sections) {
    const mid = sec.lines
      .find((l) => l.startsWith('a=mid:'))
      ?.slice(6)
      .trim();
    const port = /^m=\S+ (\d+)/.exec(sec.lines[0]!)?.[1];
    if (mid === undefined || port === '0') continue;
    if (sec.lines.some((l) => l === 'a=recvonly' || l === 'a=inactive')) continue;
    out.add(mid);
  }
  return out;
}

/** Ids being recorded on this relay: `record` with one of them is refused (420) until its `.nfo` is written. */
const recordingNow = new Set<number>();

export function isBeingRecorded(id: number): boolean {
  return recordingNow.has(id);
}

/**
 * A Record&Play recorder (`record`): answers the client's offer recvonly, records the first audio and
 * the first video m-line into `<filename or rec-<id>>-<kind>.mjr` of the folder (the relay's recording
 * code, naming `kind`), and when the peer ends — `stop`, hangup, detach — closes the files and writes
 * `<id>.nfo` naming them, as janus_recordplay.c's hangup_media does. Everything else in the offer is
 * answered rejected.
 */
export class RecorderPeer extends PeerBase {
  readonly plugin = RECORDPLAY_PLUGIN;
  private readonly recorded = new Map<string, Recorded>();
  private readonly date = janusDate(new Date());
  private finished: Promise<void> | undefined;
  /** The deployment's hook (RELAY_RECORDING_HOOK): the `.mjr` files as they close, then the `.nfo`. */
  private hook: RecordingHook | undefined;

  constructor(
    deps: PeerDeps,
    private readonly spec: Spec,
    private readonly folder: string,
  ) {
    super(deps, recorderMedia(spec));
    recordingNow.add(spec.id);
  }

  /** The files' base name, as Janus's: the client's `filename`, else `rec-<id>`. */
  get base(): string {
    return this.spec.filename ?? `rec-${this.spec.id}`;
  }

  /** Applies the client's offer, answers (recvonly), and opens the recording's files. */
  async acceptOffer(sdp: string): Promise<string> {
    const summary = this.checkOffer(sdp);
    const sending = sendingMids(sdp);
    await this.applyRemote('offer', sdp, summary);
    const rejected = new Set<string>();
    for (const s of summary.sections) if (s.mid !== undefined && s.kind === 'application') rejected.add(s.mid);
    for (const t of this.pc.getTransceivers()) {
      if (!t.mid) continue;
      const kind = t.kind;
      const codec = t.codecs[0];
      const taken = [...this.recorded.values()].some((r) => r.kind === kind);
      if ((kind !== 'audio' && kind !== 'video') || !sending.has(t.mid) || !codec || taken) {
        t.setDirection('inactive');
        rejected.add(t.mid);
        continue;
      }
      t.setDirection('recvonly');
      const section = summary.sections.find((s) => s.mid === t.mid);
      this.recorded.set(t.mid, {
        kind,
        mid: t.mid,
        mindex: section?.index ?? 0,
        transceiver: t,
        c: zeroCounters(),
        writer: undefined,
        needKeyframe: kind === 'video',
        hooked: new Set(),
      });
      t.onTrack.subscribe((track) => this.hookTrack(t.mid!, track));
      for (const track of t.receiver.tracks) this.hookTrack(t.mid, track);
    }
    const answer = await this.pc.createAnswer();
    const local = await this.applyLocal({ type: 'answer', sdp: answer.sdp });
    this.hookDtls();
    return rejectSections(local, sdp, rejected);
  }

  /** The recorded streams' files, opened in the folder (a file that cannot be opened fails the `record`). */
  async openFiles(settings: RecordingSettings): Promise<RecordingFile[]> {
    this.hook = settings.hook;
    return this.startRecording({
      dir: this.folder,
      base: this.base,
      naming: 'kind',
      queueLimitBytes: settings.queueLimitBytes,
      ...(this.hook ? { hook: this.hook, hookAs: this.hookAs } : {}),
    });
  }

  private get hookAs() {
    return { plugin: RECORDPLAY_PLUGIN, ids: { id: this.spec.id } };
  }

  protected override recordingSource(): Omit<RecordingHost, 'emitRecording'> {
    return {
      recordableStreams: () =>
        [...this.recorded.values()].map<RecordableStream>((r) => ({
          mid: r.mid,
          kind: r.kind,
          mindex: r.mindex,
          codec: r.transceiver.codecs[0]?.name.toLowerCase(),
          fmtp: r.transceiver.codecs[0]?.parameters,
        })),
      attachRecorder: (stream, writer) => {
        const r = this.recorded.get(stream.mid);
        if (!r) return;
        r.writer = writer;
        r.needKeyframe = r.kind === 'video'; // the recording starts on a keyframe, as Janus asks one
      },
      detachRecorder: (stream, writer) => {
        const r = this.recorded.get(stream.mid);
        if (r?.writer === writer) r.writer = undefined;
      },
    };
  }

  private hookTrack(mid: string, track: MediaStreamTrack): void {
    const r = this.recorded.get(mid);
    if (!r || r.hooked.has(track)) return;
    r.hooked.add(track);
    track.onReceiveRtp.subscribe((rtp) => this.onRtp(r, rtp));
  }

  private onRtp(r: Recorded, rtp: RtpPacket): void {
    r.c.packetsIn++;
    r.c.bytesIn += rtp.serializeSize;
    if (this.closing) return;
    const h = rtp.header;
    if (r.needKeyframe) {
      r.needKeyframe = false;
      r.c.plisOut++;
      r.transceiver.receiver.sendRtcpPLI(h.ssrc).catch(noop);
    }
    r.writer?.writeRtp(h.ssrc, h.payloadType, h.sequenceNumber, h.timestamp, h.marker, rtp.payload);
  }

  protected onConnected(): void {
    for (const r of this.recorded.values()) if (r.kind === 'video') r.needKeyframe = true;
  }

  protected counters(): MidCounters[] {
    return [...this.recorded.values()].map((r) => ({ ...r.c, mid: r.mid, media: r.kind, receiving: true }));
  }

  override totals(into: MediaCounters): MediaCounters {
    for (const r of this.recorded.values()) addCounters(into, r.c);
    return into;
  }

  /** Resolves once the peer is released and the `.nfo` written (or failed): a relay that shuts down waits for it. */
  override async hangup(reason: string, opts?: HangupOptions): Promise<void> {
    await super.hangup(reason, opts);
    await this.finished;
  }

  /** The peer ends: the files close, then the `.nfo` names those that were written (none: no `.nfo`). */
  protected override release(): void {
    if (this.finished) return;
    const files = this.recordingFiles() ?? [];
    this.finished = (async () => {
      try {
        await this.stopRecording();
        const audio = files.find((f) => f.kind === 'audio');
        const video = files.find((f) => f.kind === 'video');
        if (!audio && !video) return;
        const nfo = await writeNfo(
          this.folder,
          this.spec.id,
          nfoText({
            id: this.spec.id,
            name: this.spec.name,
            date: this.date,
            ...(audio ? { audio: basename(audio.path) } : {}),
            ...(video ? { video: basename(video.path) } : {}),
          }),
        );
        this.hook?.fileClosed({ ...nfo, ...this.hookAs });
      } catch (err) {
        this.log.warn('recording not saved', { id: this.spec.id, error: String(err) });
      } finally {
        recordingNow.delete(this.spec.id);
      }
    })();
  }
}
