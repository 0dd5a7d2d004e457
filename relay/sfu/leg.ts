import type { RTCDtlsTransport, RTCRtpTransceiver } from 'werift';
import type { FeedIdValue } from '../../shared/control/sfu.js';
import type { FeedStream } from './feed.js';
import { SendHistory, type RetransmitWindow } from './history.js';
import type { FeedLeg } from './outputs.js';
import { LayerSelector, SeqRewriter } from './rewrite.js';
import { SrtpOutput } from './srtpOutput.js';
import { SvcSelector, SvcVerdict } from './svcSelector.js';
import { LegHeader, senderReport } from './wire.js';
import { senderQuality } from '../peer/werift.js';
import { holdSends, releaseSends } from '../net/directUdp.js';

/**
 * One audio/video m-line of a subscriber: the output side of the fan-out. Each leg has its own SSRC
 * (its werift sender's), its own sequence-number / timestamp rewriting (continuous across source
 * switches: another publisher, another simulcast layer), its own header buffer and NACK history.
 * `forward` is the per-packet path: no allocation, no logging.
 */

export const HISTORY_SIZE = 512;

export interface LegOwner {
  readonly paused: boolean;
  readonly connected: boolean;
  /** A leg's source changed or it (re)started: a keyframe is wanted from the new source. */
  legStarted(leg: Leg): void;
  /** The relay-wide retransmission window (admin `set_min_nack_queue`). */
  readonly retransmitWindow: RetransmitWindow;
}

export class Leg implements FeedLeg {
  // --- identity / protocol state
  feedId: FeedIdValue;
  feedKey: string;
  feedMid: string;
  /** false: the m-line is inactive (unknown feed, removed). */
  active: boolean;
  /** The subscriber's `send` setting. */
  send: boolean;
  mindex = 0;
  /** Simulcast: wanted temporal layer. */
  targetTemporal: number;

  // --- source
  feed: FeedStream | undefined;
  /** Simulcast: the spatial layer choice (Janus's simulcast context, with fallback). */
  readonly simulcast: LayerSelector;
  /** VP9 SVC (a feed with `svc`): the spatial/temporal layer choice; targets are the simulcast ones. */
  private svc: SvcSelector | undefined;
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
  private output: SrtpOutput | undefined;
  private readonly out = new SeqRewriter(90000);
  private readonly history: SendHistory | undefined;

  // --- counters (read by the tick / peer.info)
  packetsOut = 0;
  bytesOut = 0;
  nacksIn = 0;
  retransmitted = 0;
  plisIn = 0;

  constructor(
    readonly owner: LegOwner,
    readonly kind: 'audio' | 'video',
    readonly transceiver: RTCRtpTransceiver,
    req: {
      feedId: FeedIdValue;
      feedKey: string;
      feedMid: string;
      send?: boolean;
      substream?: number;
      temporal?: number;
      fallback?: number;
    },
  ) {
    this.feedId = req.feedId;
    this.feedKey = req.feedKey;
    this.feedMid = req.feedMid;
    this.send = req.send ?? true;
    this.active = false;
    this.simulcast = new LayerSelector('fallback', req.substream ?? 2, this.out);
    this.targetTemporal = req.temporal ?? 2;
    this.simulcast.setFallback(req.fallback);
    this.history = kind === 'video' ? new SendHistory(HISTORY_SIZE, owner.retransmitWindow) : undefined;
  }

  get mid(): string {
    return this.transceiver.mid ?? '';
  }
  get ssrc(): number {
    return this.transceiver.sender.ssrc;
  }
  get lastTimestamp(): number {
    return this.out.lastTs;
  }
  get lastSentAt(): number {
    return this.out.lastAt;
  }
  /** Simulcast: the spatial layer being forwarded, -1 until the first keyframe of the target. */
  get curLayer(): number {
    return this.svc ? this.svc.spatial : this.simulcast.cur;
  }

  /**
   * Re-reads what the negotiation decided (payload type, mid extension id, transport) and
   * recomputes the forwarding gate. Call after every negotiation and every state change.
   */
  refresh(midExtId: number | undefined): void {
    const sender = this.transceiver.sender;
    const pt = sender.codec?.payloadType ?? this.transceiver.codecs[0]?.payloadType;
    this.out.clockRate = sender.codec?.clockRate ?? this.transceiver.codecs[0]?.clockRate ?? 90000;
    this.dtls = sender.dtlsTransport;
    this.output = this.dtls ? SrtpOutput.of(this.dtls) : undefined;
    if (pt !== undefined && this.mid) {
      if (!this.header || this.header.ssrc !== sender.ssrc)
        this.header = new LegHeader(
          sender.ssrc,
          pt,
          midExtId !== undefined ? { id: midExtId, value: this.mid } : undefined,
        );
      else this.header.setPayloadType(pt);
    }
    this.updateGate();
  }

