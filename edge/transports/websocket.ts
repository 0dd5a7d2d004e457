import { JanusError } from '../../shared/janus/errors.js';
import { EventType } from '../../shared/janus/events.js';
import type { ShardHost } from '../core/host.js';
import { namedShard, shardOf } from '../core/ids.js';
import { errorFrom, errorReply, takeFollowUps, type JanusMessage } from '../core/replies.js';
import type { SessionCore } from '../core/sessionCore.js';
import type { Source } from '../core/session.js';
import { parseJsonObject } from './body.js';

/** What the transport needs of a hibernatable WebSocket (workerd's `WebSocket` is one). */
export interface HeldSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** How the transport accepts and finds sockets (the Durable Object's state). */
export interface SocketRuntime {
  accept(ws: HeldSocket, tags: string[]): void;
  tagged(tag: string): HeldSocket[];
}

interface WsAttachment {
  connId: string;
  shard: number;
  region?: string;
  /** The client's address (per-address limits). */
  address?: string;
}

/** A socket's attachment and the request origin built from it, cached per socket. */
interface WsState {
  att: WsAttachment;
  origin: Source & { kind: 'ws' };
}

const WS_TAG_PREFIX = 'conn:';
const REMOTE_PREFIX = 'ro:';
const TRANSPORT = 'janus.transport.websockets';

/**
 * The Janus API over WebSockets held by a shard (hibernatable; each socket's attachment names its
 * connection). A request goes to the shard that owns its session; a session of another shard created
 * or claimed over one of our sockets is remembered (`remoteOwned`, in storage) so that closing the
 * socket tells its shard.
 */
export class WebSocketTransport {
  /** Open WebSockets held here, by connection id (a cache of the runtime's tagged sockets). */
  private readonly sockets = new Map<string, HeldSocket>();
  private readonly states = new WeakMap<HeldSocket, WsState>();
  /** Sessions of other shards whose events go to a WebSocket held here: connId → session ids. */
  private readonly remoteOwned = new Map<string, Set<number>>();

  constructor(
    private readonly host: ShardHost,
    private readonly runtime: SocketRuntime,
    private readonly core: SessionCore,
  ) {}

  async restore(): Promise<void> {
    const remote = await this.host.storage.list<number[]>(REMOTE_PREFIX);
    for (const [key, ids] of remote) this.remoteOwned.set(key.slice(REMOTE_PREFIX.length), new Set(ids));
    this.reapLostConnections();
  }

  /** The connections of `connIds` whose socket this shard still holds. */
  alive(connIds: string[]): string[] {
    return connIds.filter((id) => this.sockets.has(id) || this.runtime.tagged(WS_TAG_PREFIX + id).length > 0);
  }

  /**
   * Restored state may name sockets that no longer exist: hibernated sockets survive an eviction,
   * but none survives a crash of the runtime. Each connection found gone ends the way a close does
   * (its sessions here, and those of other shards it sourced); sessions here whose socket another
   * shard held ask that shard, without waiting for it (it may be restoring and asking us).
   */
  private reapLostConnections(): void {
    const here = new Set<string>(this.remoteOwned.keys());
    const elsewhere = new Map<number, Map<string, number[]>>();
    for (const s of this.core.sessions.values()) {
      if (s.source.kind !== 'ws') continue;
      if (s.source.shard === this.core.shard) here.add(s.source.connId);
      else {
        const conns = elsewhere.get(s.source.shard) ?? new Map<string, number[]>();
        conns.set(s.source.connId, [...(conns.get(s.source.connId) ?? []), s.id]);
        elsewhere.set(s.source.shard, conns);
      }
    }
    const alive = new Set(this.alive([...here]));
    for (const connId of here) if (!alive.has(connId)) this.connectionEnded(connId);
    for (const [shard, conns] of elsewhere) {
      void this.host
        .shard(shard)
        .connectionsAlive([...conns.keys()])
        .then((living) => {
          for (const [connId, ids] of conns)
            if (!living.includes(connId)) for (const sid of ids) this.core.transportGone(sid, connId, shard);
        })
        .catch(() => undefined);
    }
  }

  /** A new client socket, routed to this shard by the Worker. */
  accept(ws: HeldSocket, shard: number, region: string | undefined, ip: string, address?: string): void {
    this.core.bindShard(shard);
    const connId = crypto.randomUUID();
    this.runtime.accept(ws, [WS_TAG_PREFIX + connId]);
    this.sockets.set(connId, ws);
    ws.serializeAttachment({ connId, shard, region, address } satisfies WsAttachment);
    this.host.events.emit(EventType.TRANSPORT, {
      transport: TRANSPORT,
      id: connId,
      data: { event: 'connected', admin_api: false, ip },
    });
  }

  send(connId: string, m: JanusMessage): boolean {
    let ws = this.sockets.get(connId);
    if (!ws) {
      // After hibernation the map is empty; the runtime still knows the socket by its tag.
      ws = this.runtime.tagged(WS_TAG_PREFIX + connId)[0];
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

  async message(ws: HeldSocket, data: string | ArrayBuffer): Promise<void> {
    const { att, origin } = this.state(ws);
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const max = this.core.config.maxBodyBytes;
    let out: JanusMessage;
    if (text.length > max) out = errorReply(JanusError.TRANSPORT_SPECIFIC, `Message too large (max ${max} bytes)`);
    else {
      try {
        out = await this.route(parseJsonObject(text, 'ws'), origin, att.region);
      } catch (err) {
        out = errorFrom(err);
      }
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
  private state(ws: HeldSocket): WsState {
    let st = this.states.get(ws);
    if (!st) {
      const att = ws.deserializeAttachment() as WsAttachment;
      st = { att, origin: { kind: 'ws', shard: this.core.shard, connId: att.connId, address: att.address } };
      this.states.set(ws, st);
    }
    return st;
  }

  /** Sends a request that arrived on a WebSocket held here to the shard that owns its session. */
  private async route(
    raw: Record<string, unknown>,
    origin: Source & { kind: 'ws' },
    region?: string,
  ): Promise<JanusMessage> {
    const own = this.core.shard;
    const target = namedShard(raw, this.core.config.shardCount) ?? own;
    if (target === own) return this.core.janus(raw, origin, own, region);
    let out: JanusMessage;
    try {
      out = await this.host.shard(target).janus(raw, origin, target, region);
    } catch (err) {
      return errorFrom(err, typeof raw.transaction === 'string' ? raw.transaction : undefined);
    }
    // A create or claim made another shard's session send its events to our connection.
    const verb = typeof raw.janus === 'string' ? raw.janus.toLowerCase() : '';
    if (out.janus === 'success' && (verb === 'create' || verb === 'claim')) {
      const id = verb === 'create' ? (out.data as { id: number }).id : (raw.session_id as number);
      const set = this.remoteOwned.get(origin.connId) ?? new Set<number>();
      set.add(id);
      this.remoteOwned.set(origin.connId, set);
      await this.host.storage.put({ [REMOTE_PREFIX + origin.connId]: [...set] });
    }
    return out;
  }

  /** A session of another shard is no longer sourced by our connection. */
  async forgetRemote(connId: string, sessionId: number): Promise<void> {
    const set = this.remoteOwned.get(connId);
    if (!set) return;
    set.delete(sessionId);
    if (set.size === 0) {
      this.remoteOwned.delete(connId);
      await this.host.storage.delete([REMOTE_PREFIX + connId]);
    } else await this.host.storage.put({ [REMOTE_PREFIX + connId]: [...set] });
  }

  /** The socket closed (or failed): its sessions here and on other shards learn their transport is gone. */
  closed(ws: HeldSocket): void {
    const att = ws.deserializeAttachment() as WsAttachment | null;
    if (!att) return;
    ws.serializeAttachment(null);
    this.sockets.delete(att.connId);
    try {
      ws.close(1000, 'closed');
    } catch {
      // already closed
    }
    this.connectionEnded(att.connId);
  }

  /** One path for a connection's end, closed or found lost: every session it sourced learns. */
  private connectionEnded(connId: string): void {
    this.host.events.emit(EventType.TRANSPORT, {
      transport: TRANSPORT,
      id: connId,
      data: { event: 'disconnected' },
    });
    this.core.connectionClosed(connId);
    const remote = this.remoteOwned.get(connId);
    if (!remote) return;
    this.remoteOwned.delete(connId);
    void this.host.storage.delete([REMOTE_PREFIX + connId]);
    for (const sid of remote) {
      const target = shardOf(sid, this.core.config.shardCount);
      void this.host
        .shard(target)
        .transportGone(sid, connId, this.core.shard)
        .catch(() => undefined);
    }
  }
}
