/** How long a sent packet can still be retransmitted (Janus min_nack_queue), read live: an admin may change it. */
export interface RetransmitWindow {
  readonly minNackQueueMs: number;
}

/**
 * The last N packets a sender (a subscriber leg, an RTP forwarder with `nack`) sent, by outgoing
 * sequence number, to answer NACKs. Fixed-size typed arrays plus one array of payload references
 * (payload buffers are shared read-only between legs and forwarders): nothing is allocated per packet.
 * With a window (subscriber legs: Janus's min_nack_queue governs PeerConnections), a packet older than
 * the window is no longer resent, as Janus drops it from its NACK queue; forwarders with `nack` (our
 * extension, cascades between regions) have none and keep the size bound only.
 */
export class SendHistory {
  private readonly mask: number;
  private readonly seqs: Int32Array;
  private readonly timestamps: Uint32Array;
  private readonly markers: Uint8Array;
  private readonly payloadTypes: Uint8Array;
  private readonly payloads: Array<Buffer | undefined>;
  /** When each packet was sent (ms, the caller's clock). */
  private readonly sentAt: Float64Array;

  /** `size` must be a power of two that divides 65536 (e.g. 512); no window: only the size bounds it. */
  constructor(
    readonly size = 512,
    private readonly window?: RetransmitWindow,
  ) {
    if (size <= 0 || size > 65536 || (size & (size - 1)) !== 0)
      throw new Error(`history size ${size} is not a power of two <= 65536`);
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(-1);
    this.timestamps = new Uint32Array(size);
    this.markers = new Uint8Array(size);
    this.payloadTypes = new Uint8Array(size);
    this.payloads = new Array<Buffer | undefined>(size).fill(undefined);
    this.sentAt = new Float64Array(size);
  }

  /** `pt` only matters to senders whose payload type varies per packet (forwarders); legs leave it 0. */
  put(seq: number, timestamp: number, marker: boolean, payload: Buffer, pt = 0, now = 0): void {
    const i = seq & this.mask;
    this.sentAt[i] = now;
    this.seqs[i] = seq;
    this.timestamps[i] = timestamp;
    this.markers[i] = marker ? 1 : 0;
    this.payloadTypes[i] = pt;
    this.payloads[i] = payload;
  }

  /**
   * The payload sent with `seq`, if it is still in the history and, with a window, was sent at most
   * the window (or the receiver's RTT, when longer, as Janus sizes its queue) before `now`.
   */
  payload(seq: number, now = 0, rttMs = 0): Buffer | undefined {
    const i = seq & this.mask;
    if (this.seqs[i] !== seq) return undefined;
    const w = this.window;
    if (w && (w.minNackQueueMs <= 0 || now - this.sentAt[i]! > Math.max(w.minNackQueueMs, rttMs))) return undefined;
    return this.payloads[i];
  }
  timestamp(seq: number): number {
    return this.timestamps[seq & this.mask]!;
  }
  marker(seq: number): boolean {
    return this.markers[seq & this.mask] === 1;
  }
  payloadType(seq: number): number {
    return this.payloadTypes[seq & this.mask]!;
  }

  clear(): void {
    this.seqs.fill(-1);
    this.payloads.fill(undefined);
  }
}
