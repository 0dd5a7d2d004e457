import type { MediaStreamTrack, RTCDtlsTransport, RTCRtpTransceiver, RtpPacket } from 'werift';
import { AUDIOBRIDGE_PLUGIN, type AbPeerOptions } from '../../shared/control/audiobridge.js';
import type { MidCounters } from '../../shared/control/commands.js';
import { Codes, RelayError } from '../errors.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import type { RecordingHost } from '../recording/peerRecording.js';
import { zeroCounters, type MediaCounters } from '../metrics.js';
import { PeerBase, type PeerDeps } from '../peer/base.js';
import { preferDtlsServer } from '../peer/werift.js';
import { rejectSections } from '../sdp.js';
import { filterPublisherOffer } from '../sfu/sdp.js';
import { SrtpOutput } from '../sfu/srtpOutput.js';
import { audioLevelOf } from '../sfu/talking.js';
import { audioLevelExtensionId, LegHeader, midExtensionId, senderReport } from '../sfu/wire.js';
import type { AudioBridgeHub } from './hub.js';
import { participantMedia } from './media.js';
import { Participant, type VoiceOutput } from './participant.js';

/**
 * An AudioBridge participant over WebRTC: one sendrecv audio m-line in the participant's codec
 * (other m-lines answered rejected, as Janus does). What it sends goes to its {@link Participant}'s
 * jitter buffer; what the mixer gives it leaves with the transceiver's SSRC and the mid extension,
 * protected by the transport's {@link SrtpOutput}. Hanging up (the one termination path) takes the
 * participant out of its mixer and frees its codecs, synchronously.
 */
export class AbPeer extends PeerBase implements VoiceOutput {
  readonly plugin = AUDIOBRIDGE_PLUGIN;
  readonly participant: Participant;
  private transceiver: RTCRtpTransceiver | undefined;
  private payloadType = -1;
  private header: LegHeader | undefined;
  /** The payload type {@link header} was made with (a renegotiation may change it). */
  private headerPt = -1;
  private dtls: RTCDtlsTransport | undefined;
  private output: SrtpOutput | undefined;
  private readonly hooked = new WeakSet<MediaStreamTrack>();
  /** Janus's `mjrs`: what the participant sends, as received (peer.record). */
  private recorder: MjrWriter | undefined;
  private readonly rx = { mid: '', rxSinceTick: false, lastRxAt: 0, receiving: undefined as boolean | undefined };

  constructor(
    deps: PeerDeps,
    private readonly hub: AudioBridgeHub,
    private readonly options: AbPeerOptions,
  ) {
    const ms = options.mixerSettings;
    super(deps, participantMedia(options.codec, ms.spatial, ms.audioLevelExt));
    this.participant = new Participant(this.key, options.participant, options.codec, options.settings, this, hub);
    this.pc.onTransceiverAdded.subscribe((t) => t.onTrack.subscribe((track) => this.hookTrack(t, track)));
  }

  /** Joins the mixer (made now if this is its first participant). */
  join(): void {
    this.hub.join(this.participant, this.options.mixer, this.options.mixerSettings);
  }

  protected onConnected(): void {}

  // ---- negotiation ---------------------------------------------------------------------------

  /**
   * Answers a client offer: the first audio m-line with the codec, everything else rejected. A
   * renegotiation (janus.js's ICE restart, a re-publish) keeps that m-line, and the participant
   * stays in its mixer throughout: what it hears resumes on the same SSRC and sequence.
   */
  async acceptOffer(sdp: string): Promise<string> {
    const summary = this.checkOffer(sdp);
    const filtered = filterPublisherOffer(sdp, { audio: [this.options.codec], video: [] });
    const ours = filtered.sections.find((s) => s.kind === 'audio' && !s.rejected && s.mid !== undefined);
    if (!ours) throw new RelayError(Codes.INVALID_SDP, `Invalid SDP (no audio m-line offering ${this.options.codec})`);
    if (this.transceiver && ours.mid !== this.transceiver.mid)
      throw new RelayError(
        Codes.INVALID_SDP,
        `Invalid SDP (a renegotiation must keep the audio m-line ${this.transceiver.mid ?? ''})`,
      );
    const rejected = new Set<string>();
    for (const s of filtered.sections) if (s !== ours && s.mid !== undefined) rejected.add(s.mid);
    await this.applyRemote('offer', filtered.sdp, summary);
    for (const t of this.pc.getTransceivers()) t.setDirection(t.mid === ours.mid ? 'sendrecv' : 'inactive');
    const answer = await this.pc.createAnswer();
    const local = await this.applyLocal({ type: 'answer', sdp: preferDtlsServer(answer.sdp, sdp) });
    this.afterNegotiation();
    await this.syncRecording();
    return rejectSections(local, sdp, rejected);
  }

  /** Janus `generate_offer`: the relay offers one sendrecv audio m-line. */
  async makeOffer(): Promise<string> {
    this.assertOpen();
    this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    const offer = await this.pc.createOffer();
    const local = await this.applyLocal({ type: 'offer', sdp: offer.sdp });
    this.afterNegotiation();
    return local;
  }

  async acceptAnswer(sdp: string): Promise<void> {
    await this.applyAnswer(sdp);
    this.afterNegotiation();
  }

