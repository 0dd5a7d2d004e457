import { DurableObject } from 'cloudflare:workers';
import { systemClock } from '../clock.js';
import type { PeerEvent } from '../../shared/control/events.js';
import { JanusError } from '../../shared/janus/errors.js';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { EventSink } from '../events/eventSink.js';
import { Logger } from '../log.js';
import { pluginRegistry } from '../plugins/registry.js';
import { LinkRelayClient } from '../relays/relayClient.js';
import { rpcRun, type RpcResult } from '../rpc.js';
import { Stubs } from '../stubs.js';
import { WebSocketTransport } from '../transports/websocket.js';
import { AdminOps } from './adminOps.js';
import type { ShardHost, ShardStorage } from './host.js';
import type { PluginCallOutcome, PluginCallTo } from './pluginCallBatch.js';
import type { JanusMessage } from './replies.js';
import { applyIsolateSettings, type SharedSettings } from './settings.js';
import { clientAddressOf } from './clientAddress.js';
import { peersOfAddress } from './peerAdmission.js';
import type { Source } from './session.js';
import { SessionCore } from './sessionCore.js';
import { NEXT_SHARD_HEADER, nextShardWhenFull } from './shardFill.js';
import type { AdminOp, Counts, PollResult, SessionShardApi } from './shardApi.js';
import { meterDurableObject } from '../metering/meterDurableObject.js';

const UNCONFIRMED = { allowUnconfirmed: true } as const;

/** Durable Object storage as the session logic sees it. */
function shardStorage(storage: DurableObjectStorage): ShardStorage {
  return {
    get: <T>(key: string) => storage.get<T>(key),
    list: <T>(prefix: string) => storage.list<T>({ prefix }),
    put: (entries, unconfirmed) => storage.put(entries, unconfirmed ? UNCONFIRMED : undefined),
    delete: async (keys, unconfirmed) => {
      await storage.delete(keys, unconfirmed ? UNCONFIRMED : undefined);
    },
    setAlarm: (at) => storage.setAlarm(at),
  };
}

/**
 * A session coordinator. Sessions are sharded by id (id mod SHARD_COUNT); each shard owns its
 * sessions and their handles ({@link SessionCore}), holds the WebSockets that were routed to it
 * ({@link WebSocketTransport}), queues events for HTTP long polls, and expires sessions with one
 * alarm. This class only wires the Durable Object's storage, clock, stubs and sockets to them.
 */
export class SessionShard extends DurableObject<Env> implements SessionShardApi {
  private readonly core: SessionCore;
  private readonly ws: WebSocketTransport;
  private readonly adminOps: AdminOps;
  private readonly stubs: Stubs;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'SessionShard');
    const config = loadConfig(env);
    const log = new Logger(config.logLevel, 'shard');
    const stubs = new Stubs(env, config.shardCount);
    this.stubs = stubs;
    const relays = new LinkRelayClient(stubs);
    const host: ShardHost = {
      storage: shardStorage(ctx.storage),
      clock: systemClock,
      relays,
      events: new EventSink(config.eventsUrl, config.serverName, log, config.eventDelivery),
      log,
      shard: (n) => stubs.shard(n),
      core: () => stubs.core(),
      sendToConnection: (connId, m) => this.ws.send(connId, m),
    };
    this.core = new SessionCore(host, config, pluginRegistry(config, stubs));
    this.ws = new WebSocketTransport(
      host,
      { accept: (ws, tags) => ctx.acceptWebSocket(ws as WebSocket, tags), tagged: (tag) => ctx.getWebSockets(tag) },
      this.core,
    );
    this.adminOps = new AdminOps(this.core, () => Date.now());
    void ctx.blockConcurrencyWhile(async () => {
      await this.core.restore();
      applyIsolateSettings(this.core.settings);
      await this.ws.restore();
    });
  }

  // ---- RPC: the Janus API and events

  async janus(raw: Record<string, unknown>, origin: Source, shard: number, region?: string): Promise<JanusMessage> {
    const verb = typeof raw.janus === 'string' ? raw.janus.toLowerCase() : '';
    // A new session without an id of its choosing goes where there is room (shardFill.ts).
    const next =
      verb === 'create' && raw.id === undefined && origin.kind !== 'ws' ? this.nextWhenFull(shard) : undefined;
    if (next !== undefined) return this.stubs.shard(next).janus(raw, origin, next, region);
    return this.core.janus(raw, origin, shard, region);
  }

  /** The shard new work goes on to when this one (number `shard`) is full. */
  private nextWhenFull(shard: number): number | undefined {
    const { shardFill, shardCount } = this.core.config;
    const load = this.core.sessions.size + this.ctx.getWebSockets().length;
    return nextShardWhenFull(load, shardFill, shard, shardCount);
  }

  async poll(sessionId: number, maxev: number, apisecret?: string, token?: string): Promise<PollResult> {
    return this.core.poll(sessionId, maxev, apisecret, token);
  }

  async pluginCall(sessionId: number, handleId: number, call: unknown): Promise<boolean> {
    return this.core.requests.pluginCall(sessionId, handleId, call);
  }

  async pluginCalls(calls: PluginCallTo[]): Promise<PluginCallOutcome[]> {
    return this.core.requests.pluginCalls(calls);
  }

  async relayEvent(sessionId: number, handleId: number, linkId: string, event: PeerEvent): Promise<void> {
    this.core.relayEvent(sessionId, handleId, linkId, event);
  }

  async pushToConnection(connId: string, m: JanusMessage): Promise<boolean> {
    return this.ws.send(connId, m);
  }

  async forgetRemote(connId: string, sessionId: number): Promise<void> {
    await this.ws.forgetRemote(connId, sessionId);
  }

  async connectionsAlive(connIds: string[]): Promise<string[]> {
    return this.ws.alive(connIds);
  }

  async transportGone(sessionId: number, connId: string, shard: number): Promise<void> {
    this.core.transportGone(sessionId, connId, shard);
  }

  // ---- the WebSocket transport (hibernatable)

  override async fetch(request: Request): Promise<Response> {
    const next = this.nextWhenFull(Number(request.headers.get('x-shard')));
    if (next !== undefined) return new Response(null, { status: 307, headers: { [NEXT_SHARD_HEADER]: String(next) } });
    const pair = new WebSocketPair();
    const region = request.headers.get('x-region') ?? undefined;
    const address = clientAddressOf(request.headers);
    this.ws.accept(pair[1], Number(request.headers.get('x-shard')), region, address ?? '127.0.0.1', address);
    return new Response(null, {
      status: 101,
      webSocket: pair[0],
      headers: { 'Sec-WebSocket-Protocol': 'janus-protocol' },
    });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    await this.ws.message(ws, data);
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.ws.closed(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.ws.closed(ws);
  }

  // ---- timeouts and admin

  override async alarm(): Promise<void> {
    this.core.expire();
  }

  async applySettings(settings: SharedSettings): Promise<void> {
    if (!this.core.applySettings(settings)) return;
    // The log level and event delivery are the isolate's: every object here follows the admin.
    applyIsolateSettings(settings);
    await this.ctx.storage.put('settings', settings);
  }

  async listSessions(): Promise<number[]> {
    return this.core.listSessions();
  }

  async counts(): Promise<Counts> {
    return this.core.counts();
  }

  async peersOf(address: string): Promise<number> {
    return peersOfAddress(this.core.sessions.values(), address);
  }

  async admin(op: AdminOp): Promise<RpcResult<Record<string, unknown>>> {
    return rpcRun(() => this.adminOps.run(op), JanusError.UNKNOWN);
  }
}
