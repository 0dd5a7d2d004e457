import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;

/**
 * A 20 ms tick scheduled from the monotonic clock (each deadline is the previous one + 20 ms, not
 * "20 ms from now", so timer latency does not accumulate). A tick that runs more than a frame late
 * skips the frames it missed (counted) instead of running them in a burst: audio that would play
 * late is worth less than audio that plays now, and a burst would hold the event loop.
 */
export class TickClock {
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private running = false;

  constructor(
    private readonly onTick: () => void,
    private readonly onDropped: (frames: number) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.next = performance.now() + FRAME_MS;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get active(): boolean {
    return this.running;
  }

  private schedule(): void {
    const delay = Math.max(0, this.next - performance.now());
    this.timer = setTimeout(() => this.run(), delay);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    if (!this.running) return;
    const late = performance.now() - this.next;
    if (late >= FRAME_MS) {
      const missed = Math.floor(late / FRAME_MS);
      this.next += missed * FRAME_MS;
      this.onDropped(missed);
    }
    try {
      this.onTick();
    } finally {
      this.next += FRAME_MS;
      if (this.running) this.schedule();
    }
  }
}
