/** AudioBridge participants for stack tests: a Janus WS session with one audiobridge handle. */
import { JanusWs, type JanusMsg } from '../../support/janusWs.js';
import type { Stack } from '../../support/stack.js';

export const AB = 'janus.plugin.audiobridge';

export class AbParticipant {
  private constructor(
    readonly janus: JanusWs,
    readonly sessionId: number,
    readonly handleId: number,
  ) {}

  /** `region` places its media on a relay of that region (`?region=`). */
  static async connect(stack: Stack, region?: string): Promise<AbParticipant> {
    const janus = await JanusWs.connect(region ? `${stack.wsUrl}?region=${region}` : stack.wsUrl);
    const sessionId = await janus.createSession();
    return new AbParticipant(janus, sessionId, await janus.attach(sessionId, AB));
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

  /** `plugin_specific` of admin `handle_info`: the room, the id and the relay of the media. */
  async pluginInfo(stack: Stack): Promise<Record<string, any>> {
    const res = await fetch(stack.adminUrl, {
      method: 'POST',
      body: JSON.stringify({
        janus: 'handle_info',
        transaction: 'hi',
        admin_secret: 'janusoverlord',
        session_id: this.sessionId,
        handle_id: this.handleId,
      }),
    });
    return ((await res.json()) as { info: { plugin_specific: Record<string, any> } }).info.plugin_specific;
  }

  async hangup(): Promise<void> {
    await this.janus.request({ janus: 'hangup', session_id: this.sessionId, handle_id: this.handleId });
  }

  async close(): Promise<void> {
    await this.janus.close();
  }
}