  updateGate(): void {
    const was = this.on;
    this.on =
      this.active &&
      this.send &&
      this.feed !== undefined &&
      this.header !== undefined &&
      !this.owner.paused &&
      this.owner.connected;
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
    this.svc = feed?.svc ? (this.svc ?? new SvcSelector()) : undefined;
    this.restartLayers();
    this.notifiedLayer = -1;
    this.notifiedTemporal = -1;
    feed?.addLeg(this);
    if (this.on && feed) this.owner.legStarted(this);
  }

  /** The source resumes after packets were held back (moderation, publisher `send`): continue the outgoing sequence without a hole. */
  resync(): void {
    this.out.rebase();
  }

  /** The publisher is gone: the leg goes quiet (it stays until the edge removes it). */
  sourceClosed(): void {
    this.attach(undefined);
    this.updateGate();
  }

  private restartLayers(): void {
    this.out.rebase();
    this.simulcast.reset();
    this.svc?.reset();
    this.curTemporal = -1;
  }

  /** Sets the simulcast targets; true when the substream or temporal target changed. */
  setTargets(substream: number | undefined, temporal: number | undefined, fallback?: number): boolean {
    let changed = false;
    if (substream !== undefined && substream !== this.simulcast.target) {
      this.simulcast.target = substream;
      changed = true;
    }
    if (temporal !== undefined && temporal !== this.targetTemporal) {
      this.targetTemporal = temporal;
      this.curTemporal = -1;
      changed = true;
    }
    this.simulcast.setFallback(fallback);
    // SVC, as Janus: asking for the layer already forwarded is answered by its event again (next tick)
    if (this.svc && substream === this.svc.spatial) this.notifiedLayer = -1;
    if (this.svc && temporal === this.svc.temporal) this.notifiedTemporal = -1;
    return changed;
  }

  // ---- the packet path ------------------------------------------------------------------------

  /**
   * Forwards one packet of the source. `layer` is the simulcast layer (0 when not simulcast),
   * `key` whether it starts a keyframe, `tid` its VP8 temporal layer id.
   */
  forward(
    layer: number,
    layers: number,
    seq: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
    key: boolean,
    tid: number,
    now: number,
  ): void {
    if (!this.on) return;
    let mark = marker;
    const svc = this.svc;
    if (svc !== undefined) {
      const verdict = svc.accept(payload, this.simulcast.target, this.targetTemporal, now);
      if (verdict === SvcVerdict.DROP) {
        this.out.skip();
        return;
      }
      // the picture ends here for this viewer when its upper spatial layers are dropped
      if (verdict === SvcVerdict.FORWARD_MARKED) mark = true;
      this.curTemporal = svc.temporal;
    } else if (layers > 1) {
      if (!this.simulcast.accept(layer, layers, key, now, this.feed)) return;
      if (tid === this.targetTemporal) this.curTemporal = tid;
    }
    const out = this.out;
    if (tid > this.targetTemporal) {
      out.skip();
      return;
    }
    out.rewrite(seq, ts, now);
    this.header!.set(out.seq, out.ts, mark).send(this.output!, this.dtls!, payload);
    this.packetsOut++;
    this.bytesOut += payload.length;
    if (this.history) this.history.put(out.seq, out.ts, mark, payload, 0, now);
  }

  /** Resends what the subscriber NACKed, from this leg's history. */
  onNack(lost: readonly number[]): void {
    this.nacksIn++;
    const h = this.history;
    const header = this.header;
    const dtls = this.dtls;
    const output = this.output;
    if (!h || !header || !dtls || !output || !this.active) return;
    const now = Date.now();
    const { rttMs } = senderQuality(this.transceiver.sender);
    // the burst leaves in one sendmmsg(2)
    holdSends();
    try {
      for (const seq of lost) {
        const payload = h.payload(seq, now, rttMs);
        if (!payload) continue;
        header.set(seq, h.timestamp(seq), h.marker(seq)).send(output, dtls, payload);
        this.retransmitted++;
      }
    } finally {
      releaseSends();
    }
  }

  /** Sends this leg's RTCP sender report (on the subscriber's tick, once a second), once it sent media. */
  sendReport(): void {
    const output = this.output;
    if (!output || this.packetsOut === 0 || !this.active) return;
    const sender = this.transceiver.sender;
    output.sendRtcp(
      senderReport(sender, this.packetsOut, this.bytesOut, this.out.lastTs, this.out.lastAt),
      sender.ssrc,
    );
  }

  /** Detaches from the source for good (subscriber closing). */
  dispose(): void {
    this.feed?.removeLeg(this);
    this.feed = undefined;
    this.on = false;
    this.history?.clear();
  }
}
