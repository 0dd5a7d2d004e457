import type { RTCDataChannel, RTCDtlsTransport, RTCRtpTransceiver } from 'werift';
import type { MidCounters } from '../../shared/control/commands.js';
import type { FeedIdValue, SfuStreamRequest, SfuSubscriberStream } from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import { janusSubscriberOffer } from '../sdp.js';
import { dataCounters, type PeerDeps } from '../peer/base.js';
import { preferDtlsServer } from '../peer/werift.js';
import { rollBackIceRestart, snapshotIceSession, type IceSessionSnapshot } from '../peer/iceRestartRollback.js';
import type { FeedSource, FeedStream } from './feed.js';
import type { RetransmitWindow } from './history.js';
import { Leg, type LegOwner } from './leg.js';
import { SfuPeerBase, type SfuContext } from './peer.js';
import { sectionMids } from './sdp.js';
import { cloneCodec, defaultCodec, firTargets, midExtensionId } from './wire.js';
import { SrtpOutput } from './srtpOutput.js';
import { DataLeg } from './dataLeg.js';
import { sameCodec } from './codecMatch.js';

/** How a subscriber finds publishers on this relay. */
export interface FeedLookup {
  publisher(feedKey: string): FeedSource | undefined;
}

const DATA_LABEL = 'JanusDataChannel';

/**
 * A VideoRoom subscriber: one PeerConnection the relay offers, one sendonly m-line per subscribed
 * publisher stream ({@link Leg}), a data channel for subscribed publishers' data. Streams are added
 * (`sfu.update`, reusing inactive m-lines), removed (inactive), switched to another source without
 * renegotiation (`sfu.switch`), configured (`send`, simulcast layers), paused and resumed.
 */
export class SfuSubscriber extends SfuPeerBase implements LegOwner {
  readonly role = 'subscriber' as const;
  paused = false;
  readonly legs: Leg[] = [];
  private dataLegs: DataLeg[] = [];
  private channel: RTCDataChannel | undefined;
  private dataMid: string | undefined;
  private dataIndex = 0;
  private midExtId: number | undefined;
  private data = { packetsOut: 0, bytesOut: 0 };
  /** The ICE session before our pending ICE-restart offer, put back if its answer is refused. */
  private beforeRestart: IceSessionSnapshot | undefined;

  /** Legs resend what their subscriber NACKs within the relay-wide window (read live). */
  get retransmitWindow(): RetransmitWindow {
    return this.deps.settings;
  }

  constructor(
    deps: PeerDeps,
    sfu: SfuContext,
    private readonly lookup: FeedLookup,
  ) {
    super(deps, sfu);
  }

  // ---- negotiation ---------------------------------------------------------------------------

