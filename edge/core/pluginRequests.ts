import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import type { RequestOf } from '../../shared/janus/requests.js';
import { checkPluginAccess } from '../auth/requestAuth.js';
import type { EdgeConfig } from '../config.js';
import type { HandleContext, Plugin } from '../plugins/plugin.js';
import type { EventDelivery } from './eventDelivery.js';
import { ShardHandleContext, type HandleHost } from './handleContext.js';
import type { ShardHost } from './host.js';
import { randomSafeInt } from './ids.js';
import type { PeerMedia } from './media.js';
import { PeerAdmission } from './peerAdmission.js';
import type { PluginCallOutcome, PluginCallTo } from './pluginCallBatch.js';
import { errorFrom, reply, type JanusMessage } from './replies.js';
import type { SharedSettings } from './settings.js';
import { fromOwnSocket, type Handle, type Session, type Source } from './session.js';

/**
 * The requests that reach a plugin: `attach` (a handle and its context), `message` (the plugin's
 * answer as `success`/`ack`, its events ordered after the reply on the session's own WebSocket), and
 * calls from a plugin's own coordination objects. Part of the shard's {@link SessionCore}.
 */
export class PluginRequests {
  constructor(
    private readonly host: ShardHost,
    private readonly config: EdgeConfig,
    private readonly plugins: Map<string, Plugin>,
    private readonly sessions: Map<number, Session>,
    private readonly delivery: EventDelivery,
    private readonly media: PeerMedia,
    private readonly settings: () => SharedSettings,
    private readonly persist: (s: Session) => void,
  ) {
    this.admission = new PeerAdmission(host, config.limits, config.shardCount);
  }

  private readonly admission: PeerAdmission;

  async attach(s: Session, req: RequestOf<'attach'>, token: string | undefined, tx: string): Promise<JanusMessage> {
    const plugin = this.plugins.get(req.plugin);
    if (!plugin) throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, `No such plugin '${req.plugin}'`);
    await checkPluginAccess(this.config, this.settings().tokens, token, req.plugin);
    let id: number;
    do id = randomSafeInt();
    while (s.handles.has(id));
    const h: Handle = {
      id,
      plugin,
      opaqueId: req.opaque_id,
      token,
      createdAt: this.host.clock.now(),
      hasPeer: false,
      pendingCandidates: [],
      ctx: this.handleContext(s, id, req.opaque_id),
    };
    try {
      await plugin.createHandle(h.ctx);
    } catch (err) {
      throw new JanusApiError(JanusError.PLUGIN_ATTACH, `Couldn't attach to plugin: ${String(err)}`);
    }
    if (s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${s.id}`);
    s.handles.set(id, h);
    this.persist(s);
    this.host.events.emit(
      EventType.HANDLE,
      { name: 'attached', plugin: req.plugin, opaque_id: req.opaque_id, token },
      { sessionId: s.id, handleId: id, opaqueId: req.opaque_id },
    );
    return reply('success', tx, s.id, { data: { id } });
  }

  /** Over the session's own WebSocket, the events a `message` causes follow its reply. */
  async messageInOrder(
    s: Session,
    h: Handle,
    req: RequestOf<'message'>,
    tx: string,
    origin: Source,
  ): Promise<JanusMessage> {
    if (!fromOwnSocket(s, origin) || s.held?.has(tx)) return await this.message(s, h, req, tx, origin);
    return this.delivery.inOrder(s, tx, async () => {
      try {
        return await this.message(s, h, req, tx, origin);
      } catch (err) {
        if (!(err instanceof JanusApiError)) this.host.log.error('request failed', { error: String(err) });
        return errorFrom(err, tx, s.id);
      }
    });
  }

  private async message(
    s: Session,
    h: Handle,
    req: RequestOf<'message'>,
    tx: string,
    origin: Source,
  ): Promise<JanusMessage> {
    // Limits refuse an offer before the SDP is looked at or the plugin hears of it.
    if (isOffer(req.jsep)) await this.admission.offer(s, h, origin);
    const jsep = req.jsep === undefined ? undefined : this.media.acceptJsep(s, h, req.jsep);
    const address = origin.address ?? s.source.address;
    const result = await h.plugin.handleMessage(h.ctx, { transaction: tx, body: req.body, jsep, address });
    switch (result.kind) {
      case 'ack':
        return reply('ack', tx, s.id, result.hint ? { hint: result.hint } : undefined);
      case 'error':
        throw new JanusApiError(JanusError.PLUGIN_MESSAGE, result.reason);
      case 'ok': {
        const extra: Record<string, unknown> = {
          sender: h.id,
          plugindata: { plugin: h.plugin.info.package, data: result.data },
        };
        if (result.jsep) extra.jsep = result.jsep;
        return reply('success', tx, s.id, extra);
      }
    }
  }

  /** The shard as its handles' contexts see it (one object per shard). */
  private readonly handleHost: HandleHost = {
    session: (id) => this.sessions.get(id),
    deliverEvent: (session, m, transaction) => this.delivery.deliverFor(session, m, transaction),
    emit: (type, event, opts) => this.host.events.emit(type, event, opts),
    persist: (session) => this.persist(session),
    hangup: (session, h, reason) => this.media.hangup(session, h, reason),
    admitPeer: (session, h) => this.admission.peer(session, h),
    openPeer: (session, h, offer, options, placement) => this.media.openPeer(session, h, offer, options, placement),
    pickRelay: (session) => this.media.pickRelay(session),
    command: (h, cmd) => this.media.command(h, cmd),
    commandAt: (relay, cmd) => this.host.relays.command(relay, cmd),
  };

  handleContext(s: Session, handleId: number, opaqueId?: string, pluginState?: unknown): HandleContext {
    return new ShardHandleContext(this.handleHost, s.id, handleId, opaqueId, pluginState);
  }

  /** From a plugin's coordination object (a VideoRoom) to one of our handles: false when it has none such. */
  async pluginCall(sessionId: number, handleId: number, call: unknown): Promise<boolean> {
    const h = this.sessions.get(sessionId)?.handles.get(handleId);
    if (!h) return false;
    if (h.plugin.handleInternal) await h.plugin.handleInternal(h.ctx, call);
    return true;
  }

  /** A batch of such calls: each starts in order, as separate calls arriving one after another would. */
  pluginCalls(calls: readonly PluginCallTo[]): Promise<PluginCallOutcome[]> {
    return Promise.all(
      calls.map((c) =>
        this.pluginCall(c.sessionId, c.handleId, c.call).catch((err: unknown): PluginCallOutcome => ({
          failed: err instanceof Error ? err.message : String(err),
        })),
      ),
    );
  }
}

/** The jsep (not yet validated) announces an offer. */
function isOffer(jsep: unknown): boolean {
  return typeof jsep === 'object' && jsep !== null && (jsep as { type?: unknown }).type === 'offer';
}
