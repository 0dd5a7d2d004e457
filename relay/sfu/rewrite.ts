/**
 * What every SFU output (a subscriber leg, an RTP forwarder) does to the packets of its source:
 * rewrite sequence numbers and timestamps so the outgoing stream stays continuous across source
 * switches, and choose which simulcast layer to forward. Both run per packet: no allocation.
 */

/** The output's own sequence / timestamp space, continuous across switches of source or layer. */
export class SeqRewriter {
  /** Rewritten sequence number and timestamp of the last {@link rewrite}. */
  seq = 0;
  ts = 0;
  /** Highest sequence number sent, its timestamp, and when it went out. */
  lastSeq: number;
  lastTs: number;
  lastAt = 0;
  private started = false;
  private pending = true;
  private seqOffset = 0;
  private tsOffset = 0;

  constructor(
    /** RTP clock of the stream (timestamp units per second), to bridge the gap at a switch. */
    public clockRate: number,
  ) {
    // random initial sequence number and timestamp, like any RTP sender
    this.lastSeq = Math.floor(Math.random() * 0x10000);
    this.lastTs = Math.floor(Math.random() * 0x100000000) >>> 0;
  }

  /** The next packet comes from another source (or after a hole): continue right after the last one sent. */
  rebase(): void {
    this.pending = true;
  }

  /** A packet of the source is deliberately not sent (filtered temporal layer): no hole in the outgoing sequence. */
  skip(): void {
    if (!this.pending) this.seqOffset = (this.seqOffset - 1) & 0xffff;
  }

  /** Rewrites one packet that will be sent now; the result is in {@link seq} / {@link ts}. */
  rewrite(seq: number, ts: number, now: number): void {
    if (this.pending) {
      this.pending = false;
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
    this.seq = outSeq;
    this.ts = outTs;
    // late packets (retransmissions, reordering) keep their place without moving the stream back
    if (((outSeq - this.lastSeq) & 0xffff) < 0x8000) {
      this.lastSeq = outSeq;
      this.lastTs = outTs;
    }
    this.lastAt = now;
  }

  /** One sequence number for a packet that has no source (a forwarder's wrapped data message). */
  next(): number {
    this.lastSeq = (this.lastSeq + 1) & 0xffff;
    return this.lastSeq;
  }
}

/** Who is asked for a keyframe when the layer changes (the source feed). */
export interface KeyframeSource {
  requestKeyframe(now?: number): void;
}

/** Janus's default simulcast fallback: 250000 µs. */
export const DEFAULT_FALLBACK_MS = 250;
/** `recent`: a layer that sent nothing this long is considered gone. */
const LAYER_STALE_MS = 1000;
/** `recent`: keyframe requests while waiting for a switch, at most one per this interval. */
const SWITCH_PLI_INTERVAL_MS = 1000;

/**
 * How an output picks its simulcast layer. The two users keep the behaviour their tests assert:
 * - `fallback` (subscriber legs): Janus's janus_rtp_simulcasting_context_process_rtp. Up to the target
 *   at any keyframe in between, down at the target's keyframe; when the forwarded layer relays nothing
 *   for `fallbackMs` while a lower one flows, the target drops one layer (a keyframe is asked for);
 *   a packet above the layer fallen back to means better layers flow again.
 * - `recent` (RTP forwarders with `simulcast: true`): the target, or the highest lower layer seen in
 *   the last second, switching at its keyframe; keyframes are asked for while the wanted layer differs.
 * - `fixed` (other RTP forwarders): only the target layer, never switching.
 */
export type LayerPolicy = 'fallback' | 'recent' | 'fixed';

export class LayerSelector {
  /** Wanted spatial layer (0 = lowest). */
  target: number;
  /** `fallback`: how long the forwarded layer may go silent before falling back (Janus `fallback`). */
  fallbackMs = DEFAULT_FALLBACK_MS;
  /** Layer being forwarded, -1 until the first keyframe of the target. */
  cur = -1;
  /** `fallback`: the lower layer aimed at while the wanted one is silent (Janus's substream_target_temp), -1 = none. */
  fallbackLayer = -1;
  /** `fallback`: when a packet of the current layer was last relayed (or the wait for one began), 0 = not waiting yet. */
  private lastRelayedAt = 0;
  /** `recent`: when each layer was last seen. */
  private readonly layerAt = [0, 0, 0];
  private lastPliAt = 0;

