import type { RtpPacket } from 'werift';
import { FeedStream } from './feed.js';
import { KeyframeBuffer } from './keyframeBuffer.js';
import type { FeedLeg, FeedTap } from './outputs.js';
import { CodecId, isKeyframe, vp8TemporalId } from './payload.js';

/** What a started leg exposes: its forwarding gate (relay/sfu/leg.ts `on`). */
type GatedLeg = FeedLeg & { readonly on?: boolean };

/**
 * A {@link FeedStream} of a plain-RTP video source (a Streaming mountpoint, or its cascade on another
 * relay) that keeps the packets since the last keyframe, as Janus's `bufferkf`: every leg that starts
 * gets them before the live ones, and so does a forwarder added (a cascade's far relay then holds
 * them for its own viewers).
 */
export class BufferedFeed extends FeedStream {
  private readonly buffer: KeyframeBuffer | undefined;
  /** Legs added that have not been given the buffer yet (they get it once their gate is on). */
  private readonly waiting = new Set<GatedLeg>();

  constructor(
    key: string,
    mid: string,
    kind: 'audio' | 'video',
    mindex: number,
    requestKeyframe: (ssrcs: readonly number[]) => void,
    bufferKeyframe: boolean,
  ) {
    super(key, mid, kind, mindex, requestKeyframe);
    this.buffer = kind === 'video' && bufferKeyframe ? new KeyframeBuffer() : undefined;
  }

  override addLeg(leg: FeedLeg): void {
    super.addLeg(leg);
    if (this.buffer) this.waiting.add(leg);
  }

  override addTap(tap: FeedTap): void {
    super.addTap(tap);
    const now = Date.now();
    for (const p of this.buffer?.contents ?? []) tap.forward(0, 1, p.pt, p.seq, p.ts, p.marker, p.payload, p.key, now);
  }

  override removeLeg(leg: FeedLeg): void {
    super.removeLeg(leg);
    this.waiting.delete(leg);
  }

  override onRtp(layer: number, rtp: RtpPacket): void {
    const buffer = this.buffer;
    // a source that started over empties the buffer before its first packet goes in
    this.noteSsrc(layer, rtp.header.ssrc);
    if (buffer && rtp.payload.length > 0) {
      if (this.waiting.size > 0) this.replay();
      const payload = rtp.payload;
      const key = isKeyframe(this.codec, payload);
      const tid = this.codec === CodecId.VP8 ? vp8TemporalId(payload) : 0;
      const h = rtp.header;
      buffer.add({ pt: h.payloadType, seq: h.sequenceNumber, ts: h.timestamp, marker: h.marker, payload, key, tid });
    }
    super.onRtp(layer, rtp);
  }

  /** What the source sent before it started over belongs to another stream: no viewer starts with it. */
  protected override sourceRestarted(): void {
    this.buffer?.clear();
    super.sourceRestarted();
  }

  /** Legs whose gate opened get the buffered packets, before the packet being received. */
  private replay(): void {
    const packets = this.buffer!.contents;
    const now = Date.now();
    for (const leg of this.waiting) {
      if (leg.on !== true) continue;
      this.waiting.delete(leg);
      for (const p of packets) leg.forward(0, 1, p.seq, p.ts, p.marker, p.payload, p.key, p.tid, now);
    }
  }

  override close(): void {
    this.buffer?.clear();
    this.waiting.clear();
    super.close();
  }
}
