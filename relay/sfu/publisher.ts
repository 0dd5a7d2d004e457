import type { MediaStreamTrack, RTCDataChannel, RTCRtpTransceiver } from 'werift';
import type { MidCounters } from '../../shared/control/commands.js';
import type {
  SfuForwarderInfo,
  SfuForwardStream,
  SfuPublisherOptions,
  SfuPublisherStream,
  TalkingSettings,
} from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import { dataCounters, noop, type PeerDeps } from '../peer/base.js';
import { preferDtlsServer, sendRemb } from '../peer/werift.js';
import { FeedStream, type FeedSource } from './feed.js';
import { PublisherForwarders } from './forward.js';
import type { DataSink } from './outputs.js';
import { SfuPeerBase, type SfuContext } from './peer.js';
import { rejectSections } from '../sdp.js';
import {
  codecList,
  DEFAULT_AUDIO_CODECS,
  DEFAULT_VIDEO_CODECS,
  filterPublisherOffer,
  type AllowedCodecs,
} from './sdp.js';
import { TalkDetector } from './talking.js';
import { FeedRecorder } from '../recording/feedRecorder.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import type { RecordableStream, RecordingHost } from '../recording/peerRecording.js';
import { audioLevelExtensionId, sendPlis } from './wire.js';

/**
 * A VideoRoom publisher: answers the client's offer accepting its audio/video/data m-lines as
 * recvonly with the room's codecs, receives every simulcast layer, fans its packets out through its
 * {@link FeedStream}s, relays its data channel messages, caps its bitrate with REMB.
 */
export class SfuPublisher extends SfuPeerBase implements FeedSource {
  readonly role = 'publisher' as const;
  readonly feeds = new Map<string, FeedStream>();
  /** The werift transceiver receiving each feed (REMB). */
  private readonly receivers = new Map<FeedStream, RTCRtpTransceiver>();
  readonly dataSinks = new Set<DataSink>();
  dataMid: string | undefined;
  private dataIndex = 0;
  private readonly allowed: AllowedCodecs;
  private bitrate: number;
  private streams: SfuPublisherStream[] = [];
  private data = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
  /** RTP forwarders (`sfu.forward`), released with the publisher. */
  readonly forwarders: PublisherForwarders;
  /** Talking detection settings (room `audiolevel_event`); undefined = off. */
  private talking: TalkingSettings | undefined;
  /** A moderator muted the data stream. */
  private dataModerated = false;
  /** Room `fir_freq` in ms (0 = off), and when the last periodic keyframe request went out. */
  private readonly firEveryMs: number;
  private lastFirAt = 0;
  /** Recording (peer.record): the taps on recorded feeds, the data channel's file. */
  private readonly recorders = new Map<MjrWriter, FeedRecorder>();
  private dataRecorder: MjrWriter | undefined;

  constructor(deps: PeerDeps, sfu: SfuContext, options: SfuPublisherOptions) {
    super(deps, sfu, { audioLevel: options.audioLevelExt !== false });
    this.allowed = {
      audio: codecList(options.audiocodec, DEFAULT_AUDIO_CODECS),
      video: codecList(options.videocodec, DEFAULT_VIDEO_CODECS),
      profiles: { h264: options.h264Profile, vp9: options.vp9Profile },
    };
    this.bitrate = options.bitrate ?? 0;
    this.firEveryMs = (options.firFreq ?? 0) * 1000;
    this.talking = options.talking;
    this.forwarders = new PublisherForwarders(
      this,
      { bindAddress: deps.network.bindAddress, ports: sfu.mediaPorts },
      this.log,
    );
    this.pc.onTransceiverAdded.subscribe((t) => t.onTrack.subscribe((track) => this.hookTrack(t, track)));
    this.pc.onDataChannel.subscribe((dc) => this.hookDataChannel(dc));
  }

  /** Its one data channel m-line: a forwarder of it gets every message, as its subscribers do. */
  dataForwardSinks(mid: string): Set<DataSink> | undefined {
    return mid === this.dataMid ? this.dataSinks : undefined;
  }

  /** Initial offer or renegotiation: returns the answer and the stream list. */
  async acceptOffer(sdp: string): Promise<{ sdp: string; streams: SfuPublisherStream[] }> {
    const summary = this.checkOffer(sdp);
    const filtered = filterPublisherOffer(sdp, this.allowed);
    await this.applyRemote('offer', filtered.sdp, summary);
    const rejected = new Set<string>();
    for (const s of filtered.sections)
      if (s.rejected && s.mid !== undefined && (s.kind === 'audio' || s.kind === 'video')) rejected.add(s.mid);
    for (const t of this.pc.getTransceivers()) {
      if (t.kind !== 'audio' && t.kind !== 'video') continue;
      t.setDirection(t.mid && rejected.has(t.mid) ? 'inactive' : 'recvonly');
    }
    const answer = await this.pc.createAnswer();
    const local = await this.applyLocal({ type: 'answer', sdp: preferDtlsServer(answer.sdp, sdp) });
    this.syncFeeds(filtered.sections, rejected);
    await this.syncRecording();
    return { sdp: rejectSections(local, sdp, rejected), streams: this.streams };
  }

