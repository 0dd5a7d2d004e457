/**
 * The last N packets a sender (a subscriber leg, an RTP forwarder with `nack`) sent, by outgoing
 * sequence number, to answer NACKs. Fixed-size typed arrays plus one array of payload references
 * (payload buffers are shared read-only between legs and forwarders): nothing is allocated per packet.
 */
export class SendHistory {
  private readonly mask: number;
  private readonly seqs: Int32Array;
  private readonly timestamps: Uint32Array;
  private readonly markers: Uint8Array;
  private readonly payloadTypes: Uint8Array;
  private readonly payloads: Array<Buffer | undefined>;

  /** `size` must be a power of two that divides 65536 (e.g. 512). */
  constructor(readonly size = 512) {
    if (size <= 0 || size > 65536 || (size & (size - 1)) !== 0)
      throw new Error(`history size ${size} is not a power of two <= 65536`);
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(-1);
    this.timestamps = new Uint32Array(size);
    this.markers = new Uint8Array(size);
    this.payloadTypes = new Uint8Array(size);
    this.payloads = new Array<Buffer | undefined>(size).fill(undefined);
  }

  /** `pt` only matters to senders whose payload type varies per packet (forwarders); legs leave it 0. */
  put(seq: number, timestamp: number, marker: boolean, payload: Buffer, pt = 0): void {
    const i = seq & this.mask;
    this.seqs[i] = seq;
    this.timestamps[i] = timestamp;
    this.markers[i] = marker ? 1 : 0;
    this.payloadTypes[i] = pt;
    this.payloads[i] = payload;
  }

  /** The payload sent with `seq`, if it is still in the window. */
  payload(seq: number): Buffer | undefined {
    const i = seq & this.mask;
    return this.seqs[i] === seq ? this.payloads[i] : undefined;
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
