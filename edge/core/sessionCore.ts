import type { PeerEvent } from '../../shared/control/events.js';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import {
  envelopeSchema,
  isHandleVerb,
  isVerb,
  janusRequestSchema,
  type Envelope,
  type RequestOf,
  type Verb,
} from '../../shared/janus/requests.js';
import { parseJanus } from '../../shared/janus/validate.js';
import { checkRequestAuth } from '../auth/requestAuth.js';
import type { EdgeConfig } from '../config.js';
import type { Plugin } from '../plugins/plugin.js';
import { reportRecordingOfGoneHandle } from '../plugins/recordingEvents.js';
import { EventDelivery } from './eventDelivery.js';
import type { ShardHost } from './host.js';
import { runDetached } from './host.js';
import { newSessionId, shardOf } from './ids.js';
import { PeerMedia } from './media.js';
import { PluginRequests } from './pluginRequests.js';
import { SessionPersistence } from './persistence.js';
import { errorFrom, reply, type JanusMessage } from './replies.js';
import { mediaRelay, serverInfo } from './serverInfo.js';
import type { SharedSettings } from './settings.js';
import { countsOf, fromOwnSocket, handleIn, type Handle, fromRecord, type Session, type Source } from './session.js';
import { transportOf } from './transportName.js';
import type { Counts, PollResult } from './shardApi.js';
import { Timeouts } from './timeouts.js';

/** How a session ends; every path runs `endSession`. */
export type EndCause = 'destroyed' | 'timeout';

const ID_KEYS = ['session_id', 'handle_id'] as const;

/**
 * The sessions of one shard and the Janus API on them. Its `sessions` map is the registry: admin
 * lists and counts are read from it, never kept beside it. Every way a session ends runs `endSession`.
 * It runs on a {@link ShardHost}: the `SessionShard` Durable Object, or a test harness.
 */
export class SessionCore {
  readonly sessions = new Map<number, Session>();
  readonly persistence: SessionPersistence;
  readonly timeouts: Timeouts;
  readonly delivery: EventDelivery;
  readonly media: PeerMedia;
  readonly requests: PluginRequests;
  settings!: SharedSettings;
  shard = -1;

  constructor(
    private readonly host: ShardHost,
    readonly config: EdgeConfig,
    private readonly plugins: Map<string, Plugin>,
  ) {
    this.persistence = new SessionPersistence(host, this.sessions);
    this.timeouts = new Timeouts(
      host,
      this.sessions,
      {
        sessionTimeout: () => this.settings.sessionTimeout,
        reclaimSessionTimeout: config.reclaimSessionTimeout,
      },
      (s) => this.persist(s),
    );
    this.delivery = new EventDelivery(
      host,
      () => this.shard,
      (s) => this.persistence.persistQueue(s),
    );
    // A PeerConnection that came or went may move a deadline (a WHIP session lives while it has one).
    this.media = new PeerMedia(host, this.delivery, this.sessions, (s) => {
      this.persist(s);
      this.timeouts.watch(s);
    });
    this.requests = new PluginRequests(
      host,
      config,
      plugins,
      this.sessions,
      this.delivery,
      this.media,
      () => this.settings,
      (s) => this.persist(s),
    );
  }

  /** Reads the shard's number, the settings and the session records back after a restart. */
  async restore(): Promise<void> {
    const shard = await this.host.storage.get<number>('shard');
    if (shard !== undefined) this.shard = shard;
    const stored = await this.host.storage.get<SharedSettings>('settings');
    this.settings = stored ?? (await this.host.core().getSettings());
    // Kept, so the next wake after an eviction does not wake the coordinator too (changes are pushed).
    if (!stored) void this.host.storage.put({ settings: this.settings }, true);
    const records = await this.persistence.load();
    for (const rec of records)
      this.sessions.set(
        rec.id,
        fromRecord(rec, this.plugins, (s, id, opaque, state) => this.requests.handleContext(s, id, opaque, state)),
      );
    for (const [id, queue] of await this.persistence.loadQueues()) {
      const s = this.sessions.get(id);
      if (s) {
        s.queue = queue;
        s.queuedSince = this.host.clock.now();
      } else this.persistence.dropQueue(id);
    }
    if (this.sessions.size > 0) this.timeouts.reschedule();
    if (records.length > 0) this.host.log.info('shard restored', { shard: this.shard, sessions: records.length });
  }

  persist(s: Session): void {
    this.persistence.persist(s);
  }

  bindShard(shard: number): void {
    if (this.shard === shard) return;
    this.shard = shard;
    void this.host.storage.put({ shard });
  }

