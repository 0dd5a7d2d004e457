/**
 * A minimal Janus API client over WebSocket for tests that need full control of every message
 * (janus.js and janode are exercised in their own tests). Requests are matched by transaction;
 * every other message is kept in `events` for the test to wait on.
 */
import WebSocket from 'ws';

export type JanusMsg = Record<string, any> & { janus: string };

export class JanusWs {
  readonly events: JanusMsg[] = [];
  private readonly pending = new Map<string, { resolve: (m: JanusMsg) => void; acceptAck: boolean }>();
  private tx = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as JanusMsg;
      const p = m.transaction ? this.pending.get(m.transaction) : undefined;
      if (p && (m.janus !== 'ack' || p.acceptAck) && m.janus !== 'event') {
        this.pending.delete(m.transaction);
        p.resolve(m);
        return;
      }
      this.events.push(m);
    });
  }

  static async connect(url: string, protocol = 'janus-protocol'): Promise<JanusWs> {
    const ws = new WebSocket(url, protocol);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new JanusWs(ws);
  }

  /** Calls `cb` once the socket has closed (whoever closed it). */
  onClose(cb: () => void): void {
    if (this.ws.readyState === WebSocket.CLOSED) cb();
    else this.ws.once('close', cb);
  }

  request(body: Record<string, unknown>, acceptAck = true): Promise<JanusMsg> {
    const transaction = `t${++this.tx}`;
    return new Promise((resolve) => {
      this.pending.set(transaction, { resolve, acceptAck });
      this.ws.send(JSON.stringify({ ...body, transaction }));
    });
  }

  async createSession(): Promise<number> {
    const r = await this.request({ janus: 'create' });
    if (r.janus !== 'success') throw new Error(JSON.stringify(r));
    return r.data.id;
  }

  async attach(sessionId: number, plugin: string): Promise<number> {
    const r = await this.request({ janus: 'attach', session_id: sessionId, plugin });
    if (r.janus !== 'success') throw new Error(JSON.stringify(r));
    return r.data.id;
  }

  /** Waits for (and removes) the first kept message matching `pred`. */
  async waitEvent(pred: (m: JanusMsg) => boolean, timeoutMs = 10_000, what = 'event'): Promise<JanusMsg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; have ${JSON.stringify(this.events.map((e) => e.janus))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    return new Promise((res) => {
      if (this.ws.readyState === WebSocket.CLOSED) return res();
      this.ws.once('close', () => res());
      this.ws.close();
    });
  }
}
