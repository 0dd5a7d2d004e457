import { DurableObject } from 'cloudflare:workers';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import { attachSchema, createSchema, envelopeSchema, jsepSchema, messageBodySchema, trickleSchema, type Envelope } from '../../shared/janus/requests.js';
import { parseJanus } from '../../shared/janus/validate.js';
import { checkPluginAccess, checkRequestAuth } from '../auth/requestAuth.js';
import { loadConfig, type EdgeConfig } from '../config.js';
import { errorFrom, errorReply, reply, takeFollowUps, withFollowUps, type JanusMessage } from '../core/replies.js';
import { serverInfo, type SharedSettings } from '../core/serverInfo.js';
import type { Env } from '../env.js';
import { EventSink } from '../events/eventSink.js';
import { Logger } from '../log.js';
import type { HandleContext, Plugin } from '../plugins/plugin.js';
import { pluginRegistry } from '../plugins/registry.js';
import { parseJsonObject } from '../http/body.js';
import { newSessionId, randomSafeInt, shardOf } from './ids.js';
import { deadlineOf, MAX_QUEUED_EVENTS, toRecord, type Handle, type RelayRef, type Session, type SessionRecord, type Source } from './session.js';
import type { PeerCreateOptions } from '../plugins/plugin.js';
import type { CommandOp, CommandResult, TrickleCandidate } from '../../shared/control/commands.js';
import { trickleCandidateSchema } from '../../shared/control/commands.js';
import type { PeerEvent } from '../../shared/control/events.js';
import { LinkRelayClient, type CommandArgs, type RelayClient } from '../relays/relayClient.js';
import { Stubs } from '../stubs.js';
import { handlerEventsFor, janusMessageFor } from '../media/relayEvents.js';
import { midsOf } from '../media/sdp.js';
import { ShardHandleContext, type HandleHost } from './handleContext.js';

/** How a session ends; every path runs `endSession`. */
export type EndCause = 'destroyed' | 'timeout';

export interface PollResult {
  status: 200 | 403 | 404;
  body?: JanusMessage | JanusMessage[];
}

export interface HandleSummary {
  session_id: number;
  handle_id: number;
  plugin: string;
  opaque_id?: string;
  created: number;
  has_peer: boolean;
}

const LONG_POLL_MS = 30_000;
const UNCONFIRMED = { allowUnconfirmed: true } as const;
const FLUSH_MS = 100;
/** Sessions younger than this are not written yet: most API churn never reaches storage. */
const MIN_PERSIST_AGE_MS = 1000;
/** Durable Object storage takes at most 128 keys per put/delete. */
const STORAGE_BATCH = 128;
const WS_TAG_PREFIX = 'conn:';
const ID_KEYS = ['session_id', 'handle_id'] as const;

function wrongPath(env: Envelope): JanusApiError {
  return new JanusApiError(JanusError.INVALID_REQUEST_PATH, `Unhandled request '${env.janus}' at this path`);
}

interface WsAttachment {
  connId: string;
  shard: number;
  region?: string;
}

/** A socket's attachment and the request origin built from it, cached per socket. */
interface WsState {
  att: WsAttachment;
  origin: Source & { kind: 'ws' };
}

/** Client candidates kept per handle until its PeerConnection exists. */
const MAX_PENDING_CANDIDATES = 64;

/**
 * A session coordinator. Sessions are sharded by id (id mod SHARD_COUNT); each shard owns its
 * sessions and their handles, holds the WebSockets that were routed to it (hibernatable), queues
 * events for HTTP long polls, and expires sessions with one alarm set to the earliest deadline.
 * Its `sessions` map is the registry: admin lists and counts are read from it, never kept beside it.
 */
