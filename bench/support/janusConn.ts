import WebSocket from 'ws';

/** What the benchmarks read of a Janus message over the WebSocket API. */
export interface Msg {
  janus: string;
  transaction?: string;
  session_id?: number;
  sender?: number;
  data?: { id?: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: { type: string; sdp: string };
}

export interface Stamped {
  msg: Msg;
  at: number; // performance.now() on arrival
}

const REQUEST_TIMEOUT_MS = 15_000;

/** One WebSocket; replies matched by transaction, every other message kept with its arrival time. */
export class JanusConn {
  private readonly pending = new Map<
    string,
    { resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly kept: Stamped[] = [];
  private readonly waiters = new Set<() => void>();
  private seq = 0;
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const at = performance.now();
      const msg = JSON.parse(d.toString()) as Msg;
      const tx = typeof msg.transaction === 'string' ? msg.transaction : undefined;
      const p = tx ? this.pending.get(tx) : undefined;
      // Replies: success/error, or the ack of an asynchronous request (its event is kept).
      if (p && msg.janus !== 'event') {
        clearTimeout(p.timer);
        this.pending.delete(tx!);
        p.resolve(msg);
        return;
      }
      this.kept.push({ msg, at });
      for (const w of [...this.waiters]) w();
    });
    // A reset after the open shows up as the close below; without a listener it would throw.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.closed = true;
      for (const [tx, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error('socket closed'));
        this.pending.delete(tx);
      }
      for (const w of [...this.waiters]) w();
    });
  }

  /** `deflate` offers permessage-deflate, as browsers do. */
  static async connect(url: string, opts: { deflate?: boolean } = {}): Promise<JanusConn> {
    const ws = new WebSocket(url, 'janus-protocol', { perMessageDeflate: opts.deflate ?? false });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new JanusConn(ws);
  }

  /** Sends a request; `sent` receives the time just before it leaves. */
  request(body: Record<string, unknown>, sent?: (t: number) => void): Promise<Msg> {
    const transaction = `t${++this.seq}`;
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('socket closed'));
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        reject(new Error(`timeout waiting for the reply to ${String(body.janus)}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(transaction, { resolve, reject, timer });
      sent?.(performance.now());
      this.ws.send(JSON.stringify({ ...body, transaction }));
    });
  }

  /** Resolves with (and removes) the first kept message matching `pred`, with its arrival time. */
  waitFor(pred: (m: Msg) => boolean, what: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Stamped> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.kept.findIndex((s) => pred(s.msg));
        if (i >= 0) {
          done();
          resolve(this.kept.splice(i, 1)[0]!);
        } else if (this.closed) {
          done();
          reject(new Error(`socket closed while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timeout waiting for ${what}; have ${JSON.stringify(this.kept.map((s) => s.msg.janus))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Drops the kept messages (a long-lived connection's notifications nobody waits for). */
  discardKept(): void {
    this.kept.length = 0;
  }

  /** Destroys the socket without a closing handshake, as a crashed browser tab does. */
  terminate(): void {
    this.ws.terminate();
  }

  close(): Promise<void> {
    return new Promise((res) => {
      if (this.ws.readyState === WebSocket.CLOSED) return res();
      this.ws.once('close', () => res());
      this.ws.close();
    });
  }
}

export function ok(m: Msg, want: string, what: string): Msg {
  if (m.janus !== want) throw new Error(`${what}: expected ${want}, got ${JSON.stringify(m).slice(0, 300)}`);
  return m;
}
