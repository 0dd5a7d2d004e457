/**
 * The receiver's replay list of one SRTP or SRTCP stream (RFC 3711 §3.3.2): the highest packet
 * index authenticated so far and which of the {@link REPLAY_WINDOW} indices up to it were seen. An
 * index above the highest is new; one that many or more below it is too old to tell, so it is
 * refused, as is one already seen. Bits live in a ring indexed by `index mod REPLAY_WINDOW`, so
 * moving the window forward clears only the bits it passes over.
 *
 * Only packets that authenticated are {@link accept}ed: a forged packet changes nothing.
 */

/** Indices the window remembers below the highest: libsrtp's default. */
export const REPLAY_WINDOW = 128;

export class ReplayWindow {
  /** The highest index accepted; -1 before the first. SRTP indices have 48 bits: exact in a double. */
  highest = -1;
  private readonly seen = new Int32Array(REPLAY_WINDOW / 32);

  /** Whether a packet with `index` may still be accepted (checked before its authentication). */
  fresh(index: number): boolean {
    if (index > this.highest) return true;
    if (this.highest - index >= REPLAY_WINDOW) return false;
    const bit = index % REPLAY_WINDOW;
    return (this.seen[bit >>> 5]! & (1 << (bit & 31))) === 0;
  }

  /** Records an authenticated packet's index (after {@link fresh} said yes). */
  accept(index: number): void {
    const seen = this.seen;
    if (index > this.highest) {
      if (this.highest < 0 || index - this.highest >= REPLAY_WINDOW) seen.fill(0);
      else
        for (let i = this.highest + 1; i < index; i++) {
          const bit = i % REPLAY_WINDOW;
          seen[bit >>> 5]! &= ~(1 << (bit & 31));
        }
      this.highest = index;
    }
    const bit = index % REPLAY_WINDOW;
    seen[bit >>> 5]! |= 1 << (bit & 31);
  }
}
