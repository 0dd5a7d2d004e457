import type { RTCDtlsTransport, RTCRtpTransceiver } from 'werift';
import type { FeedIdValue } from '../../shared/control/sfu.js';
import type { FeedStream } from './feed.js';
import { SendHistory } from './history.js';
import { LegHeader } from './wire.js';

/**
 * One audio/video m-line of a subscriber: the output side of the fan-out. Each leg has its own SSRC
 * (its werift sender's), its own sequence-number / timestamp rewriting (continuous across source
 * switches: another publisher, another simulcast layer), its own header buffer and NACK history.
 * `forward` is the per-packet path: no allocation, no logging.
 */

export const HISTORY_SIZE = 512;
/** Janus's default simulcast fallback: 250000 µs. */
export const DEFAULT_FALLBACK_MS = 250;

export interface LegOwner {
  readonly paused: boolean;
  readonly connected: boolean;
  /** A leg's source changed or it (re)started: a keyframe is wanted from the new source. */
  legStarted(leg: Leg): void;
}

export class Leg {
  // --- identity / protocol state
  feedId: FeedIdValue;
  feedKey: string;
  feedMid: string;
  /** false: the m-line is inactive (unknown feed, removed). */
  active: boolean;
  /** The subscriber's `send` setting. */
  send: boolean;
  mindex = 0;
  /** Simulcast: wanted spatial layer (0 = lowest) and temporal layer. */
  targetLayer: number;
  targetTemporal: number;
  /** Simulcast: how long the forwarded layer may go silent before falling back to a lower one (Janus `fallback`). */
  fallbackMs = DEFAULT_FALLBACK_MS;

  // --- source
  feed: FeedStream | undefined;
  /** Simulcast layer being forwarded, -1 until the first keyframe of the target. */
  curLayer = -1;
  /** Simulcast: the lower layer aimed at while the wanted one is silent (Janus's substream_target_temp), -1 = none. */
  fallbackLayer = -1;
  /** When a packet of this source was last relayed (or the wait for one began), 0 = not waiting yet. */
  private lastRelayedAt = 0;
  /** Simulcast: the VP8 temporal layer in effect once a packet of it went out, -1 = none yet. */
  curTemporal = -1;
  /** Layers the subscriber was last told about (see SfuSubscriber.tick). */
  notifiedLayer = -1;
  notifiedTemporal = -1;

  // --- output
  /** Forwarding gate, recomputed by {@link refresh}: active, send, not paused, connected, negotiated. */
  on = false;
  private header: LegHeader | undefined;
  private dtls: RTCDtlsTransport | undefined;
  private clockRate = 90000;
  private readonly history: SendHistory | undefined;
  private started = false;
  private rebase = true;
  private seqOffset = 0;
  private tsOffset = 0;
  private lastSeq = 0;
  private lastTs = 0;
  private lastAt = 0;

  // --- counters (read by the tick / peer.info)
  packetsOut = 0;
  bytesOut = 0;
  nacksIn = 0;
  retransmitted = 0;
  plisIn = 0;
  /** Counters already copied into the sender's RTCP state. */
  reportedPackets = 0;

  constructor(
    readonly owner: LegOwner,
    readonly kind: 'audio' | 'video',
    readonly transceiver: RTCRtpTransceiver,
    req: { feedId: FeedIdValue; feedKey: string; feedMid: string; send?: boolean; substream?: number; temporal?: number; fallback?: number },
  ) {
    this.feedId = req.feedId;
    this.feedKey = req.feedKey;
    this.feedMid = req.feedMid;
    this.send = req.send ?? true;
    this.active = false;
    this.targetLayer = req.substream ?? 2;
    this.targetTemporal = req.temporal ?? 2;
    this.setFallback(req.fallback);
    this.history = kind === 'video' ? new SendHistory(HISTORY_SIZE) : undefined;
    // random initial sequence number and timestamp, like any RTP sender
    this.lastSeq = Math.floor(Math.random() * 0x10000);
    this.lastTs = Math.floor(Math.random() * 0x100000000) >>> 0;
  }

