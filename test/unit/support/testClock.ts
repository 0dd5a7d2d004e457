import type { Clock } from '../../../edge/clock.js';

/** A clock the test moves: timers run in order as `advance` passes their time. */
export class TestClock implements Clock {
  private timers: { at: number; fn: () => void }[] = [];
  constructor(public time = 1_000_000) {}

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    const t = { at: this.time + ms, fn };
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time on, running the timers that fall due in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }
}
