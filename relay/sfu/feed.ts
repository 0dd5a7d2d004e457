import type { RTCRtpCodecParameters, RtpPacket } from 'werift';
import type { DataSink, FeedLeg, FeedTap } from './outputs.js';
import { CodecId, codecId, isKeyframe, vp8TemporalId } from './payload.js';
import { audioLevelOf, type TalkDetector } from './talking.js';

/** Keyframe requests to one publisher stream are aggregated to at most one per this interval. */
export const PLI_MIN_INTERVAL_MS = 1000;

/**
 * What subscribers and forwarders are fed from: a werift publisher (relay/sfu/publisher.ts) or a
 * remote publisher receiving plain RTP (relay/cascade/remotePublisher.ts). Both fan their packets out
 * through the same {@link FeedStream}s, so legs and forwarders do not know which one they follow.
 */
export interface FeedSource {
  readonly key: string;
  readonly closed: boolean;
  readonly feeds: ReadonlyMap<string, FeedStream>;
  readonly dataMid: string | undefined;
  readonly dataSinks: Set<DataSink>;
}

/** How a feed asks its source for a keyframe: the media SSRCs of the layers to refresh. */
export type KeyframeRequester = (ssrcs: readonly number[]) => void;

/**
 * One audio/video m-line of a publisher: the input side of the fan-out. Receives the publisher's
 * packets (every simulcast layer), inspects each once (keyframe, temporal id) and hands it to every
 * subscribed leg. Keyframe requests from all its subscribers are aggregated here.
 */
export class FeedStream {
  readonly legs: FeedLeg[] = [];
  readonly taps: FeedTap[] = [];
  codec: CodecId = CodecId.OTHER;
  codecName: string | undefined;
  codecParams: RTCRtpCodecParameters | undefined;
  /** rids of a=simulcast:send in the order the publisher listed them. */
  rids: string[] = [];
  /** rid → layer index (0 = lowest). */
  private layerByRid = new Map<string, number>();
  /** Known media SSRC of every layer (0 = not seen yet). */
  readonly layerSsrcs = [0, 0, 0];
  layers = 1;
  /** VP9 SVC (a Streaming mountpoint's `svc`): each leg selects spatial/temporal layers from the descriptors. */
  svc = false;
  mindex: number;
  /** The room rejected the m-line (no allowed codec). */
  disabled = false;
  /** The publisher's `send` (sfu.configure streams): false stops forwarding. */
  enabled = true;
  /** A moderator muted the stream (sfu.moderate): nothing is forwarded. */
  moderated = false;
  /** Audio with talking detection: the audio-level extension id and the detector. */
  audioLevelId = 0;
  talk: TalkDetector | undefined;
  /** Called (rarely: at most once per detection window) when the talking state changed. */
  onTalking: ((feed: FeedStream) => void) | undefined;
  closed = false;
  /** Set when the publisher's offer sends on this m-line. */
  sending = true;
  // keyframe requests
  private lastPliAt = 0;
  private pliPending = false;
  plisOut = 0;
  // counters / media events
  packetsIn = 0;
  bytesIn = 0;
  rxSinceTick = false;
  lastRxAt = 0;
  receiving: boolean | undefined;
  readonly hooked = new WeakSet<object>();

  constructor(
    readonly publisherKey: string,
    readonly mid: string,
    readonly kind: 'audio' | 'video',
    mindex: number,
    private readonly sendKeyframeRequest: KeyframeRequester,
  ) {
    this.mindex = mindex;
  }

  get simulcast(): boolean {
    return this.layers > 1;
  }

  /** Applies what the (re)negotiation decided. */
  configure(codec: RTCRtpCodecParameters | undefined, rids: string[], disabled: boolean, sending: boolean): void {
    this.codecParams = codec;
    this.codecName = codec?.name.toLowerCase();
    this.codec = codecId(this.codecName);
    this.disabled = disabled;
    this.sending = sending;
    if (rids.join(',') !== this.rids.join(',')) {
      this.rids = rids;
      this.layers = Math.max(1, Math.min(3, rids.length));
      this.layerByRid = new Map(rankRids(rids).map((rid, i) => [rid, i]));
      this.layerSsrcs.fill(0);
    }
  }

  layerOf(rid: string | undefined): number {
    if (rid === undefined) return 0;
    return this.layerByRid.get(rid) ?? 0;
  }

  addLeg(leg: FeedLeg): void {
    if (!this.legs.includes(leg)) this.legs.push(leg);
  }

  removeLeg(leg: FeedLeg): void {
    const i = this.legs.indexOf(leg);
    if (i >= 0) this.legs.splice(i, 1);
  }

  addTap(tap: FeedTap): void {
    if (!this.taps.includes(tap)) this.taps.push(tap);
  }

  removeTap(tap: FeedTap): void {
    const i = this.taps.indexOf(tap);
    if (i >= 0) this.taps.splice(i, 1);
  }

  // ---- the packet path ------------------------------------------------------------------------

