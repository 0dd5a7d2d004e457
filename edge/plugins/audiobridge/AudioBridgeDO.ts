import { DurableObject } from 'cloudflare:workers';
import type { AbPeerEvent, ParticipantSettings } from '../../../shared/control/audiobridge.js';
import { EventType } from '../../../shared/janus/events.js';
import { loadConfig } from '../../config.js';
import { deliveryFromShared } from '../../events/eventMask.js';
import { EventSink } from '../../events/eventSink.js';
import type { Env } from '../../env.js';
import { Logger } from '../../log.js';
import { meterDurableObject } from '../../metering/meterDurableObject.js';
import { LinkRelayClient, type RelayRef } from '../../relays/relayClient.js';
import { rpcRun, type RpcResult } from '../../rpc.js';
import { Stubs } from '../../stubs.js';
import type { AudioBridgeApi } from './audioBridgeApi.js';
import { AudioBridge } from './audioBridge.js';
import { AudioBridgeError } from './errors.js';
import { RoomEventDelivery } from './eventDelivery.js';
import type { AbRoomHost } from './host.js';
import type { Joined, JoinOptions, MixerPlace } from './participants.js';
import type { AbRoomId, ConfigureRequest, JoinRequest, RoomSyncRequest } from './schemas.js';
import { audioBridgeObjectName, type AbRoomState, type HandleAddress, type JanusData } from './state.js';

/** The room is written behind: changes within this window are one storage write. */
const FLUSH_MS = 50;

/**
 * One AudioBridge room as a Durable Object, named by `audioBridgeObjectName(room)`: a thin shell that
 * gives the room logic ({@link AudioBridge}) its storage, relays and the way to its participants, and
 * answers RPC with {@link RpcResult}s.
 */