export class SessionShard extends DurableObject<Env> {
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly sink: EventSink;
  private readonly plugins: Map<string, Plugin>;
  private readonly stubs: Stubs;
  private readonly relays: RelayClient;
  private readonly sessions = new Map<number, Session>();
  /** Sessions of other shards whose events go to a WebSocket held here: connId → session ids. */
  private readonly remoteOwned = new Map<string, Set<number>>();
  /** Sessions whose record must be written (or deleted) at the next flush. */
  private readonly dirty = new Set<number>();
  /** Sessions that have a record in storage. */
  private readonly stored = new Set<number>();
  private flushTimer?: ReturnType<typeof setTimeout>;
  /** Open WebSockets held here, by connection id (a cache of the runtime's tagged sockets). */
  private readonly sockets = new Map<string, WebSocket>();
  private readonly socketStates = new WeakMap<WebSocket, WsState>();
  private settings!: SharedSettings;
  private shard = -1;
  private alarmAt = Infinity;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
    this.log = new Logger(this.config.logLevel, 'shard');
    this.sink = new EventSink(this.config.eventsUrl, this.config.serverName, this.log);
    this.stubs = new Stubs(env, this.config.shardCount);
    this.relays = new LinkRelayClient(this.stubs);
    this.plugins = pluginRegistry(this.config, this.stubs, this.relays);
    ctx.blockConcurrencyWhile(() => this.restore());
  }

  // ---------------------------------------------------------------- state restore / persistence

  private async restore(): Promise<void> {
    const shard = await this.ctx.storage.get<number>('shard');
    if (shard !== undefined) this.shard = shard;
    const settings = await this.ctx.storage.get<SharedSettings>('settings');
    this.settings = settings ?? (await this.core().getSettings());
    const records = await this.ctx.storage.list<SessionRecord>({ prefix: 's:' });
    for (const rec of records.values()) {
      this.sessions.set(rec.id, this.fromRecord(rec));
      this.stored.add(rec.id);
    }
    const remote = await this.ctx.storage.list<number[]>({ prefix: 'ro:' });
    for (const [key, ids] of remote) this.remoteOwned.set(key.slice(3), new Set(ids));
    if (this.sessions.size > 0) this.scheduleAlarm(this.nextDeadline());
    if (records.size > 0) this.log.info('shard restored', { shard: this.shard, sessions: records.size });
  }

  private fromRecord(rec: SessionRecord): Session {
    const s: Session = {
      id: rec.id,
      createdAt: rec.createdAt,
      // Activity writes are best effort; a restarted shard never expires a session early.
      lastActivity: Math.max(rec.lastActivity, Date.now() - 1000),
      timeout: rec.timeout,
      source: rec.source,
      region: rec.region,
      transportGoneAt: rec.transportGoneAt,
      handles: new Map(),
      queue: [],
      pollers: new Set(),
      ending: false,
    };
    for (const h of rec.handles) {
      const plugin = this.plugins.get(h.plugin);
      if (!plugin) continue;
      s.handles.set(h.id, { ...h, plugin, pendingCandidates: [], ctx: this.handleContext(s, h.id, h.opaqueId) });
    }
    return s;
  }

  /**
   * Session records are written behind: changes mark the session dirty and one batched write per
   * FLUSH_MS stores them, without holding replies behind the commit (`allowUnconfirmed`). A session
   * is first written once it is MIN_PERSIST_AGE_MS old, so one created and destroyed quickly costs no
   * storage at all. A pending flush keeps the object from hibernating, so what is in memory reaches
   * storage before an eviction; a host crash may lose the last second of changes.
   */
  private persist(s: Session): void {
    this.dirty.add(s.id);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const puts: Record<string, SessionRecord> = {};
    const dels: string[] = [];
    const now = Date.now();
    const young: number[] = [];
    for (const id of this.dirty) {
      const s = this.sessions.get(id);
      if (s && !s.ending) {
        // A session younger than one window waits for the next: most short-lived ones never cost a write.
        if (now - s.createdAt < MIN_PERSIST_AGE_MS && !this.stored.has(id)) {
          young.push(id);
          continue;
        }
        puts[`s:${id}`] = toRecord(s);
        this.stored.add(id);
      } else if (this.stored.delete(id)) dels.push(`s:${id}`);
    }
    this.dirty.clear();
    for (const id of young) this.dirty.add(id);
    if (young.length > 0) this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
    const keys = Object.keys(puts);
    for (let i = 0; i < keys.length; i += STORAGE_BATCH) {
      const chunk: Record<string, SessionRecord> = {};
      for (const k of keys.slice(i, i + STORAGE_BATCH)) chunk[k] = puts[k]!;
      void this.ctx.storage.put(chunk, UNCONFIRMED);
    }
    for (let i = 0; i < dels.length; i += STORAGE_BATCH) void this.ctx.storage.delete(dels.slice(i, i + STORAGE_BATCH), UNCONFIRMED);
  }

  private bindShard(shard: number): void {
    if (this.shard === shard) return;
    this.shard = shard;
    void this.ctx.storage.put('shard', shard);
  }

  private core() {
    return this.stubs.core();
  }

  private shardStub(shard: number) {
    return this.stubs.shard(shard);
  }

  // ---------------------------------------------------------------- RPC: the Janus API

  /**
   * Handles one Janus API request addressed to this shard (a `create`, or a verb on one of its
   * sessions). `origin` is where the request came from, so `create`/`claim` know the session's source.
   */
  async janus(raw: Record<string, unknown>, origin: Source, shard: number, region?: string): Promise<JanusMessage> {
    this.bindShard(shard);
    let transaction: string | undefined;
    let sessionId: number | undefined;
    try {
      // Like janus.c: an id that is not an integer counts as 0; a session id of 0 means "none"; a
      // handle id that is present but below 1 is 459.
      for (const key of ID_KEYS) {
        const v = raw[key];
        if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v))) raw[key] = 0;
      }
      if (raw.session_id === 0) delete raw.session_id;
      // Janus answers envelope errors without the transaction.
      const env = parseJanus(envelopeSchema, raw);
      transaction = env.transaction;
      sessionId = env.session_id;
      return await this.dispatch(env, raw, origin, region);
    } catch (err) {
      if (err instanceof EnvelopeError) return errorFrom(err);
      if (!(err instanceof JanusApiError)) this.log.error('request failed', { error: String(err) });
      if (err instanceof SessionConflict) return errorFrom(err, transaction, err.sessionId);
      return errorFrom(err, transaction, sessionId);
    }
  }

  private async dispatch(env: Envelope, raw: Record<string, unknown>, origin: Source, region?: string): Promise<JanusMessage> {
    const verb = env.janus.toLowerCase();
    const tx = env.transaction;
    if (env.session_id === undefined && !env.handle_id) {
      if (verb === 'info') return serverInfo(this.config, this.settings, this.plugins, tx);
      if (verb === 'ping') return reply('pong', tx);
      if (verb !== 'create') throw new JanusApiError(JanusError.INVALID_REQUEST_PATH, `Unhandled request '${env.janus}' at this path`);
      return await this.create(env, raw, origin, region);
    }
    const sid = env.session_id ?? 0;
    if (sid < 1) throw new JanusApiError(JanusError.SESSION_NOT_FOUND);
    if (env.handle_id !== undefined && env.handle_id < 1) throw new JanusApiError(JanusError.HANDLE_NOT_FOUND);
    await checkRequestAuth(this.config, this.settings.tokens, env.apisecret, env.token);
    const s = this.sessions.get(sid);
    if (!s || s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${sid}`);
    this.touch(s);
    let h: Handle | undefined;
    if (env.handle_id !== undefined) {
      h = s.handles.get(env.handle_id);
      if (!h) throw new JanusApiError(JanusError.HANDLE_NOT_FOUND, `No such handle ${env.handle_id} in session ${sid}`);
    }
    switch (verb) {
      case 'keepalive':
        return reply('ack', tx, sid);
      case 'attach':
        if (h) throw wrongPath(env);
        return await this.attach(s, env, raw);
      case 'destroy':
        if (h) throw wrongPath(env);
        this.endSession(s, 'destroyed');
        return reply('success', tx, sid);
      case 'claim':
        if (h) throw wrongPath(env);
        return this.claim(s, origin, tx);
      case 'detach':
        if (!h) throw wrongPath(env);
        this.releaseHandle(s, h, 'Detach', true);
        this.persist(s);
        return reply('success', tx, sid);
      case 'hangup':
        if (!h) throw wrongPath(env);
        this.hangup(s, h, 'Janus API');
        return reply('success', tx, sid);
      case 'message':
        if (!h) throw wrongPath(env);
        return await this.messageInOrder(s, h, env, raw, origin);
      case 'trickle':
        if (!h) throw wrongPath(env);
        return this.trickle(s, h, raw, tx);
      default:
        throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${env.janus}'`);
    }
  }

  private async create(env: Envelope, raw: Record<string, unknown>, origin: Source, region?: string): Promise<JanusMessage> {
    if (!this.settings.acceptNewSessions) throw new JanusApiError(JanusError.NOT_ACCEPTING_SESSIONS);
    await checkRequestAuth(this.config, this.settings.tokens, env.apisecret, env.token);
    let wanted: number | undefined;
    try {
      wanted = parseJanus(createSchema, raw).id;
    } catch (err) {
      throw new EnvelopeError(err);
    }
    let id: number;
    if (wanted !== undefined) {
      if (shardOf(wanted, this.config.shardCount) !== this.shard) throw new Error('create routed to the wrong shard');
      if (this.sessions.has(wanted)) throw new SessionConflict(wanted);
      id = wanted;
    } else {
      do id = newSessionId(this.shard, this.config.shardCount);
      while (this.sessions.has(id));
    }
    const now = Date.now();
    const s: Session = { id, createdAt: now, lastActivity: now, source: origin, region, handles: new Map(), queue: [], pollers: new Set(), ending: false };
    this.sessions.set(id, s);
    this.persist(s);
    this.scheduleAlarm(this.deadline(s));
    this.sink.emit(EventType.SESSION, { name: 'created', transport: transportOf(origin) }, { sessionId: id });
    return reply('success', env.transaction, undefined, { data: { id } });
  }

  private async attach(s: Session, env: Envelope, raw: Record<string, unknown>): Promise<JanusMessage> {
    const req = parseJanus(attachSchema, raw);
    const plugin = this.plugins.get(req.plugin);
    if (!plugin) throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, `No such plugin '${req.plugin}'`);
    await checkPluginAccess(this.config, this.settings.tokens, env.token, req.plugin);
    let id: number;
    do id = randomSafeInt();
    while (s.handles.has(id));
    const h: Handle = { id, plugin, opaqueId: req.opaque_id, token: env.token, createdAt: Date.now(), hasPeer: false, pendingCandidates: [], ctx: this.handleContext(s, id, req.opaque_id) };
    try {
      await plugin.createHandle(h.ctx);
    } catch (err) {
      throw new JanusApiError(JanusError.PLUGIN_ATTACH, `Couldn't attach to plugin: ${String(err)}`);
    }
    if (s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${s.id}`);
    s.handles.set(id, h);
    this.persist(s);
    this.sink.emit(EventType.HANDLE, { name: 'attached', plugin: req.plugin, opaque_id: req.opaque_id, token: env.token }, { sessionId: s.id, handleId: id, opaqueId: req.opaque_id });
    return reply('success', env.transaction, s.id, { data: { id } });
  }

  /**
   * Runs `message` so that, over the session's own WebSocket, the events it causes follow its reply:
   * they are held and handed to the transport as the reply's `followUps`.
   */
  private async messageInOrder(s: Session, h: Handle, env: Envelope, raw: Record<string, unknown>, origin: Source): Promise<JanusMessage> {
    const tx = env.transaction;
    const src = s.source;
    const ownSocket = origin.kind === 'ws' && src.kind === 'ws' && src.connId === origin.connId;
    if (!ownSocket || tx === undefined || s.held?.has(tx)) return await this.message(s, h, env, raw);
    const held: JanusMessage[] = [];
    (s.held ??= new Map()).set(tx, held);
    let out: JanusMessage;
    try {
      out = await this.message(s, h, env, raw);
    } catch (err) {
      if (!(err instanceof JanusApiError)) this.log.error('request failed', { error: String(err) });
      out = errorFrom(err, tx, s.id);
    } finally {
      s.held.delete(tx);
    }
    return held.length > 0 ? withFollowUps(out, held) : out;
  }

  private async message(s: Session, h: Handle, env: Envelope, raw: Record<string, unknown>): Promise<JanusMessage> {
    const { body } = parseJanus(messageBodySchema, raw);
    let jsep;
    if (raw.jsep !== undefined) {
      if (raw.jsep === null || typeof raw.jsep !== 'object' || Array.isArray(raw.jsep)) throw new JanusApiError(JanusError.INVALID_JSON_OBJECT, 'Invalid jsep object');
      jsep = parseJanus(jsepSchema, raw.jsep);
      const type = jsep.type.toLowerCase();
      if (type !== 'offer' && type !== 'answer') throw new JanusApiError(JanusError.JSEP_UNKNOWN_TYPE, `JSEP error: unknown message type '${jsep.type}'`);
      if (!jsep.sdp.trimStart().startsWith('v=0')) throw new JanusApiError(JanusError.JSEP_INVALID_SDP, 'JSEP error: invalid SDP');
      const mids = midsOf(jsep.sdp);
      if (mids === undefined) throw new JanusApiError(JanusError.JSEP_INVALID_SDP, 'JSEP error: invalid SDP');
      // Without a PeerConnection nothing was offered to this handle yet.
      if (type === 'answer' && !h.hasPeer) throw new JanusApiError(JanusError.UNEXPECTED_ANSWER, 'Unexpected ANSWER (did we offer?)');
      h.mids = mids;
      this.sink.emit(EventType.JSEP, { owner: 'remote', jsep: { type, sdp: jsep.sdp } }, { sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId });
    }
    const result = await h.plugin.handleMessage(h.ctx, { transaction: env.transaction, body, jsep });
    switch (result.kind) {
      case 'ack':
        return reply('ack', env.transaction, s.id, result.hint ? { hint: result.hint } : undefined);
      case 'error':
        throw new JanusApiError(JanusError.PLUGIN_MESSAGE, result.reason);
      case 'ok': {
        const extra: Record<string, unknown> = { sender: h.id, plugindata: { plugin: h.plugin.info.package, data: result.data } };
        if (result.jsep) extra.jsep = result.jsep;
        return reply('success', env.transaction, s.id, extra);
      }
    }
  }

  /**
   * Trickle is acknowledged at once (Janus does the same); candidates are checked here against the
   * negotiated mids (466 for an unknown one) and forwarded to the relay without waiting for it, or
   * kept until the PeerConnection exists. Bad entries inside a `candidates` array are skipped.
   */
  private trickle(s: Session, h: Handle, raw: Record<string, unknown>, tx: string): JanusMessage {
    const t = parseJanus(trickleSchema, raw);
    if (t.candidate !== undefined && t.candidates !== undefined) throw new JanusApiError(JanusError.INVALID_JSON, "Can't have both candidate and candidates");
    if (t.candidate === undefined && t.candidates === undefined) throw new JanusApiError(JanusError.MISSING_MANDATORY_ELEMENT, 'Missing mandatory element (candidate|candidates)');
    const list: TrickleCandidate[] = [];
    if (t.candidate !== undefined) {
      const c = t.candidate === null ? { completed: true as const } : t.candidate;
      const problem = this.candidateProblem(h, c);
      if (problem) throw new JanusApiError(JanusError.TRICKE_INVALID_STREAM, problem);
      list.push(c);
    } else {
      for (const item of t.candidates!) {
        const parsed = trickleCandidateSchema.safeParse(item);
        if (parsed.success && !this.candidateProblem(h, parsed.data)) list.push(parsed.data);
      }
    }
    for (const c of list) {
      this.sink.emit(EventType.WEBRTC, 'completed' in c ? { 'remote-candidate': 'end-of-candidates' } : { 'remote-candidate': c.candidate, stream_id: 1, component_id: 1 }, { subtype: 3, sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId });
      if (h.hasPeer && h.relay) this.tellRelay(h, { op: 'peer.trickle', sessionId: s.id, handleId: h.id, candidate: c });
      else if (h.pendingCandidates.length < MAX_PENDING_CANDIDATES) h.pendingCandidates.push(c);
    }
    return reply('ack', tx, s.id);
  }

  private candidateProblem(h: Handle, c: TrickleCandidate): string | undefined {
    if ('completed' in c || !h.mids) return undefined;
    if (c.sdpMid != null && !h.mids.includes(c.sdpMid)) return `Invalid stream (no mid ${c.sdpMid})`;
    if (c.sdpMid == null && c.sdpMLineIndex != null && c.sdpMLineIndex >= h.mids.length) return `Invalid stream (no m-line ${c.sdpMLineIndex})`;
    return undefined;
  }

  private claim(s: Session, origin: Source, tx: string): JanusMessage {
    const old = s.source;
    s.source = origin;
    s.transportGoneAt = undefined;
    this.persist(s);
    if (old.kind === 'ws' && old.shard !== this.shard && !(origin.kind === 'ws' && origin.connId === old.connId)) {
      void this.shardStub(old.shard).forgetRemote(old.connId, s.id).catch(() => undefined);
    }
    return reply('success', tx, s.id);
  }

  /** Hangs up the handle's PeerConnection (API hangup, admin hangup_webrtc). */
  private hangup(s: Session, h: Handle, reason: string): void {
    if (!h.hasPeer) {
      // Janus tells the plugin even when no PeerConnection exists (its echotest answers "done"), once.
      if (!h.hungUp) runDetached(this.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
      h.hungUp = true;
      return;
    }
    this.releasePeer(h, reason);
    this.peerGone(s, h, reason);
  }

  /** Tells the relay to close the PeerConnection; nothing waits for it. */
  private releasePeer(h: Handle, reason: string): void {
    if (h.relay) this.tellRelay(h, { op: 'peer.hangup', sessionId: h.ctx.sessionId, handleId: h.id, reason });
  }

  /** The PeerConnection is gone, whichever side ended it: client told, plugin told, state cleared. */
  private peerGone(s: Session, h: Handle, reason: string): void {
    if (!h.hasPeer) return;
    h.hasPeer = false;
    h.relay = undefined;
    h.mids = undefined;
    this.persist(s);
    h.hungUp = true;
    this.deliver(s, { janus: 'hangup', session_id: s.id, sender: h.id, reason });
    this.sink.emit(EventType.WEBRTC, { connection: 'hangup', reason }, { subtype: 6, sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId });
    runDetached(this.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
  }

  // ---------------------------------------------------------------- the one termination path

  /**
   * Ends a session, whatever the cause (API destroy, admin destroy_session, timeout, transport gone):
   * handles released and their plugins told, `timeout` sent for expiry, the type-1 event emitted, the
   * session removed from the registry and storage, waiting long polls released.
   */
  endSession(s: Session, cause: EndCause): void {
    if (s.ending) return;
    s.ending = true;
    for (const h of [...s.handles.values()]) this.releaseHandle(s, h, 'Detach', false);
    if (cause === 'timeout') this.deliver(s, { janus: 'timeout', session_id: s.id });
    this.sink.emit(EventType.SESSION, { name: cause }, { sessionId: s.id });
    this.sessions.delete(s.id);
    this.persist(s);
    if (s.source.kind === 'ws' && s.source.shard !== this.shard) {
      void this.shardStub(s.source.shard).forgetRemote(s.source.connId, s.id).catch(() => undefined);
    }
    for (const wake of s.pollers) wake();
  }

  private releaseHandle(s: Session, h: Handle, reason: string, notifyClient: boolean): void {
    const hadPeer = h.hasPeer;
    if (hadPeer) {
      this.releasePeer(h, reason);
      h.hasPeer = false;
      h.relay = undefined;
      if (notifyClient) this.deliver(s, { janus: 'hangup', session_id: s.id, sender: h.id, reason });
    }
    // As in Janus, the plugin hears of a hang-up only when a PeerConnection existed (a handle without
    // one is detached silently), and while the handle still exists, so its last events reach the client.
    if (hadPeer) runDetached(this.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
    s.handles.delete(h.id);
    runDetached(this.log, 'destroyHandle', () => h.plugin.destroyHandle(h.ctx));
    if (notifyClient) this.deliver(s, { janus: 'detached', session_id: s.id, sender: h.id });
    this.sink.emit(EventType.HANDLE, { name: 'detached', plugin: h.plugin.info.package, opaque_id: h.opaqueId, token: h.token }, { sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId });
  }

  // ---------------------------------------------------------------- events towards clients

  /** The shard as its handles' contexts see it (one object per shard). */
  private readonly host: HandleHost = {
    session: (id) => this.sessions.get(id),
    deliverEvent: (session, m, transaction) => {
      const held = transaction === undefined ? undefined : session.held?.get(transaction);
      if (held) held.push(m);
      else this.deliver(session, m);
    },
    emit: (type, event, opts) => this.sink.emit(type, event, opts),
    persist: (session) => this.persist(session),
    hangup: (session, h, reason) => this.hangup(session, h, reason),
    openPeer: (session, h, offer, options, placement) => this.openPeer(session, h, offer, options, placement),
    pickRelay: (session) => this.pickRelay(session),
    command: (h, cmd) => this.relayCommand(h, cmd),
  };

  private handleContext(s: Session, handleId: number, opaqueId?: string): HandleContext {
    return new ShardHandleContext(this.host, s.id, handleId, opaqueId);
  }

  /** RPC from a plugin's coordination object (a VideoRoom) to one of our handles. */
  async pluginCall(sessionId: number, handleId: number, call: unknown): Promise<void> {
    const h = this.sessions.get(sessionId)?.handles.get(handleId);
    if (!h || !h.plugin.handleInternal) return;
    await h.plugin.handleInternal(h.ctx, call);
  }

  // ---------------------------------------------------------------- media on relays

  private async pickRelay(s: Session): Promise<RelayRef> {
    const relay = await this.core().pickRelay(s.region);
    if (!relay) throw new JanusApiError(JanusError.UNKNOWN, 'No media relay available');
    return { relayId: relay.relayId, linkId: relay.linkId };
  }

  private async openPeer(s: Session, h: Handle, offer: { sdp: string } | undefined, options: PeerCreateOptions, placement?: RelayRef): Promise<CommandResult<'peer.create'>> {
    const relay = placement ?? (await this.pickRelay(s));
    h.relay = { relayId: relay.relayId, linkId: relay.linkId };
    const plugin = h.plugin.info.package as CommandArgs<'peer.create'>['plugin'];
    let result: CommandResult<'peer.create'>;
    try {
      result = await this.relayCommand(h, { op: 'peer.create', sessionId: s.id, handleId: h.id, plugin, offer, options });
    } catch (err) {
      if (this.sessions.get(s.id)?.handles.get(h.id)) h.relay = undefined;
      throw err;
    }
    if (!this.sessions.get(s.id)?.handles.get(h.id) || s.ending) {
      // The handle went away while the relay worked: release what was just made.
      this.tellRelay(h, { op: 'peer.hangup', sessionId: s.id, handleId: h.id, reason: 'Detach' });
      throw new JanusApiError(JanusError.HANDLE_NOT_FOUND, 'Handle detached during negotiation');
    }
    h.hasPeer = true;
    h.hungUp = false;
    this.persist(s);
    for (const c of h.pendingCandidates.splice(0)) this.tellRelay(h, { op: 'peer.trickle', sessionId: s.id, handleId: h.id, candidate: c });
    return result;
  }

  /** One command to the relay holding the handle's PeerConnection; failures throw a JanusApiError. */
  private relayCommand<O extends CommandOp>(h: Handle, cmd: CommandArgs<O>): Promise<CommandResult<O>> {
    if (!h.relay) return Promise.reject(new JanusApiError(JanusError.WEBRTC_STATE, 'No PeerConnection'));
    return this.relays.command(h.relay, cmd);
  }

  /** A command nobody waits for (trickle, hangup): a failure only means the peer is already gone. */
  private tellRelay<O extends CommandOp>(h: Handle, cmd: CommandArgs<O>): void {
    this.relayCommand(h, cmd).catch((err: unknown) => this.log.debug('relay command failed', { op: cmd.op, error: String(err) }));
  }

  /** RPC from a RelayLink: an event about one PeerConnection on that relay. */
  async relayEvent(sessionId: number, handleId: number, linkId: string, event: PeerEvent): Promise<void> {
    const s = this.sessions.get(sessionId);
    const h = s?.handles.get(handleId);
    if (!s || !h || s.ending || h.relay?.linkId !== linkId) return;
    for (const e of handlerEventsFor(event)) this.sink.emit(e.type, e.body, { subtype: e.subtype, sessionId, handleId, opaqueId: h.opaqueId });
    if (event.kind === 'hangup') {
      this.peerGone(s, h, event.reason);
      return;
    }
    const m = janusMessageFor(sessionId, handleId, event);
    if (m) this.deliver(s, m);
  }

  /** Sends an event to wherever the session's events go. Never awaits. */
  private deliver(s: Session, m: JanusMessage): void {
    const src = s.source;
    if (src.kind === 'http') {
      if (s.queue.length >= MAX_QUEUED_EVENTS) s.queue.shift();
      s.queue.push(m);
      for (const wake of s.pollers) wake();
      return;
    }
    if (src.shard === this.shard) {
      if (!this.sendToConnection(src.connId, m)) this.log.debug('event for a closed connection dropped', { session: s.id });
      return;
    }
    void this.shardStub(src.shard)
      .pushToConnection(src.connId, m)
      .catch((err) => this.log.warn('remote delivery failed', { error: String(err) }));
  }

  private sendToConnection(connId: string, m: JanusMessage): boolean {
    let ws = this.sockets.get(connId);
    if (!ws) {
      // After hibernation the map is empty; the runtime still knows the socket by its tag.
      ws = this.ctx.getWebSockets(WS_TAG_PREFIX + connId)[0];
      if (!ws) return false;
      this.sockets.set(connId, ws);
    }
    try {
      ws.send(JSON.stringify(m));
      return true;
    } catch {
      return false;
    }
  }

  /** RPC from another shard: deliver an event to a WebSocket held here. */
  async pushToConnection(connId: string, m: JanusMessage): Promise<boolean> {
    return this.sendToConnection(connId, m);
  }

  /** RPC: a session of another shard is no longer sourced by our connection. */
  async forgetRemote(connId: string, sessionId: number): Promise<void> {
    const set = this.remoteOwned.get(connId);
    if (!set) return;
    set.delete(sessionId);
    if (set.size === 0) {
      this.remoteOwned.delete(connId);
      await this.ctx.storage.delete(`ro:${connId}`);
    } else await this.ctx.storage.put(`ro:${connId}`, [...set]);
  }

  /** RPC: the connection that sourced a session closed (or, `claimed`, moved). */
  async transportGone(sessionId: number, connId: string, shard: number): Promise<void> {
    const s = this.sessions.get(sessionId);
    if (!s || s.source.kind !== 'ws' || s.source.connId !== connId || s.source.shard !== shard) return;
    this.sourceClosed(s);
  }

  private sourceClosed(s: Session): void {
    if (this.config.reclaimSessionTimeout < 1) {
      this.endSession(s, 'destroyed');
      return;
    }
    s.transportGoneAt = Date.now();
    this.persist(s);
    this.scheduleAlarm(this.deadline(s));
  }

  // ---------------------------------------------------------------- long poll

  async poll(sessionId: number, maxev: number, apisecret?: string, token?: string): Promise<PollResult> {
    try {
      await checkRequestAuth(this.config, this.settings.tokens, apisecret, token);
    } catch {
      return { status: 403 };
    }
    const s = this.sessions.get(sessionId);
    if (!s || s.ending) return { status: 404 };
    this.touch(s);
    if (s.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          s.pollers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, LONG_POLL_MS);
        s.pollers.add(wake);
      });
    }
    const events = s.queue.splice(0, Math.max(1, maxev));
    if (events.length === 0) {
      if (s.ending) return { status: 404 };
      const ka: JanusMessage = { janus: 'keepalive' };
      return { status: 200, body: maxev > 1 ? [ka] : ka };
    }
    return { status: 200, body: maxev > 1 ? events : events[0] };
  }

  // ---------------------------------------------------------------- WebSocket transport

  override async fetch(request: Request): Promise<Response> {
    const shard = Number(request.headers.get('x-shard'));
    this.bindShard(shard);
    const pair = new WebSocketPair();
    const connId = crypto.randomUUID();
    this.ctx.acceptWebSocket(pair[1], [WS_TAG_PREFIX + connId]);
    this.sockets.set(connId, pair[1]);
    pair[1].serializeAttachment({ connId, shard, region: request.headers.get('x-region') ?? undefined } satisfies WsAttachment);
    this.sink.emit(EventType.TRANSPORT, { transport: 'janus.transport.websockets', id: connId, data: { event: 'connected', admin_api: false, ip: request.headers.get('cf-connecting-ip') ?? '127.0.0.1' } });
    return new Response(null, { status: 101, webSocket: pair[0], headers: { 'Sec-WebSocket-Protocol': 'janus-protocol' } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const { att, origin } = this.socketState(ws);
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    let out!: JanusMessage;
    if (text.length > this.config.maxBodyBytes) {
      out = errorReply(JanusError.TRANSPORT_SPECIFIC, `Message too large (max ${this.config.maxBodyBytes} bytes)`);
    } else {
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = parseJsonObject(text, 'ws');
      } catch (err) {
        out = errorFrom(err);
      }
      if (parsed) out = await this.route(parsed, origin, att.region);
    }
    const followUps = takeFollowUps(out);
    try {
      ws.send(JSON.stringify(out));
      if (followUps) for (const m of followUps) ws.send(JSON.stringify(m));
    } catch {
      // The client went away while we worked; its close handler cleans up.
    }
  }

  /** The socket's attachment, deserialized once per socket while the object stays in memory. */
  private socketState(ws: WebSocket): WsState {
    let st = this.socketStates.get(ws);
    if (!st) {
      const att = ws.deserializeAttachment() as WsAttachment;
      st = { att, origin: { kind: 'ws', shard: this.shard, connId: att.connId } };
      this.socketStates.set(ws, st);
    }
    return st;
  }

  /** Sends a request that arrived on a WebSocket held here to the shard that owns its session. */
  private async route(raw: Record<string, unknown>, origin: Source & { kind: 'ws' }, region?: string): Promise<JanusMessage> {
    const sid = raw.session_id;
    let target = this.shard;
    if (typeof sid === 'number' && Number.isSafeInteger(sid) && sid > 0) target = shardOf(sid, this.config.shardCount);
    else if (sid === undefined && raw.handle_id === undefined && typeof raw.id === 'number' && Number.isSafeInteger(raw.id) && raw.id > 0) {
      target = shardOf(raw.id, this.config.shardCount);
    }
    if (target === this.shard) return this.janus(raw, origin, this.shard, region);
    let out: JanusMessage;
    try {
      out = await this.shardStub(target).janus(raw, origin, target, region);
    } catch (err) {
      return errorFrom(err, typeof raw.transaction === 'string' ? raw.transaction : undefined);
    }
    // A create or claim made another shard's session send its events to our connection.
    const verb = typeof raw.janus === 'string' ? raw.janus.toLowerCase() : '';
    if (out.janus === 'success' && (verb === 'create' || verb === 'claim')) {
      const id = verb === 'create' ? (out.data as { id: number }).id : (sid as number);
      const set = this.remoteOwned.get(origin.connId) ?? new Set<number>();
      set.add(id);
      this.remoteOwned.set(origin.connId, set);
      await this.ctx.storage.put(`ro:${origin.connId}`, [...set]);
    }
    return out;
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.connectionClosed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.connectionClosed(ws);
  }

  private connectionClosed(ws: WebSocket): void {
    const att = ws.deserializeAttachment() as WsAttachment | null;
    if (!att) return;
    ws.serializeAttachment(null);
    this.sockets.delete(att.connId);
    try {
      ws.close(1000, 'closed');
    } catch {
      // already closed
    }
    this.sink.emit(EventType.TRANSPORT, { transport: 'janus.transport.websockets', id: att.connId, data: { event: 'disconnected' } });
    for (const s of [...this.sessions.values()]) {
      if (s.source.kind === 'ws' && s.source.connId === att.connId && s.source.shard === this.shard) this.sourceClosed(s);
    }
    const remote = this.remoteOwned.get(att.connId);
    if (remote) {
      this.remoteOwned.delete(att.connId);
      void this.ctx.storage.delete(`ro:${att.connId}`);
      for (const sid of remote) {
        const target = shardOf(sid, this.config.shardCount);
        void this.shardStub(target).transportGone(sid, att.connId, this.shard).catch(() => undefined);
      }
    }
  }

  // ---------------------------------------------------------------- timeouts (alarm)

  private touch(s: Session): void {
    s.lastActivity = Date.now();
    // Persisting every touch would double storage writes; a restarted shard grants a fresh window instead.
  }

  private deadline(s: Session): number {
    return deadlineOf(s, this.settings.sessionTimeout, this.config.reclaimSessionTimeout);
  }

  private nextDeadline(): number {
    let next = Infinity;
    for (const s of this.sessions.values()) next = Math.min(next, this.deadline(s));
    return next;
  }

  private scheduleAlarm(at: number): void {
    if (!Number.isFinite(at) || at >= this.alarmAt) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = Infinity;
    const now = Date.now();
    for (const s of [...this.sessions.values()]) {
      if (this.deadline(s) <= now) this.endSession(s, 'timeout');
    }
    this.scheduleAlarm(this.nextDeadline());
  }

  // ---------------------------------------------------------------- RPC: admin

  async applySettings(settings: SharedSettings): Promise<void> {
    if (settings.version <= (this.settings?.version ?? -1)) return;
    this.settings = settings;
    await this.ctx.storage.put('settings', settings);
    this.alarmAt = Infinity;
    this.scheduleAlarm(this.nextDeadline());
  }

  async listSessions(): Promise<number[]> {
    return [...this.sessions.keys()];
  }

  async counts(): Promise<{ sessions: number; handles: number; peerconnections: number }> {
    let handles = 0;
    let peerconnections = 0;
    for (const s of this.sessions.values()) {
      handles += s.handles.size;
      for (const h of s.handles.values()) if (h.hasPeer) peerconnections++;
    }
    return { sessions: this.sessions.size, handles, peerconnections };
  }

  private must(sessionId: number): Session {
    const s = this.sessions.get(sessionId);
    if (!s || s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${sessionId}`);
    return s;
  }

  private mustHandle(s: Session, handleId: number): Handle {
    const h = s.handles.get(handleId);
    if (!h) throw new JanusApiError(JanusError.HANDLE_NOT_FOUND, `No such handle ${handleId} in session ${s.id}`);
    return h;
  }

  /** Admin calls answer `{ok}` or `{error}` so Janus error codes survive the RPC boundary. */
  async admin(op: AdminOp): Promise<AdminResult> {
    try {
      return { ok: await this.runAdmin(op) };
    } catch (err) {
      if (err instanceof JanusApiError) return { error: { code: err.code, reason: err.message } };
      return { error: { code: 490, reason: String(err) } };
    }
  }

  private async runAdmin(op: AdminOp): Promise<Record<string, unknown>> {
    const s = this.must(op.sessionId);
    switch (op.kind) {
      case 'destroy_session':
        this.endSession(s, 'destroyed');
        return {};
      case 'set_session_timeout':
        s.timeout = op.timeout < 0 ? undefined : op.timeout;
        this.persist(s);
        this.alarmAt = Infinity;
        this.scheduleAlarm(this.nextDeadline());
        return { timeout: op.timeout };
      case 'list_handles':
        return { handles: [...s.handles.keys()] };
      case 'handle_info':
        return { info: await this.handleInfo(s, this.mustHandle(s, op.handleId), op.pluginOnly) };
      case 'detach_handle':
        this.releaseHandle(s, this.mustHandle(s, op.handleId), 'Detach', true);
        this.persist(s);
        return {};
      case 'hangup_webrtc':
        this.hangup(s, this.mustHandle(s, op.handleId), 'Admin API');
        return {};
    }
  }

  private async handleInfo(s: Session, h: Handle, pluginOnly: boolean): Promise<Record<string, unknown>> {
    const pluginSpecific = (await h.plugin.queryHandle?.(h.ctx)) ?? {};
    const base = {
      session_id: s.id,
      session_last_activity: s.lastActivity * 1000,
      session_timeout: s.timeout ?? this.settings.sessionTimeout,
      session_transport: s.source.kind === 'http' ? 'janus.transport.http' : 'janus.transport.websockets',
      handle_id: h.id,
      'loop-running': true,
      created: h.createdAt * 1000,
      current_time: Date.now() * 1000,
      plugin: h.plugin.info.package,
      plugin_specific: pluginSpecific,
    };
    // Like Janus, plugin_only leaves out the WebRTC details but keeps the identification.
    if (pluginOnly) return base;
    return {
      ...base,
      opaque_id: h.opaqueId,
      token: h.token,
      flags: { 'got-offer': h.mids !== undefined, 'got-answer': h.hasPeer, negotiated: h.hasPeer, ready: h.hasPeer, stopped: false, alert: false },
      sdps: {},
      'queued-packets': 0,
      relay: h.relay?.relayId ?? null,
      webrtc: h.hasPeer ? await this.peerInfo(h) : null,
    };
  }

  /** ICE/DTLS state, selected pair and packet counters, asked of the relay holding the peer. */
  private async peerInfo(h: Handle): Promise<Record<string, unknown>> {
    try {
      return await this.relayCommand(h, { op: 'peer.info', sessionId: h.ctx.sessionId, handleId: h.id });
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }
}

