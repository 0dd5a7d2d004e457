/**
 * Polls an HTTP health URL and calls `onDead` once after `failures` consecutive polls that failed
 * (refused, non-2xx, or no answer within `timeoutMs`). A process that accepts connections but
 * answers nothing (frozen, or a runtime whose worker died) is caught as surely as one that exited.
 */
import { connect } from 'node:net';

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
 * in the process it watches (tests count that process's sockets). Written on a bare TCP socket and
 * judged by the status line: node's HTTP client ran ~1.8 ms of (cold, interpreted) JavaScript per
 * probe in the idle supervisor, which polls once a second for as long as the stack runs (issue 12).
 * Resolves to an error, or undefined.
 */
export function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  const { hostname, port, pathname, search, host } = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 80) });
    let settled = false;
    const done = (error: string | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(error);
    };
    socket.setEncoding('latin1');
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () =>
      socket.write(`GET ${pathname}${search} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`),
    );
    const judge = () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      done(status === undefined ? 'no HTTP answer' : Number(status) < 300 ? undefined : `HTTP ${status}`);
    };
    socket.on('data', (d: string) => {
      answer += d;
      if (answered(answer)) judge();
    });
    socket.once('error', (err) => done(err.message));
    // workerd keeps the connection despite `connection: close`: the answer's own length says when it is whole.
    socket.once('end', judge);
  });
}

/** A whole HTTP/1.1 answer: its headers and the body they announce (content-length or chunked). */
function answered(text: string): boolean {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return false;
  const head = text.slice(0, headEnd);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  if (length !== undefined) return text.length - headEnd - 4 >= Number(length);
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) return text.endsWith('\r\n0\r\n\r\n');
  return false; // until the server closes
}