export class AudioBridgeDO extends DurableObject<Env> implements AudioBridgeApi {
  private readonly ab: AudioBridge;
  private flushTimer?: ReturnType<typeof setTimeout>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'AudioBridgeDO', ['scheduleFlush', 'run']);
    const config = loadConfig(env);
    const stubs = new Stubs(env, config.shardCount);
    const log = new Logger(config.logLevel, 'audiobridge');
    // The room tells event handlers itself (what it does on its own names no handle), under the mask
    // and grouping in force, which it reads from the core (eventDelivery.ts).
    const delivery = new RoomEventDelivery(
      {
        read: async () => deliveryFromShared(await stubs.core().getSettings(), config.eventDelivery),
        now: () => Date.now(),
      },
      config.eventDelivery,
    );
    const events = new EventSink(config.eventsUrl, config.serverName, log, () => delivery.current());
    const host: AbRoomHost = {
      save: () => this.scheduleFlush(),
      notify: (to, call) => stubs.shardOfSession(to.sessionId).pluginCall(to.sessionId, to.handleId, call),
      relays: new LinkRelayClient(stubs),
      index: {
        roomCreated: (room) => stubs.audioBridgeIndex().roomCreated(room),
        roomDestroyed: (room) => stubs.audioBridgeIndex().roomDestroyed(room),
      },
      watchLink: (linkId, room) =>
        void stubs
          .relayLink(linkId)
          .watch(audioBridgeObjectName(room))
          .catch(() => undefined),
      unwatchLink: (linkId, room) =>
        void stubs
          .relayLink(linkId)
          .unwatch(audioBridgeObjectName(room))
          .catch(() => undefined),
      pickRelay: async () => {
        const entry = await stubs.core().pickRelay();
        return entry ? { relayId: entry.relayId, linkId: entry.linkId, region: entry.region } : undefined;
      },
      adminKey: config.audiobridgeAdminKey,
      staticRooms: config.audiobridgeRooms,
      pluginEvent: (data, from) => {
        if (events.enabled)
          delivery.whenFresh(() =>
            events.emit(EventType.PLUGIN, { plugin: 'janus.plugin.audiobridge', data }, from ?? {}),
          );
      },
      log,
    };
    this.ab = new AudioBridge(host);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<AbRoomState | string>(['room', 'tombstone']);
      this.ab.room.state = stored.get('room') as AbRoomState | undefined;
      this.ab.statics.tombstone = stored.get('tombstone') as string | undefined;
    });
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const state = this.ab.room.state;
      if (state) void this.ctx.storage.put('room', state, { allowUnconfirmed: true });
      else void this.ctx.storage.delete('room', { allowUnconfirmed: true });
      const tombstone = this.ab.statics.tombstone;
      if (tombstone) void this.ctx.storage.put('tombstone', tombstone, { allowUnconfirmed: true });
    }, FLUSH_MS);
  }

  /**
   * Runs a request of the room named `room` (remembered for its "No such room" text); a configured
   * room it names is created first, once.
   */
  private run<T>(room: unknown, fn: () => T | Promise<T>): Promise<RpcResult<T>> {
    this.ab.room.remember(room);
    return rpcRun(async () => {
      await this.ab.statics.ensure(room);
      return fn();
    }, AudioBridgeError.UNKNOWN_ERROR);
  }

  async create(room: AbRoomId, body: Record<string, unknown>, from?: HandleAddress): Promise<RpcResult<JanusData>> {
    return this.run(room, () => this.ab.requests.create(room, body, from));
  }

  async summary(room?: AbRoomId): Promise<JanusData | undefined> {
    await this.ab.statics.ensure(room);
    return this.ab.requests.summary();
  }

  async sync(
    request: RoomSyncRequest,
    body: Record<string, unknown>,
    from?: HandleAddress,
  ): Promise<RpcResult<JanusData>> {
    return this.run(body.room, () => this.ab.sync(request, body, from));
  }

  async join(who: HandleAddress, join: JoinRequest, opts: JoinOptions): Promise<RpcResult<Joined>> {
    return this.run(join.room, () => this.ab.participants.join(who, join, opts));
  }

  async placeMedia(
    who: HandleAddress,
    candidate: RelayRef,
    audioLevel?: boolean,
  ): Promise<RpcResult<{ relay: RelayRef; place: MixerPlace }>> {
    return this.run(undefined, () => this.ab.placeMedia(who, candidate, audioLevel));
  }

  async mediaReady(who: HandleAddress, audioLevel: boolean): Promise<void> {
    this.ab.participants.mediaReady(who, audioLevel);
  }

  async setupMedia(who: HandleAddress): Promise<void> {
    this.ab.participants.setupMedia(who);
  }

  async resetLegDecoder(who: HandleAddress): Promise<RpcResult<void>> {
    return this.run(undefined, () => this.ab.resetLegDecoder(who));
  }

  async bridgeOf(who: HandleAddress): Promise<RpcResult<ReturnType<AudioBridge['bridgeOf']>>> {
    return this.run(undefined, () => this.ab.bridgeOf(who));
  }

  async moveLeg(who: HandleAddress): Promise<RpcResult<void>> {
    return this.run(undefined, () => this.ab.moveLeg(who));
  }

  async mediaFailed(who: HandleAddress): Promise<void> {
    this.ab.participants.mediaFailed(who);
  }

  async configure(
    who: HandleAddress,
    configure: ConfigureRequest,
  ): Promise<RpcResult<{ settings: ParticipantSettings; hasMedia: boolean }>> {
    return this.run(undefined, () => this.ab.participants.configure(who, configure));
  }

  async leave(who: HandleAddress): Promise<RpcResult<JanusData | undefined>> {
    return this.run(undefined, () => this.ab.participants.leave(who, 'leave'));
  }

  async handleGone(who: HandleAddress): Promise<void> {
    this.ab.handleGone(who);
  }

  async moveOut(who: HandleAddress, keepLeg = true): Promise<void> {
    this.ab.participants.leave(who, 'moved', keepLeg);
  }

  async rebridge(who: HandleAddress, audioLevel: boolean): Promise<RpcResult<void>> {
    return this.run(undefined, () => this.ab.rebridge(who, audioLevel));
  }

  async mediaGone(who: HandleAddress): Promise<boolean> {
    return this.ab.participants.mediaGone(who);
  }

  async relayLost(linkId: string): Promise<void> {
    this.ab.relayLost(linkId);
  }

  async relayEvent(e: AbPeerEvent): Promise<void> {
    this.ab.relayEvent(e);
  }
}
