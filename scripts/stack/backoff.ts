/**
 * Restart delays for a supervised process: doubling from `minMs` to `maxMs`, back to `minMs` once
 * the process has stayed up for `stableMs` (a crash loop slows down; a rare crash restarts fast).
 */
export class Backoff {
  private delay: number;
  private startedAt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly stableMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.delay = minMs;
  }

  /** The process (re)started. */
  started(): void {
    this.startedAt = this.now();
  }

  /** The process ended: how long to wait before starting it again. */
  next(): number {
    if (this.startedAt > 0 && this.now() - this.startedAt >= this.stableMs) this.delay = this.minMs;
    const wait = this.delay;
    this.delay = Math.min(this.maxMs, this.delay * 2);
    return wait;
  }
}