export interface AdminResult {
  ok?: Record<string, unknown>;
  error?: { code: number; reason: string };
}

export type AdminOp =
  | { kind: 'destroy_session'; sessionId: number }
  | { kind: 'set_session_timeout'; sessionId: number; timeout: number }
  | { kind: 'list_handles'; sessionId: number }
  | { kind: 'handle_info'; sessionId: number; handleId: number; pluginOnly: boolean }
  | { kind: 'detach_handle'; sessionId: number; handleId: number }
  | { kind: 'hangup_webrtc'; sessionId: number; handleId: number };

/** A create with a taken id: Janus's 468 carries the session id asked for. */
class SessionConflict extends JanusApiError {
  constructor(readonly sessionId: number) {
    super(JanusError.SESSION_CONFLICT, 'Session ID already in use');
  }
}

/** A validation error Janus reports without the transaction (envelope-level checks). */
class EnvelopeError extends JanusApiError {
  constructor(err: unknown) {
    super(err instanceof JanusApiError ? err.code : JanusError.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}

function transportOf(origin: Source): { transport: string; id: string } {
  return origin.kind === 'http' ? { transport: 'janus.transport.http', id: 'http' } : { transport: 'janus.transport.websockets', id: origin.connId };
}

/** Runs plugin work without letting the API wait on it or crash on its errors. */
function runDetached(log: Logger, what: string, fn: () => Promise<void> | void): void {
  try {
    const p = fn();
    if (p) p.catch((err) => log.warn(`plugin ${what} failed`, { error: String(err) }));
  } catch (err) {
    log.warn(`plugin ${what} failed`, { error: String(err) });
  }
}