  constructor(
    readonly policy: LayerPolicy,
    target: number,
    /** Rebased whenever the forwarded layer changes. */
    private readonly out: SeqRewriter,
  ) {
    this.target = target;
  }

  /** The layer wanted from a source with `layers` layers. */
  wanted(layers: number): number {
    return this.target < layers ? this.target : layers - 1;
  }

  /** Janus `fallback` in µs; 0 means the default. */
  setFallback(us: number | undefined): void {
    if (us !== undefined) this.fallbackMs = us > 0 ? us / 1000 : DEFAULT_FALLBACK_MS;
  }

  /** The source changed or restarted: wait for a keyframe of the target again. */
  reset(): void {
    this.cur = -1;
    this.fallbackLayer = -1;
    this.lastRelayedAt = 0;
  }

  /** Whether a packet of `layer` (of `layers`, more than one) is forwarded. */
  accept(layer: number, layers: number, key: boolean, now: number, feed: KeyframeSource | undefined): boolean {
    if (this.policy === 'fallback') return this.acceptFallback(layer, layers, key, now, feed);
    if (this.policy === 'recent') return this.acceptRecent(layer, layers, key, now, feed);
    return layer === this.wanted(layers);
  }

  private switchTo(layer: number): void {
    this.cur = layer;
    this.out.rebase();
  }

  private acceptFallback(
    layer: number,
    layers: number,
    key: boolean,
    now: number,
    feed: KeyframeSource | undefined,
  ): boolean {
    const wanted = this.wanted(layers);
    if (this.fallbackLayer !== -1 && (layer > this.fallbackLayer || wanted <= this.fallbackLayer)) {
      // a better layer flows again (or a lower one was asked for): its keyframe lets the output climb back
      if (layer > this.fallbackLayer) feed?.requestKeyframe(now);
      this.fallbackLayer = -1;
    }
    const cur = this.cur;
    if (layer === cur) {
      this.lastRelayedAt = now;
      return true;
    }
    const target = this.fallbackLayer === -1 ? wanted : this.fallbackLayer;
    // up: any keyframe between the current layer and the target; down (or first): the target's
    const switchable = cur !== -1 && cur < target ? layer > cur && layer <= target : layer === target;
    if (key && switchable) {
      this.switchTo(layer);
      this.lastRelayedAt = now;
      return true;
    }
    if (this.lastRelayedAt === 0) this.lastRelayedAt = now;
    else if (cur !== 0 && layer < wanted && this.fallbackLayer !== 0 && now - this.lastRelayedAt > this.fallbackMs) {
      this.lastRelayedAt = now;
      this.fallbackLayer = Math.max(0, target - 1);
      feed?.requestKeyframe(now);
    }
    return false;
  }

  private acceptRecent(
    layer: number,
    layers: number,
    key: boolean,
    now: number,
    feed: KeyframeSource | undefined,
  ): boolean {
    this.layerAt[layer] = now;
    let want = this.wanted(layers);
    while (want > 0 && now - this.layerAt[want]! > LAYER_STALE_MS) want--;
    if (want !== this.cur && now - this.lastPliAt >= SWITCH_PLI_INTERVAL_MS) {
      this.lastPliAt = now;
      feed?.requestKeyframe(now);
    }
    if (layer === this.cur) return true;
    if (!key || layer !== want) return false;
    this.switchTo(layer);
    return true;
  }
}
