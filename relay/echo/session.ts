import type { MediaStreamTrack, RTCDataChannel, RTCRtpTransceiver, RtpPacket } from 'werift';
import type { EchoSettings, EchoState, MidCounters, PeerOptions } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import { addCounters, zeroCounters, type MediaCounters } from '../metrics.js';
import { dataCounters, noop, PeerBase, type PeerDeps } from '../peer/base.js';
import { relayMedia } from '../peer/factory.js';
import { rejectedMids, rejectSections } from '../sdp.js';
import {
  copyPacket,
  preferDtlsServer,
  rebaseSender,
  ridExtensionIds,
  sendRemb,
  senderQuality,
  skipSequenceNumber,
} from '../peer/werift.js';
import { vp8TemporalId } from '../sfu/payload.js';
import { newMidState, targetRid, type MidState } from './mid.js';
import { slowlinkEvents, statsEvent } from './stats.js';
import type { MjrWriter } from '../recording/mjrWriter.js';
import type { RecordableStream, RecordingHost } from '../recording/peerRecording.js';

export const ECHOTEST_PLUGIN = 'janus.plugin.echotest';
const KEYFRAME_MIN_INTERVAL_MS = 500;

/** Janus EchoTest: every RTP stream goes back on its own mid, data channel messages are echoed. */
export class EchoSession extends PeerBase {
  readonly plugin = ECHOTEST_PLUGIN;
  private readonly mids = new Map<string, MidState>();
  private readonly data = { mid: undefined as string | undefined, c: zeroCounters() };
  private readonly echo: EchoState;
  /** This peer's own threshold (EchoTest option), else the relay-wide one. */
  private readonly slowlinkThreshold: number | undefined;
  /** rid header extensions are not echoed (the echo is a single, non-simulcast stream). */
  private ridExtIds: ReadonlySet<number> = new Set();
  /** Recording (peer.record): the file of each recorded mid. */
  private readonly recorders = new Map<string, MjrWriter>();

  constructor(deps: PeerDeps, o: PeerOptions) {
    super(deps, relayMedia);
    this.echo = {
      audio: o.audio ?? true,
      video: o.video ?? true,
      data: o.data ?? true,
      bitrate: o.bitrate ?? 0,
      substream: o.substream ?? 2,
      temporal: o.temporal ?? 2,
    };
    this.slowlinkThreshold = o.slowlinkThreshold;
    this.pc.onTransceiverAdded.subscribe((t) => this.hookTransceiver(t));
    this.pc.onDataChannel.subscribe((dc) => this.hookDataChannel(dc));
  }

  protected onConnected(): void {
    for (const st of this.mids.values()) if (st.media === 'video') st.needKeyframe = true;
    if (this.echo.bitrate > 0) this.sendRembs();
  }

  // ---- wiring --------------------------------------------------------------------------------