  get mid(): string {
    return this.transceiver.mid ?? '';
  }
  get ssrc(): number {
    return this.transceiver.sender.ssrc;
  }
  get lastTimestamp(): number {
    return this.lastTs;
  }
  get lastSentAt(): number {
    return this.lastAt;
  }

  /**
   * Re-reads what the negotiation decided (payload type, mid extension id, transport) and
   * recomputes the forwarding gate. Call after every negotiation and every state change.
   */
  refresh(midExtId: number | undefined): void {
    const sender = this.transceiver.sender;
    const pt = sender.codec?.payloadType ?? this.transceiver.codecs[0]?.payloadType;
    this.clockRate = sender.codec?.clockRate ?? this.transceiver.codecs[0]?.clockRate ?? 90000;
    this.dtls = sender.dtlsTransport;
    if (pt !== undefined && this.mid) {
      if (!this.header || this.header.ssrc !== sender.ssrc) this.header = new LegHeader(sender.ssrc, pt, midExtId !== undefined ? { id: midExtId, value: this.mid } : undefined);
      else this.header.setPayloadType(pt);
    }
    this.updateGate();
  }

  updateGate(): void {
    const was = this.on;
    this.on = this.active && this.send && this.feed !== undefined && this.header !== undefined && !this.owner.paused && this.owner.connected;
    if (this.on && !was) {
      // (re)starting: continue the outgoing stream from where it was, wait for a keyframe on simulcast
      this.restartLayers();
      this.owner.legStarted(this);
    }
  }

  /** Points the leg at another source (or none). The caller refreshes the gate. */
  attach(feed: FeedStream | undefined): void {
    if (this.feed === feed) return;
    this.feed?.removeLeg(this);
    this.feed = feed;
    this.restartLayers();
    this.notifiedLayer = -1;
    this.notifiedTemporal = -1;
    feed?.addLeg(this);
    if (this.on && feed) this.owner.legStarted(this);
  }

  /** The source resumes after packets were held back (moderation, publisher `send`): continue the outgoing sequence without a hole. */
  resync(): void {
    this.rebase = true;
  }

  private restartLayers(): void {
    this.rebase = true;
    this.curLayer = -1;
    this.curTemporal = -1;
    this.fallbackLayer = -1;
    this.lastRelayedAt = 0;
  }

  /** Sets the simulcast targets; true when the substream or temporal target changed. */
  setTargets(substream: number | undefined, temporal: number | undefined, fallback?: number): boolean {
    let changed = false;
    if (substream !== undefined && substream !== this.targetLayer) {
      this.targetLayer = substream;
      changed = true;
    }
    if (temporal !== undefined && temporal !== this.targetTemporal) {
      this.targetTemporal = temporal;
      this.curTemporal = -1;
      changed = true;
    }
    if (fallback !== undefined) this.setFallback(fallback);
    return changed;
  }

  /** Janus `fallback` in µs; 0 means the default. */
  private setFallback(us: number | undefined): void {
    if (us !== undefined) this.fallbackMs = us > 0 ? us / 1000 : DEFAULT_FALLBACK_MS;
  }

  /** The simulcast layer this leg wants from its source. */
  wantedLayer(layers: number): number {
    return this.targetLayer < layers ? this.targetLayer : layers - 1;
  }

  // ---- the packet path ------------------------------------------------------------------------

