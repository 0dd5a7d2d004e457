/**
 * What a publisher's streams are handed to. Only interfaces: feeds, legs, forwarders and publishers
 * depend on these instead of on each other.
 */

/** A subscriber's m-line fed by one publisher stream (relay/sfu/leg.ts). The packet path: no allocation, no logging. */
export interface FeedLeg {
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
  ): void;
  /** The source resumes after packets were held back: continue the outgoing sequence without a hole. */
  resync(): void;
  /** The source is gone for good: go quiet. */
  sourceClosed(): void;
  readonly packetsOut: number;
  readonly bytesOut: number;
  readonly nacksIn: number;
  readonly plisIn: number;
}

/** A plain-RTP copy of the stream (an RTP forwarder, relay/sfu/forwarder.ts). Same contract as a leg. */
export interface FeedTap {
  forward(
    layer: number,
    layers: number,
    pt: number,
    seq: number,
    ts: number,
    marker: boolean,
    payload: Buffer,
    key: boolean,
    now: number,
  ): void;
  /** The source started over (a new SSRC): continue the outgoing sequence without a jump. */
  resync(): void;
}

/** Where a publisher's data channel messages go: the subscribers that subscribed to its data, forwarders. */
export interface DataSink {
  sendData(msg: string | Buffer): void;
  /** Whether a message sent now would be delivered (a viewer's channel may still be opening); absent = always. */
  dataOpen?(): boolean;
}
