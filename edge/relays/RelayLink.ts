import { DurableObject } from 'cloudflare:workers';
import { systemClock } from '../clock.js';
import type { CommandInput } from '../../shared/control/commands.js';
import type { RelaySettings } from '../../shared/control/messages.js';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { Logger } from '../log.js';
import type { RpcResult } from '../rpc.js';
import { Stubs } from '../stubs.js';
import { audioRoomWatcher, isAudioBridgeObjectName } from '../plugins/audiobridge/linkWatch.js';
import { isStreamingObjectName, streamingWatcher } from '../plugins/streaming/linkWatch.js';
import type { LinkHost, LinkStorage } from './linkHost.js';
import { RelayConnection } from './relayConnection.js';
import type { RelayLinkApi } from './relayLinkApi.js';
import { meterDurableObject } from '../metering/meterDurableObject.js';

const UNCONFIRMED = { allowUnconfirmed: true } as const;

/** Durable Object storage as the link logic sees it. */
function linkStorage(storage: DurableObjectStorage): LinkStorage {
  return {
    get: <T>(key: string) => storage.get<T>(key),
    put: (key, value, unconfirmed) => storage.put(key, value, unconfirmed ? UNCONFIRMED : undefined),
    deleteAll: () => storage.deleteAll(),
    setAlarm: (at) => storage.setAlarm(at),
    deleteAlarm: () => storage.deleteAlarm(),
  };
}

/**
 * One connected relay. The relay holds a WebSocket to this object (opened at `/relay/connect` with
 * the shared secret as a bearer token); the object proves it knows the secret too (HMAC of the
 * relay's nonce), forwards commands from session shards and routes the relay's events back to the
 * shard that owns each session ({@link RelayConnection}). This class only wires the Durable Object's
 * storage, clock, sockets and stubs to it.
 */
export class RelayLink extends DurableObject<Env> implements RelayLinkApi {
  private readonly link: RelayConnection;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'RelayLink');
    const config = loadConfig(env);
    const stubs = new Stubs(env, config.shardCount);
    const host: LinkHost = {
      storage: linkStorage(ctx.storage),
      clock: systemClock,
      log: new Logger(config.logLevel, 'relay-link'),
      handlerEvents: config.eventsUrl !== undefined,
      sockets: () => ctx.getWebSockets(),
      directory: () => stubs.core(),
      shardOfSession: (sessionId) => stubs.shardOfSession(sessionId),
      // Rooms that watch a relay: VideoRooms, AudioBridge rooms with plain-RTP legs there, the Streaming mountpoints.
      room: (objectName) =>
        isAudioBridgeObjectName(objectName)
          ? audioRoomWatcher(stubs.audioBridge(objectName))
          : isStreamingObjectName(objectName)
            ? streamingWatcher(stubs.streaming())
            : stubs.videoRoom(objectName),
      audioRoom: (objectName) => stubs.audioBridge(objectName),
    };
    this.link = new RelayConnection(host, config.relaySecret);
    void ctx.blockConcurrencyWhile(() => this.link.restore());
  }

  override async fetch(request: Request): Promise<Response> {
    const linkId = request.headers.get('x-link-id') ?? '';
    if (this.ctx.getWebSockets().length > 0 || this.link.dropped) return new Response('link in use', { status: 409 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    await this.link.accept(linkId);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    await this.link.message(ws, typeof data === 'string' ? data : new TextDecoder().decode(data));
  }

  /** RPC from a session shard: run one command on the relay. */
  async command(cmd: CommandInput): Promise<RpcResult<unknown>> {
    return this.link.command(cmd);
  }

  /** RPC from a VideoRoom that now depends on this relay beyond its own peers' PeerConnections. */
  async watch(room: string): Promise<void> {
    await this.link.watch(room);
  }

  async unwatch(room: string): Promise<void> {
    await this.link.unwatch(room);
  }

  /** RPC from the core coordinator: relay-wide settings an admin changed. */
  async applySettings(settings: RelaySettings): Promise<void> {
    this.link.applySettings(settings);
  }

  override async webSocketClose(): Promise<void> {
    await this.link.drop('control socket closed');
  }

  override async webSocketError(): Promise<void> {
    await this.link.drop('control socket error');
  }

  override async alarm(): Promise<void> {
    await this.link.alarm();
  }
}