  private syncFeeds(
    sections: ReturnType<typeof filterPublisherOffer>['sections'],
    rejected: ReadonlySet<string>,
  ): void {
    const streams: SfuPublisherStream[] = [];
    for (const s of sections) {
      if (s.mid === undefined) continue;
      if (s.kind === 'application') {
        this.dataMid = s.mid;
        this.dataIndex = s.index;
        streams.push({ type: 'data', mindex: s.index, mid: s.mid });
        continue;
      }
      if (s.kind !== 'audio' && s.kind !== 'video') continue;
      const t = this.pc.getTransceivers().find((x) => x.mid === s.mid);
      if (!t) continue;
      let feed = this.feeds.get(s.mid);
      if (!feed) {
        feed = new FeedStream(this.key, s.mid, s.kind, s.index, (ssrcs) => sendPlis(t.receiver, ssrcs).catch(noop));
        this.receivers.set(feed, t);
        this.feeds.set(s.mid, feed);
      }
      feed.mindex = s.index;
      const isRejected = rejected.has(s.mid);
      const sending = s.direction === 'sendonly' || s.direction === 'sendrecv';
      feed.configure(isRejected ? undefined : t.codecs[0], isRejected ? [] : s.rids, isRejected, sending);
      if (s.kind === 'audio') this.setUpTalking(feed, t);
      for (const track of t.receiver.tracks) this.hookTrack(t, track);
      const entry: SfuPublisherStream = { type: s.kind, mindex: s.index, mid: s.mid };
      if (!isRejected && s.codec) entry.codec = s.codec;
      if (!isRejected && s.fmtp) entry.fmtp = s.fmtp;
      if (feed.simulcast) entry.simulcast = true;
      if (isRejected || !sending) entry.disabled = true;
      streams.push(entry);
    }
    this.streams = streams;
  }

  /** Talking detection on an audio feed that negotiated the audio-level extension (events need the room). */
  private setUpTalking(feed: FeedStream, t: RTCRtpTransceiver): void {
    feed.audioLevelId = audioLevelExtensionId(t) ?? 0;
    const room = this.sfu.room;
    if (!this.talking || room === undefined || feed.audioLevelId === 0) return;
    if (feed.talk) {
      feed.talk.configure(this.talking);
      return;
    }
    feed.talk = new TalkDetector(this.talking);
    feed.onTalking = (f) => {
      const d = f.talk!;
      this.emit({
        kind: 'sfu.talking',
        room,
        mid: f.mid,
        talking: d.talking,
        level: Math.round(d.lastAverage * 100) / 100,
      });
    };
  }

  private hookTrack(t: RTCRtpTransceiver, track: MediaStreamTrack): void {
    const feed = t.mid ? this.feeds.get(t.mid) : undefined;
    if (!feed || feed.hooked.has(track)) return;
    feed.hooked.add(track);
    const layer = feed.layerOf(track.rid);
    track.onReceiveRtp.subscribe((rtp) => {
      if (!this.closing) feed.onRtp(layer, rtp);
    });
  }

  private hookDataChannel(dc: RTCDataChannel): void {
    this.trackChannel(dc);
    dc.onMessage.subscribe((msg) => {
      const size = typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
      this.data.packetsIn++;
      this.data.bytesIn += size;
      if (this.closing) return;
      this.dataRecorder?.writeData(typeof msg === 'string' ? Buffer.from(msg) : msg);
      if (this.dataModerated) return;
      for (const sink of this.dataSinks) {
        this.data.packetsOut++;
        this.data.bytesOut += size;
        sink.sendData(msg);
      }
    });
  }

  /** Every m-line the room accepted is recorded (Janus: a recorder per publisher stream), data included. */
  protected override recordingSource(): Omit<RecordingHost, 'emitRecording'> {
    return {
      recordableStreams: () => {
        const out: RecordableStream[] = [];
        for (const f of this.feeds.values()) {
          if (f.disabled || !f.codecName) continue;
          const fmtp = f.kind === 'video' ? f.codecParams?.parameters : undefined;
          out.push({ mid: f.mid, kind: f.kind, mindex: f.mindex, codec: f.codecName, ...(fmtp ? { fmtp } : {}) });
        }
        if (this.dataMid !== undefined)
          out.push({ mid: this.dataMid, kind: 'data', mindex: this.dataIndex, codec: undefined });
        return out;
      },
      attachRecorder: (stream, writer) => {
        if (stream.kind === 'data') {
          this.dataRecorder = writer;
          return;
        }
        const feed = this.feeds.get(stream.mid);
        if (!feed) return;
        const tap = new FeedRecorder(feed, writer);
        this.recorders.set(writer, tap);
        feed.addTap(tap);
        feed.requestKeyframe(); // a recording starts at a keyframe (Janus: "Recording video")
      },
      detachRecorder: (stream, writer) => {
        if (this.dataRecorder === writer) this.dataRecorder = undefined;
        const tap = this.recorders.get(writer);
        if (!tap) return;
        this.recorders.delete(writer);
        this.feeds.get(stream.mid)?.removeTap(tap);
      },
    };
  }