  /** `peer.create`: the first offer. */
  async start(requests: SfuStreamRequest[]): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    this.assertOpen();
    for (const req of requests) this.addStream(req, false);
    return this.offer(false);
  }

  /** `sfu.update`: deactivates `remove`, adds `add` (reusing inactive m-lines), renegotiates. */
  async update(add: SfuStreamRequest[], remove: string[]): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    this.assertOpen();
    this.assertStable();
    for (const mid of remove) this.removeMid(mid);
    for (const req of add) this.addStream(req, true);
    return this.offer(false);
  }

  /** `sfu.configure restart:true`: an ICE-restart offer (werift restarts its ICE agent as it makes it). */
  async restart(): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    this.assertOpen();
    this.assertStable();
    const before = snapshotIceSession(this.pc);
    const offer = await this.offer(true);
    this.beforeRestart = before;
    return offer;
  }

  private assertStable(): void {
    if (this.pc.signalingState !== 'stable')
      throw new RelayError(Codes.WEBRTC_STATE, `Renegotiation already in progress (${this.pc.signalingState})`);
  }

  private async offer(iceRestart: boolean): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    const offer = await this.pc.createOffer({ iceRestart });
    const sdp = await this.applyLocal({ type: 'offer', sdp: offer.sdp });
    this.afterNegotiation(sdp);
    return { sdp: janusSubscriberOffer(sdp), streams: this.streamList() };
  }

  /** The client's answer to the last offer (`peer.answer`); a refused ICE-restart answer takes the restart back. */
  async acceptAnswer(sdp: string): Promise<void> {
    const beforeRestart = this.beforeRestart;
    this.beforeRestart = undefined;
    await this.applyAnswer(sdp).catch(async (err: unknown) => {
      if (!beforeRestart || this.closing || this.pc.signalingState !== 'have-local-offer') throw err;
      this.sdps.local = await rollBackIceRestart(this.pc, beforeRestart);
      this.log.info('ICE restart rolled back: its answer was refused', { error: String(err) });
      throw err;
    });
    this.afterNegotiation(this.pc.localDescription?.sdp ?? '');
  }

  /**
   * `peer.offer`: a new offer of a client whose last description was an offer too (a WHEP player's
   * ICE restart), answered on the m-lines it has; a client the relay offers to only answers. Legs are
   * tied to m-lines, so an offer that adds, drops or reorders one is refused (465) and changes nothing.
   */
  async acceptOffer(sdp: string): Promise<{ sdp: string }> {
    const summary = this.checkOffer(sdp);
    if (this.pc.remoteDescription?.type !== 'offer')
      throw new RelayError(Codes.WEBRTC_STATE, 'Subscribers answer our offers (only one that offered offers again)');
    const offered = sectionMids(sdp).map((s) => `${s.kind}:${s.mid ?? ''}`);
    const current = sectionMids(this.pc.localDescription?.sdp ?? '').map((s) => `${s.kind}:${s.mid ?? ''}`);
    if (offered.join(' ') !== current.join(' '))
      throw new RelayError(Codes.INVALID_SDP, 'Invalid SDP (a subscriber’s offer must keep its m-lines)');
    await this.applyRemote('offer', sdp, summary);
    const answer = await this.pc.createAnswer();
    const local = await this.applyLocal({ type: 'answer', sdp: preferDtlsServer(answer.sdp, sdp) });
    this.afterNegotiation(local);
    return { sdp: local };
  }

  /**
   * `peer.create` with the client's offer (a WHEP player offers recvonly m-lines): each requested
   * audio/video stream takes the client's first unused m-line of its kind, in the feed's codec when the
   * client offered it; m-lines left over, or without that codec, are answered inactive. Later changes
   * (a feed gone) renegotiate with the relay's offers as usual.
   */
  async answerOffer(
    requests: SfuStreamRequest[],
    offerSdp: string,
  ): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    await this.applyRemote('offer', offerSdp, this.checkOffer(offerSdp));
    const free = this.pc.getTransceivers().filter((t) => t.kind === 'audio' || t.kind === 'video');
    for (const req of requests) {
      if (req.type === 'data') continue;
      const i = free.findIndex((t) => t.kind === req.type);
      if (i < 0) continue;
      const [t] = free.splice(i, 1);
      const feed = this.feedOf(req.feedKey, req.feedMid, req.type);
      const codec = feed && t!.codecs.find((c) => sameCodec(c, feed.codecParams));
      if (codec) t!.codecs = [codec];
      this.addLeg(t!, req.type, req, codec ? feed : undefined);
    }
    for (const t of free) t.setDirection('inactive');
    const answer = await this.pc.createAnswer();
    const sdp = await this.applyLocal({ type: 'answer', sdp: preferDtlsServer(answer.sdp, offerSdp) });
    this.afterNegotiation(sdp);
    return { sdp, streams: this.streamList() };
  }

  private afterNegotiation(localSdp: string): void {
    const mids = sectionMids(localSdp);
    this.midExtId = midExtensionId(this.pc) ?? this.midExtId;
    for (const leg of this.legs) {
      const s = mids.find((m) => m.mid === leg.mid);
      if (s) leg.mindex = s.index;
      leg.refresh(this.midExtId);
    }
    const app = mids.find((m) => m.kind === 'application');
    if (app?.mid !== undefined) {
      this.dataMid = app.mid;
      this.dataIndex = app.index;
    }
  }

  // ---- streams -------------------------------------------------------------------------------

  private feedOf(feedKey: string, feedMid: string, kind: 'audio' | 'video'): FeedStream | undefined {
    const f = this.lookup.publisher(feedKey)?.feeds.get(feedMid);
    return f && f.kind === kind && !f.closed && !f.disabled && f.codecParams ? f : undefined;
  }

  private addStream(req: SfuStreamRequest, reuse: boolean): void {
    if (req.type === 'data') {
      const pub = this.lookup.publisher(req.feedKey);
      const ok = pub && !pub.closed && pub.dataMid === req.feedMid ? pub : undefined;
      this.dataLegs = this.dataLegs.filter((d) => d.active);
      this.dataLegs.push(new DataLeg(this, req.feedId, req.feedKey, req.feedMid, req.send ?? true, ok));
      if (!this.channel) this.openChannel();
      return;
    }
    const kind = req.type;
    const feed = this.feedOf(req.feedKey, req.feedMid, kind);
    const codec = feed?.codecParams ? cloneCodec(feed.codecParams) : defaultCodec(kind);
    const leg = reuse
      ? this.legs.find((l) => !l.active && l.kind === kind && sameCodec(l.transceiver.codecs[0], codec))
      : undefined;
    if (!leg) {
      const t = this.pc.addTransceiver(kind, { direction: feed ? 'sendonly' : 'inactive' });
      t.codecs = [codec];
      // a mid the edge chose (Streaming viewers see the mountpoint's); werift allocates the others
      if (req.mid !== undefined && !this.legs.some((l) => l.mid === req.mid)) t.mid = req.mid;
      this.addLeg(t, kind, req, feed);
      return;
    }
    leg.feedId = req.feedId;
    leg.feedKey = req.feedKey;
    leg.feedMid = req.feedMid;
    leg.send = req.send ?? true;
    leg.setTargets(req.substream ?? 2, req.temporal ?? 2, req.fallback ?? 0);
    leg.transceiver.setDirection(feed ? 'sendonly' : 'inactive');
    leg.active = feed !== undefined;
    leg.attach(feed);
    leg.updateGate();
  }

  /** A new leg on its m-line, fed by `feed` (none: inactive), answering its subscriber's NACKs and PLIs. */
  private addLeg(t: RTCRtpTransceiver, kind: 'audio' | 'video', req: SfuStreamRequest, feed?: FeedStream): void {
    const leg = new Leg(this, kind, t, req);
    t.sender.onGenericNack.subscribe((nack) => leg.onNack(nack.lost));
    t.sender.onPictureLossIndication.subscribe(() => {
      leg.plisIn++;
      leg.feed?.requestKeyframe();
    });
    this.legs.push(leg);
    t.setDirection(feed ? 'sendonly' : 'inactive');
    leg.active = feed !== undefined;
    leg.attach(feed);
    leg.updateGate();
  }

  private removeMid(mid: string): void {
    if (mid === this.dataMid) {
      for (const d of this.dataLegs) {
        d.detach();
        d.keep = false;
      }
      return;
    }
    const leg = this.legs.find((l) => l.mid === mid);
    if (!leg) return;
    leg.active = false;
    leg.attach(undefined);
    leg.updateGate();
    leg.transceiver.setDirection('inactive');
  }

  /** `sfu.switch`: re-points m-lines to other publisher streams of the same type (no renegotiation). */
  switchStreams(changes: Array<{ sub_mid: string; feedKey: string; mid: string; feedId?: FeedIdValue }>): void {
    this.assertOpen();
    const plan: Array<{ leg: Leg; feed: FeedStream; c: (typeof changes)[number] }> = [];
    for (const c of changes) {
      const leg = this.legs.find((l) => l.mid === c.sub_mid);
      if (!leg) throw new RelayError(Codes.INVALID_STREAM, `No such subscription m-line ${c.sub_mid}`);
      if (!leg.active) throw new RelayError(Codes.WEBRTC_STATE, `m-line ${c.sub_mid} is inactive (use update)`);
      const feed = this.feedOf(c.feedKey, c.mid, leg.kind);
      if (!feed) throw new RelayError(Codes.INVALID_STREAM, `No ${leg.kind} stream ${c.mid} on feed ${c.feedKey}`);
      if (!sameCodec(leg.transceiver.codecs[0], feed.codecParams))
        throw new RelayError(Codes.INVALID_STREAM, `Codec mismatch switching m-line ${c.sub_mid}`);
      plan.push({ leg, feed, c });
    }
    for (const { leg, feed, c } of plan) {
      // as Janus, a switched m-line sends its new source whatever its `send` was
      Object.assign(leg, { feedKey: c.feedKey, feedMid: c.mid, send: true });
      if (c.feedId !== undefined) leg.feedId = c.feedId;
      leg.attach(feed);
      leg.updateGate();
    }
  }

  /** `sfu.configure` (subscriber): per-mid `send`, simulcast targets and fallback. */
  configure(
    streams: Array<{ mid: string; send?: boolean; substream?: number; temporal?: number; fallback?: number }>,
  ): void {
    this.assertOpen();
    for (const s of streams) {
      if (s.mid === this.dataMid) {
        if (s.send !== undefined) for (const d of this.dataLegs) d.send = s.send;
        continue;
      }
      const leg = this.legs.find((l) => l.mid === s.mid);
      if (!leg) throw new RelayError(Codes.INVALID_STREAM, `No such subscription m-line ${s.mid}`);
      if (s.send !== undefined) leg.send = s.send;
      const changed = leg.setTargets(s.substream, s.temporal, s.fallback);
      leg.updateGate();
      if (changed && leg.on && (leg.feed?.simulcast || leg.feed?.svc)) leg.feed.requestKeyframe();
    }
  }

  setPaused(paused: boolean): void {
    this.assertOpen();
    if (this.paused === paused) return;
    this.paused = paused;
    for (const leg of this.legs) leg.updateGate();
  }

  legStarted(leg: Leg): void {
    if (leg.kind === 'video' && this.webrtcUp) leg.feed?.requestKeyframe();
  }

  streamList(): SfuSubscriberStream[] {
    const out: SfuSubscriberStream[] = this.legs.map((l) => ({
      mindex: l.mindex,
      mid: l.mid,
      type: l.kind,
      feedId: l.feedId,
      feedMid: l.feedMid,
      active: l.active,
      send: l.send,
    }));
    if (this.dataMid !== undefined) {
      for (const d of this.dataLegs)
        out.push({
          mindex: this.dataIndex,
          mid: this.dataMid,
          type: 'data',
          feedId: d.feedId,
          feedMid: d.feedMid,
          active: d.active,
          send: d.send,
        });
    }
    return out.sort((a, b) => a.mindex - b.mindex);
  }

  // ---- data ----------------------------------------------------------------------------------

  private openChannel(): void {
    const dc = this.pc.createDataChannel(DATA_LABEL);
    this.channel = dc;
    this.trackChannel(dc);
    dc.stateChanged.subscribe((state) => {
      if (state === 'closed' && this.channel === dc) this.channel = undefined;
    });
  }

  /** Whether {@link sendData} would deliver now. */
  dataOpen(): boolean {
    return this.channel?.readyState === 'open' && !this.paused && !this.closing;
  }

  sendData(msg: string | Buffer): void {
    const dc = this.channel;
    if (!dc || dc.readyState !== 'open' || this.paused || this.closing) return;
    try {
      dc.send(msg);
      this.data.packetsOut++;
      this.data.bytesOut += typeof msg === 'string' ? Buffer.byteLength(msg) : msg.length;
    } catch {
      // channel closing
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  protected onConnected(): void {
    for (const leg of this.legs) leg.updateGate();
  }

  protected override onDtlsTransport(dtls: RTCDtlsTransport): void {
    SrtpOutput.preferCheapProfiles(dtls);
    dtls.onRtcp.subscribe((packet) => {
      const targets = firTargets(packet);
      if (!targets) return;
      for (const ssrc of targets) {
        const leg = this.legs.find((l) => l.ssrc === ssrc);
        if (leg) {
          leg.plisIn++;
          leg.feed?.requestKeyframe();
        }
      }
    });
  }

  override tick(now: number, noMediaMs: number, everySecond: boolean): void {
    super.tick(now, noMediaMs, everySecond);
    if (this.closing || !this.webrtcUp) return;
    for (const leg of this.legs) {
      this.notifyLayers(leg);
      if (everySecond) leg.sendReport();
    }
  }

  /** Janus tells a subscriber which simulcast substream / temporal layer an m-line now carries (checked on the tick, off the packet path). */
  private notifyLayers(leg: Leg): void {
    const room = this.sfu.room;
    if (!leg.on || !(leg.feed?.simulcast || leg.feed?.svc)) return;
    const substream = leg.curLayer >= 0 && leg.curLayer !== leg.notifiedLayer ? leg.curLayer : undefined;
    const temporal = leg.curTemporal >= 0 && leg.curTemporal !== leg.notifiedTemporal ? leg.curTemporal : undefined;
    if (substream === undefined && temporal === undefined) return;
    if (substream !== undefined) leg.notifiedLayer = substream;
    if (temporal !== undefined) leg.notifiedTemporal = temporal;
    // a VideoRoom subscriber's room tells it; a Streaming viewer (no room) is told by its handle's plugin
    if (room !== undefined) this.emit({ kind: 'sfu.layer', room, mid: leg.mid, substream, temporal });
    else this.emit({ kind: 'viewer.layer', mid: leg.mid, substream, temporal });
  }

  protected counters(): MidCounters[] {
    const out: MidCounters[] = this.legs.map((l) => ({
      mid: l.mid,
      media: l.kind,
      receiving: false,
      packetsIn: 0,
      bytesIn: 0,
      packetsOut: l.packetsOut,
      bytesOut: l.bytesOut,
      nacksIn: l.nacksIn,
      nacksOut: 0,
      plisIn: l.plisIn,
      plisOut: 0,
    }));
    if (this.dataMid !== undefined) out.push(dataCounters(this.dataMid, false, this.data));
    return out;
  }

  protected sfuInfo(): Record<string, unknown> {
    return {
      paused: this.paused,
      streams: this.streamList(),
      legs: this.legs.map((l) => ({
        mid: l.mid,
        ssrc: l.ssrc,
        feedKey: l.feedKey,
        feedMid: l.feedMid,
        on: l.on,
        layer: l.curLayer,
        fallbackLayer: l.simulcast.fallbackLayer,
        substream: l.simulcast.target,
        temporal: l.targetTemporal,
        temporalLayer: l.curTemporal,
        fallbackMs: l.simulcast.fallbackMs,
        retransmitted: l.retransmitted,
      })),
    };
  }

  protected override release(): void {
    for (const leg of this.legs) leg.dispose();
    for (const d of this.dataLegs) d.detach();
  }

  /** A publisher left: its data legs stay listed (active) until the edge removes them. */
  publisherGone(pub: FeedSource): void {
    for (const d of this.dataLegs) {
      if (d.publisher === pub) {
        d.detach();
        d.keep = true;
      }
    }
  }
}
