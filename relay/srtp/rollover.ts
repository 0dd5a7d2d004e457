/**
 * The sender's rollover counter for one SSRC (RFC 3711 §3.3.1): the packet index is ROC · 2^16 +
 * SEQ. The counter moves forward when the sequence wraps (a jump back of more than half the space),
 * and a late packet from before the last wrap (a retransmission) is protected with the previous
 * ROC without moving the state back.
 */
export class RolloverCounter {
  roc = 0;
  private last = -1;

  /** The ROC for sending `seq` now. */
  next(seq: number): number {
    const last = this.last;
    if (last < 0) {
      this.last = seq;
      return this.roc;
    }
    const delta = seq - last;
    // late, from before the wrap (none can precede the first wrap: keep 0 then)
    if (delta > 0x8000) return this.roc === 0 ? 0 : this.roc - 1;
    if (delta < -0x8000) this.roc = (this.roc + 1) >>> 0; // wrapped
    if (delta > 0 || delta < -0x8000) this.last = seq;
    return this.roc;
  }
}