  private afterNegotiation(): void {
    this.hookDtls();
    const t = this.pc.getTransceivers().find((x) => x.kind === 'audio' && x.direction === 'sendrecv');
    if (!t) return;
    this.transceiver = t;
    this.rx.mid = t.mid ?? '';
    const sender = t.sender;
    const codec = sender.codec ?? t.codecs[0];
    this.payloadType = codec?.payloadType ?? -1;
    this.participant.audioLevelId = audioLevelExtensionId(t) ?? 0;
    const midId = midExtensionId(this.pc);
    if (
      this.payloadType >= 0 &&
      (!this.header || this.header.ssrc !== sender.ssrc || this.headerPt !== this.payloadType)
    ) {
      this.headerPt = this.payloadType;
      this.header = new LegHeader(
        sender.ssrc,
        this.payloadType,
        midId !== undefined && t.mid ? { id: midId, value: t.mid } : undefined,
      );
    }
    for (const track of t.receiver.tracks) this.hookTrack(t, track);
  }

  protected override onDtlsTransport(dtls: RTCDtlsTransport): void {
    SrtpOutput.preferCheapProfiles(dtls);
  }

  private hookTrack(t: RTCRtpTransceiver, track: MediaStreamTrack): void {
    if (t !== this.transceiver || this.hooked.has(track)) return;
    this.hooked.add(track);
    track.onReceiveRtp.subscribe((rtp) => this.onRtp(rtp));
  }

  private onRtp(rtp: RtpPacket): void {
    if (this.closing) return;
    const h = rtp.header;
    if (h.payloadType !== this.payloadType) return;
    this.rx.rxSinceTick = true;
    this.recorder?.writeRtp(h.ssrc, h.payloadType, h.sequenceNumber, h.timestamp, h.marker, rtp.payload);
    const id = this.participant.audioLevelId;
    this.receiveVoice(rtp, id ? audioLevelOf(h.extensions, id) : -1);
  }

  /** A packet of the participant's voice (its level, or -1): into the mixer here; a bridge peer passes it on. */
  protected receiveVoice(rtp: RtpPacket, level: number): void {
    this.participant.receive(rtp.header.sequenceNumber, rtp.payload, level);
  }

  /** Janus's `mjrs`: one `.mjr` of the participant's audio m-line, as it arrives (name `<base>-audio.mjr`). */
  protected override recordingSource(): Omit<RecordingHost, 'emitRecording'> {
    return {
      recordableStreams: () => {
        const t = this.transceiver;
        const codec = t?.sender.codec ?? t?.codecs[0];
        if (!t?.mid || !codec) return [];
        const mindex = this.remote?.sections.find((s) => s.mid === t.mid)?.index ?? 0;
        return [{ mid: t.mid, kind: 'audio', mindex, codec: codec.mimeType.split('/')[1] }];
      },
      attachRecorder: (_stream, writer) => {
        this.recorder = writer;
      },
      detachRecorder: (_stream, writer) => {
        if (this.recorder === writer) this.recorder = undefined;
      },
    };
  }

  // ---- the mixer's output --------------------------------------------------------------------

  ready(): boolean {
    if (!this.webrtcUp || this.closing || !this.header) return false;
    if (!this.output) {
      this.dtls = this.transceiver?.sender.dtlsTransport;
      this.output = this.dtls ? SrtpOutput.of(this.dtls) : undefined;
    }
    return this.output !== undefined;
  }

  send(payload: Buffer, seq: number, timestamp: number, marker: boolean): void {
    this.header!.set(seq, timestamp, marker).send(this.output!, this.dtls!, payload);
  }

  // ---- periodic work, info, teardown ---------------------------------------------------------

  override tick(now: number, noMediaMs: number, everySecond: boolean): void {
    if (this.closing) return;
    super.tick(now, noMediaMs, everySecond);
    if (!this.closing && this.transceiver) this.reportMedia(this.rx, 'audio', now, noMediaMs);
    if (everySecond) this.sendSenderReport();
  }

  /** An RTCP sender report once a second about the mix we send (as Janus; werift sends none for packets it did not send). */
  private sendSenderReport(): void {
    const p = this.participant;
    const sender = this.transceiver?.sender;
    if (!sender || !this.output || this.closing || p.counters.packetsOut === 0) return;
    const c = p.counters;
    const report = senderReport(
      sender,
      c.packetsOut,
      c.bytesOut - 12 * c.packetsOut,
      p.lastSentTimestamp,
      p.lastSentAt,
    );
    this.output.sendRtcp(report, sender.ssrc);
  }

  protected counters(): MidCounters[] {
    if (!this.transceiver) return [];
    return [
      {
        ...zeroCounters(),
        ...this.participant.counters,
        mid: this.rx.mid,
        media: 'audio',
        receiving: this.rx.receiving === true,
      },
    ];
  }

  override totals(into: MediaCounters): MediaCounters {
    const c = this.participant.counters;
    into.packetsIn += c.packetsIn;
    into.bytesIn += c.bytesIn;
    into.packetsOut += c.packetsOut;
    into.bytesOut += c.bytesOut;
    return into;
  }

  /** Leaves the mixer at once (the next tick no longer sees this participant). */
  protected override release(): void {
    this.hub.leave(this.participant);
  }
}