  protected onConnected(): void {
    this.sendRembs();
    for (const feed of this.feeds.values()) if (feed.legs.length) feed.requestKeyframe();
  }

  /** `sfu.configure` for a publisher. */
  configure(c: {
    bitrate?: number;
    keyframe?: boolean;
    streams?: Array<{ mid: string; send?: boolean }>;
    talking?: TalkingSettings;
  }): void {
    this.assertOpen();
    for (const s of c.streams ?? []) {
      const feed = this.feeds.get(s.mid);
      if (!feed) throw new RelayError(Codes.INVALID_STREAM, `No such publisher stream ${s.mid}`);
      if (s.send !== undefined) feed.setForwarding({ send: s.send });
    }
    if (c.talking && this.talking) {
      const t = this.talking;
      this.talking = { packets: c.talking.packets ?? t.packets, average: c.talking.average ?? t.average };
      for (const feed of this.feeds.values()) feed.talk?.configure(this.talking);
    }
    if (c.bitrate !== undefined) {
      this.bitrate = c.bitrate;
      this.sendRembs();
    }
    if (c.keyframe) for (const feed of this.feeds.values()) feed.requestKeyframe();
  }

  /** `sfu.moderate`: a moderator mutes / unmutes one stream (audio, video or data). */
  moderate(mid: string, mute: boolean): void {
    this.assertOpen();
    if (mid === this.dataMid) {
      this.dataModerated = mute;
      return;
    }
    const feed = this.feeds.get(mid);
    if (!feed) throw new RelayError(Codes.INVALID_STREAM, `No such publisher stream ${mid}`);
    feed.setForwarding({ moderated: mute });
  }

  /** `sfu.forward`. */
  forward(
    streams: SfuForwardStream[],
    srtp: { suite: 32 | 80; crypto: string } | undefined,
  ): Promise<SfuForwarderInfo[]> {
    this.assertOpen();
    return this.forwarders.add(streams, srtp);
  }

  /** `sfu.stopForward`. */
  stopForward(id: number): void {
    if (!this.forwarders.remove(id)) throw new RelayError(Codes.INVALID_STREAM, `No such RTP forwarder ${id}`);
  }

  private sendRembs(): void {
    if (this.bitrate <= 0 || !this.webrtcUp || this.closing) return;
    for (const feed of this.feeds.values()) {
      if (feed.kind !== 'video') continue;
      const ssrcs = feed.layerSsrcs.slice(0, feed.layers).filter((s) => s !== 0);
      const t = this.receivers.get(feed);
      if (ssrcs.length && t) sendRemb(t.receiver, this.bitrate, ssrcs).catch(noop);
    }
  }

  override tick(now: number, noMediaMs: number, everySecond: boolean): void {
    super.tick(now, noMediaMs, everySecond);
    if (this.closing) return;
    for (const feed of this.feeds.values()) {
      feed.tick(now);
      this.reportMedia(feed, feed.kind, now, noMediaMs);
    }
    if (everySecond) this.sendRembs();
    if (everySecond && this.firEveryMs > 0 && now - this.lastFirAt >= this.firEveryMs) {
      // Janus's fir_freq: a keyframe now and then, whether or not a subscriber asked for one.
      this.lastFirAt = now;
      for (const feed of this.feeds.values()) if (feed.kind === 'video') feed.requestKeyframe(now);
    }
  }

  protected counters(): MidCounters[] {
    const out: MidCounters[] = [];
    for (const f of this.feeds.values()) {
      let packetsOut = 0;
      let bytesOut = 0;
      let nacksIn = 0;
      let plisIn = 0;
      for (const l of f.legs) {
        packetsOut += l.packetsOut;
        bytesOut += l.bytesOut;
        nacksIn += l.nacksIn;
        plisIn += l.plisIn;
      }
      out.push({
        mid: f.mid,
        media: f.kind,
        receiving: f.receiving === true,
        packetsIn: f.packetsIn,
        bytesIn: f.bytesIn,
        packetsOut,
        bytesOut,
        nacksIn,
        nacksOut: 0,
        plisIn,
        plisOut: f.plisOut,
      });
    }
    if (this.dataMid !== undefined) out.push(dataCounters(this.dataMid, this.channels.size > 0, this.data));
    return out;
  }

  protected sfuInfo(): Record<string, unknown> {
    return {
      bitrate: this.bitrate,
      streams: this.streams,
      feeds: [...this.feeds.values()].map((f) => ({
        mid: f.mid,
        codec: f.codecName,
        simulcast: f.simulcast,
        rids: f.rids,
        ssrcs: f.layerSsrcs.slice(0, f.layers),
        subscribers: f.legs.length,
        enabled: f.enabled,
        moderated: f.moderated,
        ...(f.talk ? { talking: f.talk.talking } : {}),
      })),
      dataModerated: this.dataModerated,
      dataSubscribers: this.dataSinks.size,
      forwarders: this.forwarders.info(),
      dataIndex: this.dataIndex,
    };
  }

  protected override release(): void {
    this.forwarders.closeAll();
    for (const feed of this.feeds.values()) feed.close();
    this.dataSinks.clear();
  }
}
