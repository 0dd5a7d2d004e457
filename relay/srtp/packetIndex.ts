/**
 * The receiver's guess of an SRTP packet's index (RFC 3711 §3.3.1 and Appendix A): ROC · 2^16 + SEQ,
 * with the ROC taken from the highest index authenticated so far (`s_l` its low 16 bits), one less
 * for a packet from just before that stream's last wrap, one more for one just after a wrap not seen
 * yet. Until the first wrap a guess below ROC 0 is ROC 0 (libsrtp's rule, the one the relay's
 * sender side, relay/srtp/rollover.ts, follows for its own late packets).
 */
export function estimatePacketIndex(highest: number, seq: number): number {
  if (highest < 0) return seq;
  const roc = Math.floor(highest / 0x10000);
  const last = highest - roc * 0x10000;
  let v = roc;
  if (last < 0x8000) {
    if (seq - last > 0x8000) v = roc - 1;
  } else if (last - 0x8000 > seq) v = roc + 1;
  return Math.max(0, v) * 0x10000 + seq;
}

/** The ROC of a packet index. */
export function rocOf(index: number): number {
  return Math.floor(index / 0x10000);
}
