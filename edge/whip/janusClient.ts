import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { namedShard } from '../core/ids.js';
import { learnFromReply, placementHint } from '../core/shardFill.js';
import type { JanusMessage } from '../core/replies.js';
import type { Source } from '../core/session.js';
import type { PollResult } from '../core/shardApi.js';
import type { Stubs } from '../stubs.js';

/** How long a WHIP/WHEP request waits for the plugin's answer (the relay's own commands time out at 10 s). */
const ANSWER_TIMEOUT_MS = 20_000;

/** The credentials a WHIP/WHEP client's bearer token stands for on the Janus API (apisecret and token). */
export interface ApiAuth {
  apisecret?: string;
  token?: string;
}

/** An error the plugin answered (`error_code` in its data), apart from the core's own errors. */
export class PluginError extends JanusApiError {}

/** A plugin's event answering a message: its data and its JSEP. */
export interface PluginAnswer {
  data: Record<string, unknown>;
  jsep?: { type: string; sdp: string };
}

/**
 * The Janus API as a WHIP/WHEP resource speaks it: the very requests a Janus HTTP client sends, to the
 * same shards, through the same core (`SessionShard.janus`), and the session's events read by long
 * poll. The resource is an ordinary session + handle; nothing of the core is bypassed.
 */
export class InternalJanusClient {
  constructor(
    private readonly stubs: Stubs,
    private readonly shardCount: number,
    private readonly origin: Source,
    private readonly auth: ApiAuth,
    private readonly region?: string,
  ) {}

  /** One request; an `error` reply throws its code. */
  async request(body: Record<string, unknown>): Promise<JanusMessage> {
    const full = { transaction: crypto.randomUUID(), ...this.auth, ...body };
    const named = namedShard(full, this.shardCount);
    const shard = named ?? placementHint.first(this.shardCount);
    const reply: JanusMessage = await this.stubs.shard(shard).janus(full, this.origin, shard, this.region);
    if (named === undefined) learnFromReply(shard, reply, this.shardCount);
    if (reply.janus === 'error') {
      const e = reply.error as { code?: number; reason?: string } | undefined;
      throw new JanusApiError(e?.code ?? JanusError.UNKNOWN, e?.reason ?? 'Janus error');
    }
    return reply;
  }

  async createSession(): Promise<number> {
    const r = await this.request({ janus: 'create' });
    return (r.data as { id: number }).id;
  }

  async attach(sessionId: number, plugin: string, opaqueId: string): Promise<number> {
    const r = await this.request({ janus: 'attach', session_id: sessionId, plugin, opaque_id: opaqueId });
    return (r.data as { id: number }).id;
  }

  /**
   * A plugin message and its answer: the synchronous reply, or (after `ack`) the event carrying the
   * same transaction. A plugin error (`error_code` in its data) throws that code.
   */
  async message(
    sessionId: number,
    handleId: number,
    body: Record<string, unknown>,
    jsep?: { type: string; sdp: string; restart?: boolean },
  ): Promise<PluginAnswer> {
    const transaction = crypto.randomUUID();
    const r = await this.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      transaction,
      body,
      ...(jsep ? { jsep } : {}),
    });
    const answer = r.janus === 'ack' ? await this.eventFor(sessionId, transaction) : r;
    const data = ((answer.plugindata as { data?: unknown } | undefined)?.data ?? {}) as Record<string, unknown>;
    if (typeof data.error_code === 'number')
      throw new PluginError(data.error_code, typeof data.error === 'string' ? data.error : 'Plugin error');
    return { data, jsep: answer.jsep as PluginAnswer['jsep'] };
  }

  async trickle(sessionId: number, handleId: number, candidates: unknown[]): Promise<void> {
    await this.request({ janus: 'trickle', session_id: sessionId, handle_id: handleId, candidates });
  }

  /** Ends the session through the one termination path (API `destroy`); an already gone one is fine. */
  async destroy(sessionId: number): Promise<void> {
    try {
      await this.request({ janus: 'destroy', session_id: sessionId });
    } catch (err) {
      if (!(err instanceof JanusApiError && err.code === JanusError.SESSION_NOT_FOUND)) throw err;
    }
  }

  /** Polls the session's events until the one answering `transaction` (others are of no use to a resource). */
  private async eventFor(sessionId: number, transaction: string): Promise<JanusMessage> {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    const shard = this.stubs.shardOfSession(sessionId);
    while (Date.now() < deadline) {
      const r: PollResult = await shard.poll(sessionId, 100, this.auth.apisecret, this.auth.token);
      if (r.status !== 200) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, 'Session gone while negotiating');
      const events = Array.isArray(r.body) ? r.body : r.body ? [r.body] : [];
      const hit = events.find((m) => m.janus === 'event' && m.transaction === transaction);
      if (hit) return hit;
    }
    throw new JanusApiError(JanusError.UNKNOWN, 'Timed out waiting for the answer');
  }
}