  onRtp(layer: number, rtp: RtpPacket): void {
    const payload = rtp.payload;
    const h = rtp.header;
    this.packetsIn++;
    this.bytesIn += payload.length;
    this.rxSinceTick = true;
    this.noteSsrc(layer, h.ssrc);
    if (!this.enabled || this.moderated || this.closed) return;
    const talk = this.talk;
    if (talk !== undefined && this.audioLevelId !== 0) {
      const level = audioLevelOf(h.extensions, this.audioLevelId);
      if (level >= 0 && talk.add(level)) this.onTalking?.(this);
    }
    const legs = this.legs;
    const n = legs.length;
    const taps = this.taps;
    const nt = taps.length;
    if ((n === 0 && nt === 0) || payload.length === 0) return;
    let key = false;
    let tid = 0;
    if (this.kind === 'video') {
      key = isKeyframe(this.codec, payload);
      if (this.codec === CodecId.VP8) tid = vp8TemporalId(payload);
    }
    const now = Date.now();
    const layers = this.layers;
    const seq = h.sequenceNumber;
    const ts = h.timestamp;
    const marker = h.marker;
    for (let i = 0; i < n; i++) legs[i]!.forward(layer, layers, seq, ts, marker, payload, key, tid, now);
    for (let i = 0; i < nt; i++) taps[i]!.forward(layer, layers, h.payloadType, seq, ts, marker, payload, key, now);
  }

  /** Keeps each layer's SSRC; a known one replaced by another is the source starting over. */
  protected noteSsrc(layer: number, ssrc: number): void {
    const known = this.layerSsrcs[layer];
    if (known === ssrc) return;
    this.layerSsrcs[layer] = ssrc;
    if (known !== 0) this.sourceRestarted();
  }

  /**
   * A layer's SSRC changed: the source started over (a new RTSP session, a restarted encoder or
   * ffmpeg), its sequence numbers and timestamps with it. Every output continues its own sequence
   * from where it was, as Janus's switching context does: with the jump passed on, the relay's SRTP
   * rollover counter and the viewer's could disagree, and the viewer decrypted nothing more.
   */
  protected sourceRestarted(): void {
    for (const leg of this.legs) leg.resync();
    for (const tap of this.taps) tap.resync();
  }

  /**
   * Stops or resumes forwarding: the publisher's `send` or a moderator's mute (Janus keeps them
   * apart: either one holds the stream back). Resuming continues every leg's sequence without a
   * hole and asks for a keyframe (video).
   */
  setForwarding(c: { send?: boolean; moderated?: boolean }): void {
    const was = this.enabled && !this.moderated;
    if (c.send !== undefined) this.enabled = c.send;
    if (c.moderated !== undefined) this.moderated = c.moderated;
    const now = this.enabled && !this.moderated;
    if (now === was) return;
    if (now) {
      for (const leg of this.legs) leg.resync();
      this.requestKeyframe();
    }
  }

  // ---- keyframes -----------------------------------------------------------------------------

  /** Asks the publisher for a keyframe; at most one PLI per second, a later one is deferred. */
  requestKeyframe(now = Date.now()): void {
    if (this.kind !== 'video' || this.closed) return;
    if (now - this.lastPliAt < PLI_MIN_INTERVAL_MS) {
      this.pliPending = true;
      return;
    }
    const ssrcs = this.layerSsrcs.slice(0, this.layers).filter((s) => s !== 0);
    if (ssrcs.length === 0) {
      // nothing received yet: ask as soon as the SSRCs are known
      this.pliPending = true;
      return;
    }
    this.pliPending = false;
    this.lastPliAt = now;
    this.plisOut++;
    this.sendKeyframeRequest(ssrcs);
  }

  /** Deferred keyframe requests (from the peer table's ticker, through the publisher's tick). */
  tick(now: number): void {
    if (this.pliPending && now - this.lastPliAt >= PLI_MIN_INTERVAL_MS) this.requestKeyframe(now);
  }

  /** The publisher is gone: its subscribers' legs go quiet (they stay until the edge removes them). */
  close(): void {
    this.closed = true;
    for (const leg of [...this.legs]) leg.sourceClosed();
  }
}

const RANKS: Record<string, number> = { q: 0, l: 0, low: 0, m: 1, mid: 1, h: 2, f: 2, high: 2, full: 2 };

/**
 * rids lowest first. Well-known names (q/h/f, l/m/h) are ranked by name; otherwise the publisher's
 * order is taken as highest first (browsers / janus.js list "h;m;l", Janus's default rid order).
 */
export function rankRids(rids: string[]): string[] {
  const lower = rids.map((r) => r.toLowerCase());
  const known = lower.every((r) => r in RANKS) && new Set(lower.map((r) => RANKS[r])).size === lower.length;
  if (known) return [...rids].sort((a, b) => RANKS[a.toLowerCase()]! - RANKS[b.toLowerCase()]!);
  return [...rids].reverse();
}