  private hookTransceiver(t: RTCRtpTransceiver): void {
    if (t.kind !== 'audio' && t.kind !== 'video') return;
    t.onTrack.subscribe((track) => this.hookTrack(t, track));
    const sender = t.sender;
    sender.onPictureLossIndication.subscribe(() => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.plisIn++;
      st.needKeyframe = true; // forwarded to the client on its next packet
    });
    sender.onGenericNack.subscribe((nack) => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.nacksIn++;
      st.nacksInWindow += nack.lost.length;
    });
    t.receiver.onPacketLost.subscribe((nack) => {
      const st = t.mid ? this.mids.get(t.mid) : undefined;
      if (!st) return;
      st.c.nacksOut++;
      st.nacksOutWindow += nack.lost.length;
    });
  }

  /** Registers the mids of the current descriptions (after every negotiation). */
  private syncMids(rejected: ReadonlySet<string>): void {
    const sections = this.remote?.sections ?? [];
    for (const t of this.pc.getTransceivers()) {
      if (!t.mid || (t.kind !== 'audio' && t.kind !== 'video')) continue;
      const section = sections.find((s) => s.mid === t.mid);
      let st = this.mids.get(t.mid);
      if (!st) {
        st = newMidState(t.mid, t.kind, section?.index ?? t.mLineIndex ?? 0, t);
        this.mids.set(t.mid, st);
      }
      if (section) {
        st.mindex = section.index;
        st.rids = section.simulcastRids;
      }
      st.rejected = rejected.has(t.mid);
      st.codec = t.sender.codec?.name?.toLowerCase() ?? t.codecs[0]?.name?.toLowerCase();
    }
    const appSection = sections.find((s) => s.kind === 'application');
    if (appSection?.mid) this.data.mid = appSection.mid;
  }

  private hookTrack(t: RTCRtpTransceiver, track: MediaStreamTrack): void {
    const mid = t.mid;
    const st = mid ? this.mids.get(mid) : undefined;
    if (!st || st.hooked.has(track)) return;
    st.hooked.add(track);
    track.onReceiveRtp.subscribe((rtp) => this.onRtp(st, track, rtp));
  }

  private hookDataChannel(dc: RTCDataChannel): void {
    this.trackChannel(dc);
    dc.onMessage.subscribe((msg) => {
      const c = this.data.c;
      const size = typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
      c.packetsIn++;
      c.bytesIn += size;
      const rec = this.data.mid !== undefined ? this.recorders.get(this.data.mid) : undefined;
      if (rec && !this.closing) rec.writeData(typeof msg === 'string' ? Buffer.from(msg) : msg);
      if (!this.echo.data || dc.readyState !== 'open') return;
      c.packetsOut++;
      c.bytesOut += size;
      try {
        dc.send(msg);
      } catch (err) {
        this.log.debug('data channel echo failed', { err });
      }
    });
  }

  // ---- the packet path -----------------------------------------------------------------------

  private onRtp(st: MidState, track: MediaStreamTrack, rtp: RtpPacket): void {
    if (st.rejected) return;
    const c = st.c;
    const size = rtp.serializeSize;
    c.packetsIn++;
    c.bytesIn += size;
    st.rxSinceTick = true;
    if (this.closing) return;
    if (st.media === 'audio' ? !this.echo.audio : !this.echo.video) return;
    const sender = st.transceiver.sender;
    if (st.rids.length > 1 && track.rid !== undefined) {
      const target = targetRid(st, this.echo.substream);
      if (track.rid !== st.currentRid) {
        // Switch when the target layer shows up, or take whatever comes first.
        if (track.rid !== target && st.currentRid !== undefined) return;
        st.currentRid = track.rid;
        rebaseSender(sender, rtp);
        st.needKeyframe = true;
      }
    }
    // Janus's `temporal`: VP8 frames above the chosen temporal layer are not echoed.
    if (st.codec === 'vp8' && this.echo.temporal < 2 && vp8TemporalId(rtp.payload) > this.echo.temporal) {
      skipSequenceNumber(sender);
      return;
    }
    if (st.needKeyframe && st.media === 'video') this.requestKeyframe(st, rtp.header.ssrc);
    st.ssrcs.add(rtp.header.ssrc);
    if (this.recorders.size > 0) {
      // Janus's EchoTest records what it echoes
      const h = rtp.header;
      this.recorders.get(st.mid)?.writeRtp(h.ssrc, h.payloadType, h.sequenceNumber, h.timestamp, h.marker, rtp.payload);
    }
    const out = copyPacket(rtp, st.rids.length > 0 ? this.ridExtIds : undefined);
    c.packetsOut++;
    c.bytesOut += size;
    sender.sendRtp(out).catch(noop);
  }

  private requestKeyframe(st: MidState, ssrc: number): void {
    const now = Date.now();
    if (now - st.lastPliAt < KEYFRAME_MIN_INTERVAL_MS) return;
    st.lastPliAt = now;
    st.needKeyframe = false;
    st.c.plisOut++;
    st.transceiver.receiver.sendRtcpPLI(ssrc).catch(noop);
  }

  // ---- negotiation ---------------------------------------------------------------------------

  /**
   * Applies a client offer and returns the relay's answer (initial offer or renegotiation). m-lines
   * the offer rejects (port 0) are answered rejected and echo nothing; the others go on.
   */
  async acceptOffer(sdp: string): Promise<string> {
    const summary = this.checkOffer(sdp);
    const rejected = rejectedMids(summary);
    await this.applyRemote('offer', sdp, summary);
    for (const t of this.pc.getTransceivers()) {
      if (t.kind === 'audio' || t.kind === 'video')
        t.setDirection(t.mid && rejected.has(t.mid) ? 'inactive' : 'sendrecv');
    }
    const answer = await this.pc.createAnswer();
    const local = await this.applyLocal({ type: 'answer', sdp: preferDtlsServer(answer.sdp, sdp) });
    this.afterNegotiation(rejected);
    await this.syncRecording();
    return rejectSections(local, sdp, rejected);
  }

  /** A relay-made offer (peer.create without an offer): audio, video and a data channel, sendrecv. */
  async makeOffer(): Promise<string> {
    this.assertOpen();
    this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.pc.addTransceiver('video', { direction: 'sendrecv' });
    this.hookDataChannel(this.pc.createDataChannel('JanusDataChannel'));
    const offer = await this.pc.createOffer();
    const local = await this.applyLocal({ type: 'offer', sdp: offer.sdp });
    this.afterNegotiation();
    return local;
  }

  /** The client's answer to {@link makeOffer}. */
  async acceptAnswer(sdp: string): Promise<void> {
    await this.applyAnswer(sdp);
    this.afterNegotiation();
    await this.syncRecording();
  }

  /** One file per kind (the first m-line of each), as Janus's EchoTest: audio, video, data. */
  protected override recordingSource(): Omit<RecordingHost, 'emitRecording'> {
    return {
      recordableStreams: () => {
        const out: RecordableStream[] = [];
        for (const st of this.mids.values())
          if (!st.rejected && st.codec) out.push({ mid: st.mid, kind: st.media, mindex: st.mindex, codec: st.codec });
        const mid = this.data.mid;
        const index = this.remote?.sections.find((s) => s.mid === mid)?.index ?? 0;
        if (mid !== undefined) out.push({ mid, kind: 'data', mindex: index, codec: undefined });
        return out;
      },
      attachRecorder: (stream, writer) => {
        this.recorders.set(stream.mid, writer);
        const st = this.mids.get(stream.mid);
        if (st?.media === 'video') st.needKeyframe = true; // Janus sends a PLI when recording starts
      },
      detachRecorder: (stream, writer) => {
        if (this.recorders.get(stream.mid) === writer) this.recorders.delete(stream.mid);
      },
    };
  }

  private afterNegotiation(rejected: ReadonlySet<string> = new Set()): void {
    this.ridExtIds = ridExtensionIds(this.pc);
    this.syncMids(rejected);
    for (const t of this.pc.getTransceivers()) {
      // Tracks that werift announced before the mid was known.
      for (const track of t.receiver.tracks) this.hookTrack(t, track);
    }
    this.hookDtls();
  }

  // ---- EchoTest settings ---------------------------------------------------------------------

  configure(settings: EchoSettings): EchoState {
    const before = { ...this.echo };
    for (const k of ['audio', 'video', 'data', 'bitrate', 'substream', 'temporal'] as const) {
      const v = settings[k];
      if (v !== undefined) (this.echo as Record<string, unknown>)[k] = v;
    }
    if (!before.video && this.echo.video)
      for (const st of this.mids.values()) if (st.media === 'video') st.needKeyframe = true;
    if (before.substream !== this.echo.substream)
      for (const st of this.mids.values()) if (st.rids.length > 1) st.needKeyframe = true;
    if (settings.bitrate !== undefined && this.webrtcUp) this.sendRembs();
    return { ...this.echo };
  }

  private sendRembs(): void {
    if (this.echo.bitrate <= 0) return;
    for (const st of this.mids.values()) {
      if (st.media !== 'video' || st.rejected || st.ssrcs.size === 0) continue;
      sendRemb(st.transceiver.receiver, this.echo.bitrate, [...st.ssrcs]).catch(noop);
    }
  }

  // ---- periodic work -------------------------------------------------------------------------

  override tick(now: number, noMediaMs: number, everySecond: boolean): void {
    if (this.closing) return;
    super.tick(now, noMediaMs, everySecond);
    if (this.closing) return; // the setup timeout hung it up
    for (const st of this.mids.values()) if (!st.rejected) this.reportMedia(st, st.media, now, noMediaMs);
    if (!everySecond) return;
    if (this.echo.bitrate > 0 && this.webrtcUp) this.sendRembs();
    const threshold = this.slowlinkThreshold ?? this.deps.settings.slowlinkThreshold;
    slowlinkEvents(this.mids.values(), threshold, now, (event) => this.emit(event));
  }

  override statsEvent(now: number): PeerEvent | undefined {
    if (this.closing || !this.webrtcUp) return undefined;
    const dataMindex = this.remote?.sections.find((s) => s.mid === this.data.mid)?.index ?? 0;
    return statsEvent(this.mids.values(), { ...this.data, mindex: dataMindex }, now);
  }

  /** Counters of every mid, summed (for metrics). */
  override totals(into: MediaCounters = zeroCounters()): MediaCounters {
    for (const st of this.mids.values()) addCounters(into, st.c);
    addCounters(into, this.data.c);
    return into;
  }

  protected counters(): MidCounters[] {
    const counters: MidCounters[] = [];
    for (const st of this.mids.values()) {
      counters.push({ mid: st.mid, media: st.media, receiving: st.receiving === true, ...st.c });
    }
    if (this.data.mid !== undefined) counters.push(dataCounters(this.data.mid, this.channels.size > 0, this.data.c));
    return counters;
  }

  /** Janus's echotest `peer-bitrate`: the REMB the client last sent about the video we echo. */
  protected override peerBitrate(): number {
    let remb = 0;
    for (const st of this.mids.values())
      if (st.media === 'video') remb = Math.max(remb, senderQuality(st.transceiver.sender).remb);
    return remb;
  }

  protected override echoSettings(): EchoState {
    return { ...this.echo };
  }
}
