import { DurableObject } from 'cloudflare:workers';
import { computeProof } from '../../shared/control/auth.js';
import type { CommandInput } from '../../shared/control/commands.js';
import {
  HEARTBEAT_TIMEOUT_MS,
  parseRelayMessage,
  type EdgeMessageInput,
  type RegisterMessage,
} from '../../shared/control/messages.js';
import { isSfuPeerEvent } from '../../shared/control/sfu.js';
import { loadConfig, type EdgeConfig } from '../config.js';
import type { Env } from '../env.js';
import { Logger } from '../log.js';
import { rpcFail, rpcOk, type RpcResult } from '../rpc.js';
import { Stubs } from '../stubs.js';
import type { RelayLinkApi } from './relayLinkApi.js';
import { videoRoomObjectName } from '../plugins/videoroom/state.js';

const COMMAND_TIMEOUT_MS = 10_000;
/** How often the link checks the relay's heartbeat; a silent relay is dropped within timeout + this. */
const LIVENESS_CHECK_MS = 500;

interface LinkState {
  linkId: string;
  relay?: Omit<RegisterMessage, 'type' | 'nonce' | 'version'>;
  welcomed: boolean;
  lastSeen: number;
}

/**
 * One connected relay. The relay holds a WebSocket to this object (opened at `/relay/connect` with
 * the shared secret as a bearer token); the object proves it knows the secret too (HMAC of the
 * relay's nonce), forwards commands from session shards and routes the relay's events back to the
 * shard that owns each session. It tracks which PeerConnections live on the relay so that losing the
 * relay — its socket closing, or no heartbeat for HEARTBEAT_TIMEOUT_MS — hangs up each of them.
 */
