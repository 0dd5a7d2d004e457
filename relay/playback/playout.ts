import type { MjrFile } from '../recording/mjrReader.js';
import type { PlayoutSchedule } from './schedule.js';

/** One track of a playout: its file, its packets in order, and where they go. */
export interface PlayoutTrack {
  file: MjrFile;
  schedule: PlayoutSchedule;
  /** Sends the `i`th packet of the schedule (the recorded bytes; the header is the sender's to rewrite). */
  send(packet: Buffer, i: number): void;
}

/**
 * Plays tracks in real time on one timer: each wake sends every packet that is due and sleeps until
 * the next one. The clock is the process's monotonic one, so a late wake catches up (packets keep
 * their place on the timeline) instead of drifting. `onEnd` runs once, after the last packet of
 * every track, never after `stop`.
 */
export class Playout {
  private timer: NodeJS.Timeout | undefined;
  private readonly next: number[];
  private startedAt = 0;
  private stopped = false;
  private running = false;
  sent = 0;

  constructor(
    private readonly tracks: readonly PlayoutTrack[],
    private readonly onEnd: () => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.next = tracks.map(() => 0);
  }

  start(now = performance.now()): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.startedAt = now;
    void this.wake();
  }

  /** Stops sending (the files belong to the caller). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async wake(): Promise<void> {
    this.timer = undefined;
    try {
      for (;;) {
        if (this.stopped) return;
        const elapsed = performance.now() - this.startedAt;
        let nextDue = Infinity;
        for (let t = 0; t < this.tracks.length; t++) {
          const { file, schedule, send } = this.tracks[t]!;
          while (this.next[t]! < schedule.length) {
            const i = this.next[t]!;
            if (schedule.dueMs[i]! > elapsed) {
              nextDue = Math.min(nextDue, schedule.dueMs[i]!);
              break;
            }
            const packet = await file.read(schedule.offset[i]!, schedule.bytes[i]!);
            if (this.stopped) return;
            send(packet, i);
            this.sent++;
            this.next[t] = i + 1;
          }
        }
        if (nextDue === Infinity) {
          this.stopped = true;
          this.onEnd();
          return;
        }
        const wait = nextDue - (performance.now() - this.startedAt);
        if (wait > 0) {
          this.timer = setTimeout(() => void this.wake(), Math.max(1, Math.floor(wait)));
          return;
        }
      }
    } catch (err) {
      this.stopped = true;
      this.onError(err);
    }
  }
}
