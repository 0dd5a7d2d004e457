import type { RTCDataChannel, RTCDtlsTransport } from 'werift';
import type { MidCounters } from '../../shared/control/commands.js';
import type { FeedIdValue, SfuStreamRequest, SfuSubscriberStream } from '../../shared/control/sfu.js';
import { Codes, RelayError } from '../errors.js';
import { janusSubscriberOffer } from '../sdp.js';
import { dataCounters, type PeerDeps } from '../peer/base.js';
import type { FeedSource, FeedStream } from './feed.js';
import type { RetransmitWindow } from './history.js';
import { Leg, type LegOwner } from './leg.js';
import type { DataSink } from './outputs.js';
import { SfuPeerBase, type SfuContext } from './peer.js';
import { sectionMids } from './sdp.js';
import { cloneCodec, defaultCodec, firTargets, midExtensionId } from './wire.js';
import { SrtpOutput } from './srtpOutput.js';

/** How a subscriber finds publishers on this relay. */
export interface FeedLookup {
  publisher(feedKey: string): FeedSource | undefined;
}

/** A data "stream" of a subscriber: one publisher's data channel messages, on the single m=application. */
class DataLeg implements DataSink {
  constructor(
    readonly sub: SfuSubscriber,
    public feedId: FeedIdValue,
    public feedKey: string,
    public feedMid: string,
    public send: boolean,
    public publisher: FeedSource | undefined,
  ) {
    publisher?.dataSinks.add(this);
  }
  get active(): boolean {
    return this.publisher !== undefined || this.keep;
  }
  /** Stays listed as active after its publisher left, until the edge removes it (like media legs). */
  keep = false;
  sendData(msg: string | Buffer): void {
    if (this.send) this.sub.sendData(msg);
  }
  detach(): void {
    this.publisher?.dataSinks.delete(this);
    this.publisher = undefined;
  }
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

  /** `sfu.configure restart:true`: an ICE-restart offer. */
  async restart(): Promise<{ sdp: string; streams: SfuSubscriberStream[] }> {
    this.assertOpen();
    this.assertStable();
    return this.offer(true);
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

  /** The client's answer to the last offer (`peer.answer`). */
  async acceptAnswer(sdp: string): Promise<void> {
    await this.applyAnswer(sdp);
    this.afterNegotiation(this.pc.localDescription?.sdp ?? '');
  }

  acceptOffer(): never {
    throw new RelayError(Codes.WEBRTC_STATE, 'Subscribers do not send offers (only answers)');
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
    let leg = reuse
      ? this.legs.find((l) => !l.active && l.kind === kind && sameCodec(l.transceiver.codecs[0], codec))
      : undefined;
    if (leg) {
      leg.feedId = req.feedId;
      leg.feedKey = req.feedKey;
      leg.feedMid = req.feedMid;
      leg.send = req.send ?? true;
      leg.setTargets(req.substream ?? 2, req.temporal ?? 2, req.fallback ?? 0);
    } else {
      const t = this.pc.addTransceiver(kind, { direction: feed ? 'sendonly' : 'inactive' });
      t.codecs = [codec];
      leg = new Leg(this, kind, t, req);
      const l = leg;
      t.sender.onGenericNack.subscribe((nack) => l.onNack(nack.lost));
      t.sender.onPictureLossIndication.subscribe(() => {
        l.plisIn++;
        l.feed?.requestKeyframe();
      });
      this.legs.push(leg);
    }
    leg.transceiver.setDirection(feed ? 'sendonly' : 'inactive');
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
      leg.feedKey = c.feedKey;
      leg.feedMid = c.mid;
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
      if (changed && leg.on && leg.feed?.simulcast) leg.feed.requestKeyframe();
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
    if (room === undefined || !leg.on || !leg.feed?.simulcast) return;
    const substream = leg.curLayer >= 0 && leg.curLayer !== leg.notifiedLayer ? leg.curLayer : undefined;
    const temporal = leg.curTemporal >= 0 && leg.curTemporal !== leg.notifiedTemporal ? leg.curTemporal : undefined;
    if (substream === undefined && temporal === undefined) return;
    if (substream !== undefined) leg.notifiedLayer = substream;
    if (temporal !== undefined) leg.notifiedTemporal = temporal;
    this.emit({ kind: 'sfu.layer', room, mid: leg.mid, substream, temporal });
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

function sameCodec(
  a: { mimeType: string; parameters?: string } | undefined,
  b: { mimeType: string; parameters?: string } | undefined,
): boolean {
  if (!a || !b) return false;
  if (a.mimeType.toLowerCase() !== b.mimeType.toLowerCase()) return false;
  if (a.mimeType.toLowerCase() === 'video/h264') return h264Key(a.parameters) === h264Key(b.parameters);
  return true;
}

function h264Key(fmtp: string | undefined): string {
  const pm = /packetization-mode=(\d)/.exec(fmtp ?? '')?.[1] ?? '0';
  const profile = /profile-level-id=([0-9a-fA-F]{4})/.exec(fmtp ?? '')?.[1]?.toLowerCase() ?? '42e0';
  return `${pm}:${profile}`;
}
