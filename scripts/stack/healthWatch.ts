/**
 * Polls an HTTP health URL and calls `onDead` once after `failures` consecutive polls that failed
 * (refused, non-2xx, or no answer within `timeoutMs`). A process that accepts connections but
 * answers nothing (frozen, or a runtime whose worker died) is caught as surely as one that exited.
 */
import { get } from 'node:http';

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
    const error = await probe(url, this.options.timeoutMs);
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

/**
 * One GET on a connection of its own, closed after the answer: a probe must not hold a socket open
 * in the process it watches (tests count that process's sockets). Resolves to an error, or undefined.
 */
function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode && res.statusCode < 300 ? undefined : `HTTP ${res.statusCode}`));
      res.once('error', (err) => resolve(err.message));
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err) => resolve(err.message));
  });
}