  // ---------------------------------------------------------------- the Janus API

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
      if (!(err instanceof JanusApiError)) this.host.log.error('request failed', { error: String(err) });
      if (err instanceof SessionConflict) return errorFrom(err, transaction, err.sessionId);
      return errorFrom(err, transaction, sessionId);
    }
  }

  /** Checks the path and the session, parses the verb's request once, and runs it. */
  private async dispatch(
    env: Envelope,
    raw: Record<string, unknown>,
    origin: Source,
    region?: string,
  ): Promise<JanusMessage> {
    const verb = env.janus.toLowerCase();
    const tx = env.transaction;
    if (env.session_id === undefined && !env.handle_id) {
      if (verb !== 'info' && verb !== 'ping' && verb !== 'create') throw wrongPath(env);
      if (verb === 'create') {
        if (!this.settings.acceptNewSessions) throw new JanusApiError(JanusError.NOT_ACCEPTING_SESSIONS);
        await checkRequestAuth(this.config, this.settings.tokens, env.apisecret, env.token);
      }
      let req;
      try {
        req = parseRequest(verb, raw);
      } catch (err) {
        throw new EnvelopeError(err);
      }
      switch (req.janus) {
        case 'info': {
          const relays = await this.host.core().listRelays();
          return serverInfo(this.config, this.settings, this.plugins, tx, mediaRelay(relays, region));
        }
        case 'ping':
          return reply('pong', tx);
        case 'create':
          return this.create(req, tx, origin, region);
      }
      throw wrongPath(env);
    }
    const sid = env.session_id ?? 0;
    if (sid < 1) throw new JanusApiError(JanusError.SESSION_NOT_FOUND);
    if (env.handle_id !== undefined && env.handle_id < 1) throw new JanusApiError(JanusError.HANDLE_NOT_FOUND);
    await checkRequestAuth(this.config, this.settings.tokens, env.apisecret, env.token);
    const s = this.sessions.get(sid);
    if (!s || s.ending) throw new JanusApiError(JanusError.SESSION_NOT_FOUND, `No such session ${sid}`);
    this.timeouts.touch(s);
    let h: Handle | undefined;
    if (env.handle_id !== undefined) h = handleIn(s, env.handle_id);
    if (!isVerb(verb) || verb === 'create' || verb === 'info' || verb === 'ping')
      throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${env.janus}'`);
    if (isHandleVerb(verb) ? !h : h && verb !== 'keepalive') throw wrongPath(env);
    const req = parseRequest(verb, raw);
    switch (req.janus) {
      case 'keepalive':
        return reply('ack', tx, sid);
      case 'attach':
        return await this.requests.attach(s, req, env.token, tx);
      case 'destroy':
        this.endSession(s, 'destroyed');
        return reply('success', tx, sid);
      case 'claim':
        return this.claim(s, origin, tx);
    }
    if (!h) throw wrongPath(env);
    switch (req.janus) {
      case 'detach':
        return await this.detach(s, h, tx, origin);
      case 'hangup':
        return await this.media.hangupRequest(s, h, tx, origin);
      case 'message':
        return await this.requests.messageInOrder(s, h, req, tx, origin);
      case 'trickle':
        // Acknowledged at once (Janus does the same); the relay is not waited for.
        this.media.trickle(s, h, req);
        return reply('ack', tx, sid);
    }
    throw wrongPath(env);
  }

  private create(req: RequestOf<'create'>, tx: string, origin: Source, region?: string): JanusMessage {
    let id: number;
    if (req.id !== undefined) {
      if (shardOf(req.id, this.config.shardCount) !== this.shard) throw new Error('create routed to the wrong shard');
      if (this.sessions.has(req.id)) throw new SessionConflict(req.id);
      id = req.id;
    } else {
      do id = newSessionId(this.shard, this.config.shardCount);
      while (this.sessions.has(id));
    }
    const now = this.host.clock.now();
    const s: Session = {
      id,
      createdAt: now,
      lastActivity: now,
      source: origin,
      region,
      handles: new Map(),
      queue: [],
      pollers: new Set(),
      ending: false,
    };
    this.sessions.set(id, s);
    this.persist(s);
    this.timeouts.watch(s);
    this.host.events.emit(EventType.SESSION, { name: 'created', transport: transportOf(origin) }, { sessionId: id });
    return reply('success', tx, undefined, { data: { id } });
  }

  private claim(s: Session, origin: Source, tx: string): JanusMessage {
    const old = s.source;
    s.source = origin;
    s.transportGoneAt = undefined;
    this.persist(s);
    if (old.kind === 'ws' && old.shard !== this.shard && !(origin.kind === 'ws' && origin.connId === old.connId)) {
      void this.host
        .shard(old.shard)
        .forgetRemote(old.connId, s.id)
        .catch(() => undefined);
    }
    return reply('success', tx, s.id);
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
    if (cause === 'timeout') this.delivery.deliver(s, { janus: 'timeout', session_id: s.id });
    this.host.events.emit(EventType.SESSION, { name: cause }, { sessionId: s.id });
    this.sessions.delete(s.id);
    this.persist(s);
    if (s.source.kind === 'ws' && s.source.shard !== this.shard) {
      void this.host
        .shard(s.source.shard)
        .forgetRemote(s.source.connId, s.id)
        .catch(() => undefined);
    }
    this.delivery.wakePollers(s);
  }

  /**
   * `detach`: Janus answers `success` first, then what it causes (`hangup`, the plugin's last event,
   * `detached`; janode relies on it).
   */
  private async detach(s: Session, h: Handle, tx: string, origin: Source): Promise<JanusMessage> {
    const run = async () => {
      this.releaseHandle(s, h, 'Detach', true, tx);
      this.persist(s);
      return reply('success', tx, s.id);
    };
    return fromOwnSocket(s, origin) ? this.delivery.inOrder(s, tx, run, true) : run();
  }

  /**
   * Detaches a handle: its PeerConnection released, its plugin told (once), the client told if asked
   * (behind the reply of `transaction` when that request came over the session's own socket).
   */
  releaseHandle(s: Session, h: Handle, reason: string, notifyClient: boolean, transaction?: string): void {
    const hadPeer = h.hasPeer;
    if (hadPeer) {
      this.media.release(h, reason);
      h.hasPeer = false;
      h.relay = undefined;
      if (notifyClient)
        this.delivery.deliverFor(s, { janus: 'hangup', session_id: s.id, sender: h.id, reason }, transaction);
    }
    // As in Janus, the plugin hears of a hang-up only when a PeerConnection existed (a handle without
    // one is detached silently), and while the handle still exists, so its last events reach the client.
    if (hadPeer) runDetached(this.host.log, 'hangupMedia', () => h.plugin.hangupMedia(h.ctx, reason));
    s.handles.delete(h.id);
    runDetached(this.host.log, 'destroyHandle', () => h.plugin.destroyHandle(h.ctx));
    if (notifyClient) this.delivery.deliverFor(s, { janus: 'detached', session_id: s.id, sender: h.id }, transaction);
    this.host.events.emit(
      EventType.HANDLE,
      { name: 'detached', plugin: h.plugin.info.package, opaque_id: h.opaqueId, token: h.token },
      { sessionId: s.id, handleId: h.id, opaqueId: h.opaqueId },
    );
  }

  /** The WebSocket that sourced a session closed: it ends now, or after the reclaim window. */
  sourceClosed(s: Session): void {
    if (s.transportGoneAt !== undefined) return; // already in its reclaim window
    if (this.config.reclaimSessionTimeout < 1) {
      this.endSession(s, 'destroyed');
      return;
    }
    s.transportGoneAt = this.host.clock.now();
    this.persist(s);
    this.timeouts.watch(s);
  }

  /** A WebSocket held by this shard closed: every session it sourced here. */
  connectionClosed(connId: string): void {
    for (const s of [...this.sessions.values()]) {
      if (s.source.kind === 'ws' && s.source.connId === connId && s.source.shard === this.shard) this.sourceClosed(s);
    }
  }

  transportGone(sessionId: number, connId: string, shard: number): void {
    const s = this.sessions.get(sessionId);
    if (!s || s.source.kind !== 'ws' || s.source.connId !== connId || s.source.shard !== shard) return;
    this.sourceClosed(s);
  }

  /** The alarm: every session past its deadline ends with `timeout`. */
  expire(): void {
    try {
      for (const s of this.timeouts.expired()) this.endSession(s, 'timeout');
    } finally {
      this.timeouts.reschedule();
    }
  }

  // ---------------------------------------------------------------- handles' plugins and relays

  relayEvent(sessionId: number, handleId: number, linkId: string, event: PeerEvent): void {
    const s = this.sessions.get(sessionId);
    const h = s?.handles.get(handleId);
    if (s && h) this.media.relayEvent(s, h, linkId, event);
    else if (event.kind === 'recording') reportRecordingOfGoneHandle(this.host.events, sessionId, handleId, event);
  }

  async poll(sessionId: number, maxev: number, apisecret?: string, token?: string): Promise<PollResult> {
    try {
      await checkRequestAuth(this.config, this.settings.tokens, apisecret, token);
    } catch {
      return { status: 403 };
    }
    const s = this.sessions.get(sessionId);
    if (!s || s.ending) return { status: 404 };
    this.timeouts.touch(s);
    return this.delivery.poll(s, maxev);
  }

  // ---------------------------------------------------------------- registry reads and settings

  applySettings(settings: SharedSettings): boolean {
    if (settings.version <= (this.settings?.version ?? -1)) return false;
    this.settings = settings;
    this.timeouts.reschedule();
    return true;
  }

  listSessions(): number[] {
    return [...this.sessions.keys()];
  }

  /** Derived from the registry, never kept beside it. */
  counts(): Counts {
    return countsOf(this.sessions.values());
  }
}

function parseRequest(verb: Verb, raw: Record<string, unknown>) {
  return parseJanus(janusRequestSchema, { ...raw, janus: verb });
}

function wrongPath(env: Envelope): JanusApiError {
  return new JanusApiError(JanusError.INVALID_REQUEST_PATH, `Unhandled request '${env.janus}' at this path`);
}

/** A create with a taken id: Janus's 468 carries the session id asked for. */
class SessionConflict extends JanusApiError {
  constructor(readonly sessionId: number) {
    super(JanusError.SESSION_CONFLICT, 'Session ID already in use');
  }
}

/** A validation error Janus reports without the transaction (envelope-level checks). */
class EnvelopeError extends JanusApiError {
  constructor(err: unknown) {
    super(
      err instanceof JanusApiError ? err.code : JanusError.UNKNOWN,
      err instanceof Error ? err.message : String(err),
    );
  }
}
