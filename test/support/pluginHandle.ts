/** A Janus WS session with one plugin handle, for stack tests: synchronous and asynchronous plugin requests. */
import { JanusWs, type JanusMsg } from './janusWs.js';
import type { Stack } from './stack.js';

export class PluginHandle {
  protected constructor(
    readonly janus: JanusWs,
    readonly sessionId: number,
    public handleId: number,
  ) {}

  /** A session attached to `plugin`; `region` places its media on a relay of that region (`?region=`). */
  protected static async open(
    stack: Stack,
    plugin: string,
    region?: string,
  ): Promise<[janus: JanusWs, sessionId: number, handleId: number]> {
    const janus = await JanusWs.connect(region ? `${stack.wsUrl}?region=${region}` : stack.wsUrl);
    const sessionId = await janus.createSession();
    return [janus, sessionId, await janus.attach(sessionId, plugin)];
  }

  /** A synchronous request: the plugindata of the `success`. */
  async sync(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await this.janus.request({
      janus: 'message',
      session_id: this.sessionId,
      handle_id: this.handleId,
      body,
    });
    if (r.janus !== 'success') throw new Error(JSON.stringify(r));
    return r.plugindata.data;
  }

  /** An asynchronous request: the event answering it (or the error reply). */
  async ask(body: Record<string, unknown>, jsep?: Record<string, unknown>, timeoutMs = 20_000): Promise<JanusMsg> {
    const ack = await this.janus.request({
      janus: 'message',
      session_id: this.sessionId,
      handle_id: this.handleId,
      body,
      ...(jsep ? { jsep } : {}),
    });
    if (ack.janus !== 'ack') return ack;
    return this.janus.waitEvent(
      (m) => m.janus === 'event' && m.transaction === ack.transaction,
      timeoutMs,
      `answer to ${String(body.request)}`,
    );
  }

  waitData(pred: (d: Record<string, any>) => boolean, what: string, timeoutMs = 10_000): Promise<JanusMsg> {
    return this.janus.waitEvent((m) => m.janus === 'event' && m.plugindata && pred(m.plugindata.data), timeoutMs, what);
  }

  async close(): Promise<void> {
    await this.janus.close();
  }
}
