import { computeProof } from '../../shared/control/auth.js';
import type { CommandInput } from '../../shared/control/commands.js';
import {
  HEARTBEAT_TIMEOUT_MS,
  parseRelayMessage,
  type EdgeMessageInput,
  type ListedPeer,
  type RegisterMessage,
  type RelaySettings,
} from '../../shared/control/messages.js';
import { isSfuPeerEvent } from '../../shared/control/sfu.js';
import { isAbPeerEvent } from '../../shared/control/audiobridge.js';
import { audioBridgeObjectName } from '../plugins/audiobridge/state.js';
import { onlyForHandlers } from '../../shared/control/events.js';
import { videoRoomObjectName } from '../plugins/videoroom/state.js';
import { rpcFail, rpcOk, type RpcResult } from '../rpc.js';
import type { LinkHost, LinkSocket } from './linkHost.js';
import { HeartbeatForwarding } from './heartbeatForwarding.js';
import { PeerReconciliation } from './peerReconciliation.js';

export const COMMAND_TIMEOUT_MS = 10_000;
/**
 * The liveness alarm never fires sooner than this after the last one. It is armed for the moment the
 * relay's silence would pass HEARTBEAT_TIMEOUT_MS, so while heartbeats arrive it fires about once per
 * timeout, and a relay that falls silent is dropped HEARTBEAT_TIMEOUT_MS after its last frame.
 */
export const LIVENESS_CHECK_MS = 500;
/**
 * The peer list is written behind, once per this window: a write in the turn that resolves a
 * `peer.create` held its reply back (measured ~2 ms under bench:churn), and each write is a SQLite
 * transaction (~7 % of the edge's CPU per EchoTest call at 100 ms, two writes a call). It is read back
 * only when the object restarts, which the relay's heartbeats (1 s) prevent while it is connected; a
 * lost window is repaired by the reconciliation with the relay.
 */
export const PEERS_WRITE_MS = 1_000;
/** The hangup reason a client hears when the relay no longer has its PeerConnection. */
export const LOST_ON_RELAY = 'Gone from relay';

interface LinkState {
  linkId: string;
  relay?: Omit<RegisterMessage, 'type' | 'nonce' | 'version'>;
  welcomed: boolean;
  lastSeen: number;
}

/**
 * One connected relay's control link, over a {@link LinkHost}. The relay's first frame registers it
 * and is answered with the HMAC proof of its nonce; then it heartbeats (forwarded to the directory
 * when the relay's load changed, else every DIRECTORY_REFRESH_MS: {@link HeartbeatForwarding}),
 * answers commands sent by session shards, and sends events, routed to the room (VideoRoom media
 * events) or to the shard that owns the session. It tracks which PeerConnections live on the relay
 * and which rooms watch it, so that losing the relay — its socket closing, or no heartbeat for
 * HEARTBEAT_TIMEOUT_MS — hangs up each peer, tells each room and tells the directory, once. The peers
 * it tracks are reconciled with the relay's ({@link PeerReconciliation}): one the relay lost is hung up
 * like a relay-side hangup, one only the relay has (older than a grace period) is closed on the relay.
 */
export class RelayConnection {
  private state: LinkState = { linkId: '', welcomed: false, lastSeen: 0 };
  /** `${sessionId}:${handleId}` of every PeerConnection on this relay. */
  private readonly peers = new Set<string>();
  /** VideoRoom objects (by name) with remote publishers or cascades here: told when the relay is lost. */
  private readonly rooms = new Set<string>();
  /** Commands sent and not answered, oldest first (every one waits the same COMMAND_TIMEOUT_MS). */
  private readonly pending = new Map<
    string,
    { resolve: (o: RpcResult<unknown>) => void; deadline: number; cmd: CommandInput }
  >();
  /**
   * The one timer of the pending commands, armed for the oldest one's deadline: a timer per command
   * (set, then cleared by its reply) was a measurable part of a link's CPU per command.
   */
  private commandTimer: (() => void) | undefined;
  private readonly reconciliation = new PeerReconciliation();
  private readonly forwarding = new HeartbeatForwarding();
  /** The directory was told this relay drains (it stops placing peers there). */
  private drainingReported = false;
  private nextId = 0;
  private _dropped = false;
  /** Cancels the pending write of the peer list, if one is scheduled. */
  private peersWrite: (() => void) | undefined;

