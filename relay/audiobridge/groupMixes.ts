/**
 * The partial mixes of Janus's forwarding groups: each tick, beside the room's whole mix, the sum of
 * the voices (and files) of every group a forwarder names, as Janus's `groupBuffers`. Only the groups
 * some forwarder carries are summed, so a room with groups and no group forwarder costs nothing more.
 * Participants still hear the whole mix minus themselves; groups only change what a forwarder sends.
 */
export class GroupMixes {
  private readonly sums = new Map<string, Int32Array>();
  private readonly clipped = new Map<string, Int16Array>();
  /** The groups summed this tick. */
  active = false;

  constructor(private readonly length: number) {}

  /** Starts a tick: the groups forwarders carry, zeroed; the others dropped. */
  begin(groups: ReadonlySet<string>): void {
    for (const g of this.sums.keys())
      if (!groups.has(g)) {
        this.sums.delete(g);
        this.clipped.delete(g);
      }
    for (const g of groups) {
      const sum = this.sums.get(g);
      if (sum) sum.fill(0);
      else this.sums.set(g, new Int32Array(this.length));
    }
    this.active = groups.size > 0;
  }

  /** Where a voice (or file) of `group` adds itself this tick besides the whole mix; undefined: nowhere. */
  target(group: string | undefined): Int32Array | undefined {
    return this.active && group !== undefined ? this.sums.get(group) : undefined;
  }

  /** A group's mix of this tick, clipped to Int16 (silence for a group with nobody in it). */
  mix(group: string): Int16Array {
    let out = this.clipped.get(group);
    if (!out) {
      out = new Int16Array(this.length);
      this.clipped.set(group, out);
    }
    const sum = this.sums.get(group);
    if (!sum) out.fill(0);
    else
      for (let i = 0; i < out.length; i++) {
        const v = sum[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    return out;
  }
}
