import type { FeedStream } from '../sfu/feed.js';
import type { DataSink, FeedLeg } from '../sfu/outputs.js';
import type { PacketRingWriter } from './packetRing.js';

/** How a tap reaches its thread. */
export interface TapTarget {
  readonly batch: PacketRingWriter;
  /** A stream's resync or close, in order with its packets. */
  signal(feedId: number, what: 'resync' | 'closed'): void;
  /** The main thread's FeedStream closed: the tap is gone. */
  tapClosed(tap: FeedTap): void;
}

/**
 * The stand-in, on the main thread, for every leg a relay thread hangs on one publisher stream: the
 * feed forwards each packet to it once, and it appends the packet to the thread's batch. The
 * thread's mirror of the feed (relay/threads/mirroredSource.ts) hands it to its legs.
 */
export class FeedTap implements FeedLeg {
  packetsOut = 0;
  bytesOut = 0;
  readonly nacksIn = 0;
  readonly plisIn = 0;

  constructor(
    readonly feed: FeedStream,
    readonly feedId: number,
    private readonly target: TapTarget,
  ) {}

  forward(
    layer: number,
    layers: number,
    seq: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
    key: boolean,
    tid: number,
  ): void {
    this.packetsOut++;
    this.bytesOut += payload.length;
    this.target.batch.append(this.feedId, layer, layers, seq, ts, marker, key, tid, payload);
  }

  resync(): void {
    this.target.signal(this.feedId, 'resync');
  }

  sourceClosed(): void {
    this.feed.removeLeg(this);
    this.target.signal(this.feedId, 'closed');
    this.target.tapClosed(this);
  }

  detach(): void {
    this.feed.removeLeg(this);
  }
}

/** A publisher's data channel messages, for the subscribers a thread holds (one message per thread). */
export class DataTap implements DataSink {
  constructor(
    private readonly key: string,
    private readonly post: (msg: { t: 'data'; key: string; msg: string | Uint8Array }) => void,
  ) {}

  sendData(msg: string | Buffer): void {
    this.post({ t: 'data', key: this.key, msg });
  }
}