  /**
   * Forwards one packet of the source. `layer` is the simulcast layer (0 when not simulcast),
   * `key` whether it starts a keyframe, `tid` its VP8 temporal layer id.
   */
  forward(layer: number, layers: number, seq: number, ts: number, marker: boolean, payload: Buffer, key: boolean, tid: number, now: number): void {
    if (!this.on) return;
    if (layers > 1) {
      if (!this.acceptLayer(layer, layers, key, now)) return;
      if (tid === this.targetTemporal) this.curTemporal = tid;
    }
    if (tid > this.targetTemporal) {
      // dropped temporal layer: shift the offset so the outgoing sequence has no hole
      if (!this.rebase) this.seqOffset = (this.seqOffset - 1) & 0xffff;
      return;
    }
    if (this.rebase) {
      this.rebase = false;
      if (this.started) {
        let dt = Math.round(((now - this.lastAt) * this.clockRate) / 1000);
        if (dt < 1) dt = 1;
        this.seqOffset = (this.lastSeq + 1 - seq) & 0xffff;
        this.tsOffset = (this.lastTs + dt - ts) >>> 0;
      } else {
        this.started = true;
        this.seqOffset = (this.lastSeq - seq) & 0xffff;
        this.tsOffset = (this.lastTs - ts) >>> 0;
      }
    }
    const outSeq = (seq + this.seqOffset) & 0xffff;
    const outTs = (ts + this.tsOffset) >>> 0;
    this.header!.set(outSeq, outTs, marker).send(this.dtls!, payload);
    if (((outSeq - this.lastSeq) & 0xffff) < 0x8000) {
      this.lastSeq = outSeq;
      this.lastTs = outTs;
    }
    this.lastAt = now;
    this.packetsOut++;
    this.bytesOut += payload.length;
    if (this.history) this.history.put(outSeq, outTs, marker, payload);
  }

  /**
   * Simulcast: whether a packet of `layer` is forwarded, switching layers at keyframes. Follows
   * Janus's janus_rtp_simulcasting_context_process_rtp: when the forwarded layer has relayed nothing
   * for `fallbackMs` while a lower one flows, the target drops one layer (and a keyframe is asked
   * for); a packet above the layer fallen back to means better layers flow again.
   */
  private acceptLayer(layer: number, layers: number, key: boolean, now: number): boolean {
    const wanted = this.wantedLayer(layers);
    if (this.fallbackLayer !== -1 && (layer > this.fallbackLayer || wanted <= this.fallbackLayer)) {
      // a better layer flows again (or a lower one was asked for): its keyframe lets the leg climb back
      if (layer > this.fallbackLayer) this.feed?.requestKeyframe(now);
      this.fallbackLayer = -1;
    }
    const cur = this.curLayer;
    if (layer === cur) {
      this.lastRelayedAt = now;
      return true;
    }
    const target = this.fallbackLayer === -1 ? wanted : this.fallbackLayer;
    // up: any keyframe between the current layer and the target; down (or first): the target's
    const switchable = cur !== -1 && cur < target ? layer > cur && layer <= target : layer === target;
    if (key && switchable) {
      this.curLayer = layer;
      this.rebase = true;
      this.lastRelayedAt = now;
      return true;
    }
    if (this.lastRelayedAt === 0) this.lastRelayedAt = now;
    else if (cur !== 0 && layer < wanted && this.fallbackLayer !== 0 && now - this.lastRelayedAt > this.fallbackMs) {
      this.lastRelayedAt = now;
      this.fallbackLayer = Math.max(0, target - 1);
      this.feed?.requestKeyframe(now);
    }
    return false;
  }

  /** Resends what the subscriber NACKed, from this leg's history. */
  onNack(lost: readonly number[]): void {
    this.nacksIn++;
    const h = this.history;
    const header = this.header;
    const dtls = this.dtls;
    if (!h || !header || !dtls || !this.active) return;
    for (const seq of lost) {
      const payload = h.payload(seq);
      if (!payload) continue;
      header.set(seq, h.timestamp(seq), h.marker(seq)).send(dtls, payload);
      this.retransmitted++;
    }
  }

  /** Detaches from the source for good (subscriber closing). */
  dispose(): void {
    this.feed?.removeLeg(this);
    this.feed = undefined;
    this.on = false;
    this.history?.clear();
  }
}