export class RelayLink extends DurableObject<Env> implements RelayLinkApi {
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly stubs: Stubs;
  private state: LinkState = { linkId: '', welcomed: false, lastSeen: 0 };
  /** `${sessionId}:${handleId}` of every PeerConnection on this relay. */
  private readonly peers = new Set<string>();
  /** VideoRoom objects (by name) with remote publishers or cascades here: told when the relay is lost. */
  private readonly rooms = new Set<string>();
  private readonly pending = new Map<
    string,
    { resolve: (o: RpcResult<unknown>) => void; timer: ReturnType<typeof setTimeout> }
  >();
  private nextId = 0;
  private dropped = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
    this.log = new Logger(this.config.logLevel, 'relay-link');
    this.stubs = new Stubs(env, this.config.shardCount);
    ctx.blockConcurrencyWhile(async () => {
      this.state = (await ctx.storage.get<LinkState>('state')) ?? this.state;
      const peers = await ctx.storage.get<string[]>('peers');
      for (const p of peers ?? []) this.peers.add(p);
      for (const r of (await ctx.storage.get<string[]>('rooms')) ?? []) this.rooms.add(r);
      this.dropped = (await ctx.storage.get<boolean>('dropped')) ?? false;
    });
  }

  override async fetch(request: Request): Promise<Response> {
    const linkId = request.headers.get('x-link-id') ?? '';
    if (this.ctx.getWebSockets().length > 0 || this.dropped) return new Response('link in use', { status: 409 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    this.state = { linkId, welcomed: false, lastSeen: Date.now() };
    await this.ctx.storage.put('state', this.state);
    await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_TIMEOUT_MS);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    if (this.dropped) return;
    const parsed = parseRelayMessage(typeof data === 'string' ? data : new TextDecoder().decode(data));
    if (!parsed.ok) {
      this.log.warn('bad control frame from relay', { code: parsed.code, reason: parsed.reason });
      return;
    }
    const m = parsed.message;
    this.state.lastSeen = Date.now();
    if (m.type === 'register') {
      const { type: _t, nonce, version: _v, ...relay } = m;
      // `/relay/connect` admits no relay without a secret.
      const secret = this.config.relaySecret;
      if (secret === undefined) return;
      this.state.relay = relay;
      this.state.welcomed = true;
      await this.ctx.storage.put('state', this.state);
      this.send(ws, { type: 'welcome', proof: await computeProof(secret, nonce) });
      await this.directory().relayUp({ ...relay, linkId: this.state.linkId, peers: this.peers.size });
      this.log.info('relay registered', { relay: relay.relayId, region: relay.region });
      return;
    }
    const relay = this.state.relay;
    if (!this.state.welcomed || !relay) return;
    switch (m.type) {
      case 'heartbeat':
        await this.directory().relayHeartbeat({ ...relay, load: m.load, linkId: this.state.linkId, peers: m.peers });
        return;
      case 'draining':
        await this.directory().relayDraining(relay.relayId, this.state.linkId);
        return;
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        p.resolve(m.ok ? rpcOk(m.result) : rpcFail(m.error.code, m.error.reason));
        return;
      }
      case 'event': {
        if (isSfuPeerEvent(m.event)) {
          // VideoRoom media events (talking, simulcast layers) belong to the room, which knows who to tell.
          const room = this.roomStub(videoRoomObjectName(m.event.room));
          await room
            .sfuEvent({ sessionId: m.sessionId, handleId: m.handleId }, m.event)
            .catch((err) => this.log.warn('room event delivery failed', { error: String(err) }));
          return;
        }
        if (m.event.kind === 'hangup') this.forgetPeer(m.sessionId, m.handleId);
        const shard = this.stubs.shardOfSession(m.sessionId);
        await shard
          .relayEvent(m.sessionId, m.handleId, this.state.linkId, m.event)
          .catch((err) => this.log.warn('event delivery failed', { error: String(err) }));
        return;
      }
    }
  }

  /** RPC from a session shard: run one command on the relay. */
  async command(cmd: CommandInput): Promise<RpcResult<unknown>> {
    const [ws] = this.ctx.getWebSockets();
    if (!ws || this.dropped || !this.state.welcomed) return rpcFail(490, 'Relay unavailable');
    const id = `c${++this.nextId}`;
    const outcome = await new Promise<RpcResult<unknown>>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(rpcFail(490, 'Relay did not answer'));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.send(ws, { type: 'cmd', id, cmd });
    });
    if (outcome.ok && cmd.op === 'peer.create') this.rememberPeer(cmd.sessionId, cmd.handleId);
    if (cmd.op === 'peer.hangup') this.forgetPeer(cmd.sessionId, cmd.handleId);
    return outcome;
  }

  /** RPC from a VideoRoom that now depends on this relay beyond its own peers' PeerConnections. */
  async watch(room: string): Promise<void> {
    if (this.dropped) {
      // already lost: tell it at once
      void this.roomStub(room)
        .relayLost(this.state.linkId)
        .catch(() => undefined);
      return;
    }
    if (this.rooms.has(room)) return;
    this.rooms.add(room);
    await this.ctx.storage.put('rooms', [...this.rooms]);
  }

  async unwatch(room: string): Promise<void> {
    if (this.rooms.delete(room)) await this.ctx.storage.put('rooms', [...this.rooms]);
  }

  private roomStub(name: string) {
    return this.stubs.videoRoom(name);
  }

  override async webSocketClose(): Promise<void> {
    await this.drop('control socket closed');
  }

  override async webSocketError(): Promise<void> {
    await this.drop('control socket error');
  }

  override async alarm(): Promise<void> {
    if (this.dropped) return;
    if (Date.now() - this.state.lastSeen > HEARTBEAT_TIMEOUT_MS) {
      await this.drop('heartbeat timeout');
      return;
    }
    await this.ctx.storage.setAlarm(Date.now() + LIVENESS_CHECK_MS);
  }

  /** The relay is gone: every PeerConnection on it is hung up and the directory forgets it. */
  private async drop(why: string): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    await this.ctx.storage.put('dropped', true);
    this.log.warn('relay dropped', { relay: this.state.relay?.relayId, why });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1011, why);
      } catch {
        // already closed
      }
    }
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(rpcFail(490, 'Relay lost'));
    }
    this.pending.clear();
    if (this.state.relay) await this.directory().relayDown(this.state.relay.relayId, this.state.linkId);
    const peers = [...this.peers];
    this.peers.clear();
    await Promise.all(
      peers.map((key) => {
        const [sid, hid] = key.split(':').map(Number) as [number, number];
        const shard = this.stubs.shardOfSession(sid);
        return shard
          .relayEvent(sid, hid, this.state.linkId, { kind: 'hangup', reason: 'Relay lost' })
          .catch(() => undefined);
      }),
    );
    const rooms = [...this.rooms];
    this.rooms.clear();
    await Promise.all(
      rooms.map((name) =>
        this.roomStub(name)
          .relayLost(this.state.linkId)
          .catch((err: unknown) => this.log.warn('room not told of relay loss', { room: name, error: String(err) })),
      ),
    );
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    this.dropped = true;
  }

  private rememberPeer(sessionId: number, handleId: number): void {
    this.peers.add(`${sessionId}:${handleId}`);
    void this.ctx.storage.put('peers', [...this.peers], { allowUnconfirmed: true });
  }

  private forgetPeer(sessionId: number, handleId: number): void {
    if (this.peers.delete(`${sessionId}:${handleId}`))
      void this.ctx.storage.put('peers', [...this.peers], { allowUnconfirmed: true });
  }

  private send(ws: WebSocket, m: EdgeMessageInput): void {
    try {
      ws.send(JSON.stringify(m));
    } catch {
      // closed; the close handler drops the relay
    }
  }

  private directory() {
    return this.stubs.core();
  }
}
