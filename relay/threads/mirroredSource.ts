import { RTCRtpCodecParameters } from 'werift';
import type { Logger } from '../logger.js';
import { FeedStream } from '../sfu/feed.js';
import { PublisherForwarders, type ForwarderNetwork } from '../sfu/forward.js';
import type { AddedFeedSource } from '../sfu/hub.js';
import type { DataSink } from '../sfu/outputs.js';
import type { BatchRecord } from './packetRecord.js';
import type { MirroredFeed, SourceDescription } from './messages.js';

/**
 * A publisher of the main thread as a relay thread sees it: found by its feed key like any source
 * (registered with the thread's SfuHub), its streams real {@link FeedStream}s that subscribers' legs
 * attach to. Packets do not come from a socket but from the main thread's batches, already inspected
 * there (keyframe, temporal id), so they go straight to the legs. Keyframe requests go back to the
 * main thread's publisher.
 */
export class MirroredSource implements AddedFeedSource {
  readonly feeds = new Map<string, FeedStream>();
  readonly dataSinks = new Set<DataSink>();
  readonly forwarders: PublisherForwarders;
  dataMid: string | undefined;
  closed = false;

  constructor(
    readonly key: string,
    net: ForwarderNetwork,
    log: Logger,
    private readonly byId: Map<number, FeedStream>,
    private readonly requestKeyframe: (feedId: number) => void,
  ) {
    // never used (forwarders are the main thread's), but part of what a source is
    this.forwarders = new PublisherForwarders(this, net, log);
  }

  dataForwardSinks(mid: string): Set<DataSink> | undefined {
    return mid === this.dataMid ? this.dataSinks : undefined;
  }

  /** Applies the main thread's description: new streams are added, known ones reconfigured. */
  update(d: SourceDescription): void {
    this.dataMid = d.dataMid;
    for (const f of d.feeds) {
      let feed = this.feeds.get(f.mid);
      if (!feed || this.byId.get(f.feedId) !== feed) {
        feed?.close();
        feed = new FeedStream(this.key, f.mid, f.kind, f.mindex, () => this.requestKeyframe(f.feedId));
        // the SSRCs are the main thread's business; known ones let requestKeyframe through
        feed.layerSsrcs.fill(1);
        this.feeds.set(f.mid, feed);
        this.byId.set(f.feedId, feed);
      }
      feed.mindex = f.mindex;
      feed.configure(codecOf(f), f.rids, f.disabled, f.sending);
      if (f.closed) feed.close();
    }
  }

  /** One packet of one of its streams, from a batch. */
  static deliver(feed: FeedStream, r: BatchRecord, now: number): void {
    feed.packetsIn++;
    feed.bytesIn += r.payload.length;
    feed.rxSinceTick = true;
    const legs = feed.legs;
    for (let i = 0; i < legs.length; i++)
      legs[i]!.forward(r.layer, r.layers, r.seq, r.ts, r.marker, r.payload, r.key, r.tid, now);
  }

  sendData(msg: string | Buffer): void {
    for (const s of this.dataSinks) s.sendData(msg);
  }

  tick(now: number): void {
    for (const f of this.feeds.values()) f.tick(now);
  }

  /** Gone from the thread: every stream closes (legs go quiet), ids are forgotten. */
  close(): void {
    this.closed = true;
    const mine = new Set(this.feeds.values());
    for (const [id, feed] of this.byId) if (mine.has(feed)) this.byId.delete(id);
    for (const f of mine) f.close();
  }
}

function codecOf(f: MirroredFeed): RTCRtpCodecParameters | undefined {
  if (!f.codec) return undefined;
  return new RTCRtpCodecParameters({ ...f.codec, rtcpFeedback: f.codec.rtcpFeedback.map((fb) => ({ ...fb })) });
}
