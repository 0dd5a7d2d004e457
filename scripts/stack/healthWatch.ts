/**
 * Polls an HTTP health URL and calls `onDead` once after `failures` consecutive polls that failed
 * (refused, non-2xx, or no answer within `timeoutMs`). A process that accepts connections but
 * answers nothing (frozen, or a runtime whose worker died) is caught as surely as one that exited.
 */
export interface HealthWatchOptions {
  url: () => string | undefined;
  intervalMs: number;
  timeoutMs: number;
  failures: number;
  onDead: (lastError: string) => void;
}

export class HealthWatch {
  private timer: NodeJS.Timeout | undefined;
  private failed = 0;
  private stopped = false;

  constructor(private readonly options: HealthWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.failed = 0;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.options.intervalMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const url = this.options.url();
    if (url === undefined) return this.schedule();
    let error: string | undefined;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      await res.body?.cancel();
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (this.stopped) return;
    this.failed = error === undefined ? 0 : this.failed + 1;
    if (error !== undefined && this.failed >= this.options.failures) {
      this.stopped = true;
      this.options.onDead(error);
      return;
    }
    this.schedule();
  }
}
