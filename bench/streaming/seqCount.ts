/**
 * Distinct RTP packets a viewer received, by the sequence number of each stream (SSRC), read from the
 * SRTP packet's clear header: counting needs no decryption, and a packet the server sent twice (a
 * retransmission, a duplicate) counts once.
 */

/** How far back (in packets) a duplicate is still recognised. */
const WINDOW = 4096;

/** One stream's sequence numbers, extended past their 16-bit wrap. */
class StreamSeqs {
  private readonly ring = new Int32Array(WINDOW).fill(-1);
  private highest = -1;
  distinct = 0;

  add(seq: number): void {
    let ext = seq;
    if (this.highest >= 0) {
      const delta = (seq - (this.highest & 0xffff) + 0x10000) & 0xffff;
      ext = delta < 0x8000 ? this.highest + delta : this.highest - (0x10000 - delta);
      if (ext < 0) return; // from before the first packet seen
    }
    if (ext > this.highest) this.highest = ext;
    const slot = ext % WINDOW;
    if (this.ring[slot] === ext) return;
    this.ring[slot] = ext;
    this.distinct++;
  }
}

export class SeqCount {
  private readonly streams = new Map<number, StreamSeqs>();

  /** An SRTP (not SRTCP) packet as it came off the wire. */
  addSrtp(packet: Buffer): void {
    if (packet.length < 12) return;
    const ssrc = packet.readUInt32BE(8);
    let s = this.streams.get(ssrc);
    if (!s) this.streams.set(ssrc, (s = new StreamSeqs()));
    s.add(packet.readUInt16BE(2));
  }

  /** Distinct packets over every stream. */
  get distinct(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.distinct;
    return n;
  }
}