  constructor(
    private readonly host: LinkHost,
    /** The shared secret the welcome proves; `/relay/connect` admits no relay without one. */
    private readonly relaySecret: string | undefined,
  ) {}

  get dropped(): boolean {
    return this._dropped;
  }

  /** Reloads what storage kept (the Durable Object runs this before any event). */
  async restore(): Promise<void> {
    const storage = this.host.storage;
    this.state = (await storage.get<LinkState>('state')) ?? this.state;
    const peers = await storage.get<string[]>('peers');
    for (const p of peers ?? []) this.peers.add(p);
    for (const r of (await storage.get<string[]>('rooms')) ?? []) this.rooms.add(r);
    this._dropped = (await storage.get<boolean>('dropped')) ?? false;
  }

  /** A relay's control socket was accepted for link `linkId`: start watching its heartbeat. */
  async accept(linkId: string): Promise<void> {
    const now = this.host.clock.now();
    this.state = { linkId, welcomed: false, lastSeen: now };
    await this.host.storage.put('state', this.state);
    await this.host.storage.setAlarm(now + HEARTBEAT_TIMEOUT_MS + 1);
  }

  /** One frame from the relay on socket `ws`. */
  async message(ws: LinkSocket, text: string): Promise<void> {
    if (this._dropped) return;
    const { log } = this.host;
    const parsed = parseRelayMessage(text);
    if (!parsed.ok) {
      log.warn('bad control frame from relay', { code: parsed.code, reason: parsed.reason });
      return;
    }
    const m = parsed.message;
    this.state.lastSeen = this.host.clock.now();
    if (m.type === 'register') {
      const { type: _t, nonce, version: _v, ...relay } = m;
      const secret = this.relaySecret;
      if (secret === undefined) return;
      this.state.relay = relay;
      this.state.welcomed = true;
      await this.host.storage.put('state', this.state);
      const proof = await computeProof(secret, nonce);
      // without event handlers the relay need not send what only they consume (a frame each)
      this.send(ws, { type: 'welcome', proof, ...(this.host.handlerEvents === false ? { handlerEvents: false } : {}) });
      this.forwarding.reported(relay.load, this.peers.size, this.state.lastSeen);
      const settings = await this.host
        .directory()
        .relayUp({ ...relay, linkId: this.state.linkId, peers: this.peers.size });
      if (Object.keys(settings).length > 0) this.send(ws, { type: 'settings', ...settings });
      log.info('relay registered', { relay: relay.relayId, region: relay.region });
      return;
    }
    const relay = this.state.relay;
    if (!this.state.welcomed || !relay) return;
    switch (m.type) {
      case 'heartbeat':
        if (this.reconciliation.shouldAsk(m.peerDigest, this.peers, this.state.lastSeen))
          this.send(ws, { type: 'listPeers' });
        // a draining relay says so on every heartbeat: a link that missed the `draining` frame learns it here
        if (m.draining && !this.drainingReported) await this.reportDraining(relay.relayId);
        if (!this.forwarding.shouldForward(m.load, m.peers, this.state.lastSeen, m.cpu)) return;
        await this.host.directory().relayHeartbeat({
          ...relay,
          load: m.load,
          linkId: this.state.linkId,
          peers: m.peers,
          ...(m.cpu !== undefined ? { cpu: m.cpu } : {}),
        });
        return;
      case 'peers':
        await this.reconcile(m.peers);
        return;
      case 'draining':
        await this.reportDraining(relay.relayId);
        return;
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        // recorded before any later frame is read, so a peer list that follows the reply includes it
        // (an AudioBridge plain-RTP participant or leg is a peer without PeerConnection: tracked alike)
        if (m.ok && (p.cmd.op === 'peer.create' || p.cmd.op === 'ab.rtpJoin'))
          this.rememberPeer(p.cmd.sessionId, p.cmd.handleId);
        p.resolve(m.ok ? rpcOk(m.result) : rpcFail(m.error.code, m.error.reason));
        return;
      }
      case 'event': {
        if (isSfuPeerEvent(m.event)) {
          // VideoRoom media events (talking, simulcast layers) belong to the room, which knows who to tell.
          await this.host
            .room(videoRoomObjectName(m.event.room))
            .sfuEvent({ sessionId: m.sessionId, handleId: m.handleId }, m.event)
            .catch((err: unknown) => log.warn('room event delivery failed', { error: String(err) }));
          return;
        }
        if (isAbPeerEvent(m.event)) {
          // AudioBridge talking events belong to the room, which tells its participants.
          await this.host
            .audioRoom?.(audioBridgeObjectName(m.event.room))
            .relayEvent(m.event)
            .catch((err: unknown) => log.warn('room event delivery failed', { error: String(err) }));
          return;
        }
        if (this.host.handlerEvents === false && onlyForHandlers(m.event)) return;
        if (m.event.kind === 'hangup') {
          this.forgetPeer(m.sessionId, m.handleId);
          // The echo of a hang-up we sent (the relay sends it before the reply): its sender hears the reply.
          if (this.hangupPending(m.sessionId, m.handleId)) return;
        }
        await this.host
          .shardOfSession(m.sessionId)
          .relayEvent(m.sessionId, m.handleId, this.state.linkId, m.event)
          .catch((err: unknown) => log.warn('event delivery failed', { error: String(err) }));
        return;
      }
    }
  }

  /** From a session shard: run one command on the relay. */
  async command(cmd: CommandInput): Promise<RpcResult<unknown>> {
    const [ws] = this.host.sockets();
    if (!ws || this._dropped || !this.state.welcomed) return rpcFail(490, 'Relay unavailable');
    const id = `c${++this.nextId}`;
    // a peer being hung up is gone already: the relay drops it before it replies
    if (cmd.op === 'peer.hangup') this.forgetPeer(cmd.sessionId, cmd.handleId);
    // the directory counted this placement itself: the next heartbeat tells it what became of it
    if (cmd.op === 'peer.create' || cmd.op === 'sfu.remoteAdd') this.forwarding.placement();
    return new Promise<RpcResult<unknown>>((resolve) => {
      this.pending.set(id, { resolve, deadline: this.host.clock.now() + COMMAND_TIMEOUT_MS, cmd });
      this.commandTimer ??= this.host.clock.after(COMMAND_TIMEOUT_MS, () => this.expireCommands());
      this.send(ws, { type: 'cmd', id, cmd });
    });
  }

  /** Answers 490 to the commands past their deadline, and re-arms for the oldest one left. */
  private expireCommands(): void {
    this.commandTimer = undefined;
    const now = this.host.clock.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) {
        this.commandTimer = this.host.clock.after(p.deadline - now, () => this.expireCommands());
        return;
      }
      this.pending.delete(id);
      p.resolve(rpcFail(490, 'Relay did not answer'));
    }
  }

  /** From a VideoRoom that now depends on this relay beyond its own peers' PeerConnections. */
  async watch(room: string): Promise<void> {
    if (this._dropped) {
      // already lost: tell it at once
      void this.host
        .room(room)
        .relayLost(this.state.linkId)
        .catch(() => undefined);
      return;
    }
    if (this.rooms.has(room)) return;
    this.rooms.add(room);
    await this.host.storage.put('rooms', [...this.rooms]);
  }

  async unwatch(room: string): Promise<void> {
    if (this.rooms.delete(room)) await this.host.storage.put('rooms', [...this.rooms]);
  }

  /** Relay-wide settings an admin changed: to the relay now, if it is connected and welcomed. */
  applySettings(settings: RelaySettings): void {
    const ws = this.host.sockets()[0];
    if (ws && !this._dropped && this.state.welcomed) this.send(ws, { type: 'settings', ...settings });
  }

  /**
   * The liveness alarm: drops a relay silent for more than HEARTBEAT_TIMEOUT_MS, else re-arms for when
   * the silence since its last frame would pass that (frames only move `lastSeen` later, so they never
   * need to touch the alarm).
   */
  async alarm(): Promise<void> {
    if (this._dropped) return;
    const now = this.host.clock.now();
    if (now - this.state.lastSeen > HEARTBEAT_TIMEOUT_MS) {
      await this.drop('heartbeat timeout');
      return;
    }
    await this.host.storage.setAlarm(Math.max(now + LIVENESS_CHECK_MS, this.state.lastSeen + HEARTBEAT_TIMEOUT_MS + 1));
  }

  /** The relay is gone: every PeerConnection on it is hung up and the directory forgets it. */
  private async reportDraining(relayId: string): Promise<void> {
    this.drainingReported = true;
    await this.host.directory().relayDraining(relayId, this.state.linkId);
  }

  async drop(why: string): Promise<void> {
    if (this._dropped) return;
    this._dropped = true;
    const { storage, log } = this.host;
    await storage.put('dropped', true);
    log.warn('relay dropped', { relay: this.state.relay?.relayId, why });
    for (const ws of this.host.sockets()) {
      try {
        ws.close(1011, why);
      } catch {
        // already closed
      }
    }
    this.commandTimer?.();
    this.commandTimer = undefined;
    for (const [, p] of this.pending) p.resolve(rpcFail(490, 'Relay lost'));
    this.pending.clear();
    this.peersWrite?.();
    this.peersWrite = undefined;
    // the peers are hung up even if the directory cannot be told (it stops offering the relay after STALE_MS)
    if (this.state.relay)
      await this.host
        .directory()
        .relayDown(this.state.relay.relayId, this.state.linkId)
        .catch((err: unknown) => log.warn('directory not told of relay loss', { error: String(err) }));
    const peers = [...this.peers];
    this.peers.clear();
    await Promise.all(
      peers.map((key) => {
        const [sid, hid] = key.split(':').map(Number) as [number, number];
        return this.host
          .shardOfSession(sid)
          .relayEvent(sid, hid, this.state.linkId, { kind: 'hangup', reason: 'Relay lost' })
          .catch(() => undefined);
      }),
    );
    const rooms = [...this.rooms];
    this.rooms.clear();
    await Promise.all(
      rooms.map((name) =>
        this.host
          .room(name)
          .relayLost(this.state.linkId)
          .catch((err: unknown) => log.warn('room not told of relay loss', { room: name, error: String(err) })),
      ),
    );
    await storage.deleteAll();
    await storage.deleteAlarm();
    this._dropped = true;
  }

  /**
   * The relay's list of peers against ours: a peer the relay lost ends like a relay-side hangup (its
   * shard tells the client and the plugin); one we do not know, past the grace period, is closed there.
   */
  private async reconcile(listed: readonly ListedPeer[]): Promise<void> {
    const { log } = this.host;
    const { lost, unknown } = this.reconciliation.difference(listed, this.peers);
    if (lost.length === 0 && unknown.length === 0) return;
    log.warn('relay peers differ from the link', {
      relay: this.state.relay?.relayId,
      lost: lost.length,
      unknown: unknown.length,
    });
    for (const p of unknown)
      void this.command({ op: 'peer.hangup', sessionId: p.sessionId, handleId: p.handleId, reason: 'Unknown peer' });
    await Promise.all(
      lost.map((key) => {
        const [sid, hid] = key.split(':').map(Number) as [number, number];
        this.forgetPeer(sid, hid);
        return this.host
          .shardOfSession(sid)
          .relayEvent(sid, hid, this.state.linkId, { kind: 'hangup', reason: LOST_ON_RELAY })
          .catch((err: unknown) => log.warn('event delivery failed', { error: String(err) }));
      }),
    );
  }

  /** A `peer.hangup` of this peer waits for its reply (a hangup event now is its echo, or came just before it). */
  private hangupPending(sessionId: number, handleId: number): boolean {
    for (const { cmd } of this.pending.values())
      if (cmd.op === 'peer.hangup' && cmd.sessionId === sessionId && cmd.handleId === handleId) return true;
    return false;
  }

  private rememberPeer(sessionId: number, handleId: number): void {
    this.peers.add(`${sessionId}:${handleId}`);
    this.writePeers();
  }

  private forgetPeer(sessionId: number, handleId: number): void {
    if (this.peers.delete(`${sessionId}:${handleId}`)) this.writePeers();
  }

  private writePeers(): void {
    if (this.peersWrite || this._dropped) return;
    this.peersWrite = this.host.clock.after(PEERS_WRITE_MS, () => {
      this.peersWrite = undefined;
      if (!this._dropped) void this.host.storage.put('peers', [...this.peers], true);
    });
  }

  private send(ws: LinkSocket, m: EdgeMessageInput): void {
    try {
      ws.send(JSON.stringify(m));
    } catch {
      // closed; the close handler drops the relay
    }
  }
}
