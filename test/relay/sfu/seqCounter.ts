/**
 * Counts one subscriber's packets by RTP sequence number (extended over wraps), so duplicates and
 * holes are seen per subscriber rather than hidden in totals over a window: a duplicate is a
 * sequence number seen before, a hole one missing between the lowest and highest seen.
 */
export class SeqCounter {
  packets = 0;
  duplicates = 0;
  distinct = 0;
  private seen = new Uint8Array(4096);
  private lastSeq = -1;
  private ext = 0;
  private min = 0;
  private max = 0;
  /** Packets from before the first one seen (reordered past it): not tracked. */
  early = 0;

  add(seq: number): void {
    this.packets++;
    if (this.lastSeq >= 0) this.ext += ((seq - this.lastSeq + 0x8000) & 0xffff) - 0x8000;
    this.lastSeq = seq;
    const i = this.ext;
    if (i < 0) {
      this.early++;
      return;
    }
    if (i >= this.seen.length) {
      const grown = new Uint8Array(Math.max(this.seen.length * 2, i + 1));
      grown.set(this.seen);
      this.seen = grown;
    }
    if (this.seen[i]) {
      this.duplicates++;
      return;
    }
    this.seen[i] = 1;
    this.distinct++;
    if (i > this.max) this.max = i;
    if (i < this.min) this.min = i;
  }

  /** Sequence numbers missing between the first and the highest seen. */
  get holes(): number {
    return this.distinct === 0 ? 0 : this.max - this.min + 1 - this.distinct;
  }
}
