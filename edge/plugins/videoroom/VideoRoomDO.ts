import { DurableObject } from 'cloudflare:workers';
import type { SfuPeerEvent } from '../../../shared/control/sfu.js';
import { loadConfig } from '../../config.js';
import { shardOf } from '../../core/ids.js';
import { PluginCallBatcher } from '../../core/pluginCallBatch.js';
import type { RemoteCreator, RemoteTally } from '../../core/remoteCreator.js';
import type { Env } from '../../env.js';
import { Logger } from '../../log.js';
import { LinkRelayClient } from '../../relays/relayClient.js';
import { rpcRun, type RpcResult } from '../../rpc.js';
import { Stubs } from '../../stubs.js';
import { VideoRoomError } from './errors.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { RoomCall, RoomHost } from './host.js';
import type { Joined, Published, PublisherDetails, PublishPlan } from './publishers.js';
import type { RecordingRequest } from './recordings.js';
import type { JoinAccess, PublisherJoin, RoomId, RoomSyncRequest, SubscribeStream } from './schemas.js';
import {
  videoRoomObjectName,
  type HandleAddress,
  type JanusData,
  type PubStream,
  type RoomState,
  type SubStream,
} from './state.js';
import type { FeedStream, Removal, SubscriberStreams, SwitchChange } from './subscribers.js';
import { VideoRoom, type CascadeInfo } from './videoRoom.js';
import type { VideoRoomApi } from './videoRoomApi.js';
import { meterDurableObject } from '../../metering/meterDurableObject.js';

/** The room is written behind: changes within this window are one storage write. */
const FLUSH_MS = 50;

/**
 * One VideoRoom (§5) as a Durable Object, named by `videoRoomObjectName(room)`: a thin shell that
 * gives the room logic ({@link VideoRoom}) its storage, clock, relays and the way to its
 * participants, and answers RPC with {@link RpcResult}s (workerd keeps no Janus code on a thrown error).
 */
export class VideoRoomDO extends DurableObject<Env> implements VideoRoomApi {
  private readonly vr: VideoRoom;
  private flushTimer?: ReturnType<typeof setTimeout>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'VideoRoomDO', ['scheduleFlush', 'run']);
    const config = loadConfig(env);
    const stubs = new Stubs(env, config.shardCount);
    // what the room tells participants in one turn (a broadcast) goes to each shard in one RPC
    const calls = new PluginCallBatcher(
      (sessionId) => shardOf(sessionId, config.shardCount),
      (shard, batch) => stubs.shard(shard).pluginCalls(batch),
    );
    const host: RoomHost = {
      save: () => this.scheduleFlush(),
      now: () => Date.now(),
      notify: (to: HandleAddress, call: RoomCall) => calls.call(to, call),
      relays: new LinkRelayClient(stubs),
      index: {
        roomCreated: (room) => stubs.core().roomCreated(room),
        roomDestroyed: (room) => stubs.core().roomDestroyed(room),
        pickRelay: async () => {
          const entry = await stubs.core().pickRelay();
          return entry ? { relayId: entry.relayId, linkId: entry.linkId } : undefined;
        },
        countRemotePublishers: (room, creator, own) => stubs.core().countRemotePublishers(room, creator, own),
      },
      watchLink: (linkId, room) =>
        void stubs
          .relayLink(linkId)
          .watch(videoRoomObjectName(room))
          .catch(() => undefined),
      unwatchLink: (linkId, room) =>
        void stubs
          .relayLink(linkId)
          .unwatch(videoRoomObjectName(room))
          .catch(() => undefined),
      tokenAuthSecret: config.tokenAuthSecret,
      limits: config.videoroom,
      staticRooms: config.videoroomRooms,
      log: new Logger(config.logLevel, 'videoroom'),
    };
    this.vr = new VideoRoom(host);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<RoomState | string>(['room', 'tombstone']);
      this.vr.room.state = stored.get('room') as RoomState | undefined;
      this.vr.room.tombstone = stored.get('tombstone') as string | undefined;
    });
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const { state, tombstone } = this.vr.room;
      if (state) void this.ctx.storage.put('room', state, { allowUnconfirmed: true });
      else void this.ctx.storage.delete('room', { allowUnconfirmed: true });
      if (tombstone) void this.ctx.storage.put('tombstone', tombstone, { allowUnconfirmed: true });
    }, FLUSH_MS);
  }

  /**
   * Runs a request of the room named `room` (remembered for its "No such room" text); a configured
   * room it names is created first, once.
   */
  private run<T>(room: unknown, fn: () => T | Promise<T>): Promise<RpcResult<T>> {
    this.vr.room.remember(room);
    return rpcRun(async () => {
      await this.vr.statics.ensure(room);
      return fn();
    }, VideoRoomError.UNKNOWN_ERROR);
  }

  // ---------------------------------------------------------------- synchronous requests

  async create(room: RoomId, body: Record<string, unknown>): Promise<RpcResult<JanusData>> {
    return this.run(room, () => this.vr.requests.create(room, body));
  }

  async summary(room: RoomId): Promise<JanusData | undefined> {
    await this.vr.statics.ensure(room);
    return this.vr.requests.summary();
  }

  async sync(
    request: RoomSyncRequest,
    body: Record<string, unknown>,
    caller?: RemoteCreator,
  ): Promise<RpcResult<JanusData>> {
    return this.run(body.room, () => this.vr.sync(request, body, caller));
  }

  /** From the core coordinator: this room's remote publishers added by a creator (a configured room is not created for it). */
  async remoteTally(creator: RemoteCreator): Promise<RemoteTally> {
    return this.vr.remotes.tally(creator);
  }

  // ---------------------------------------------------------------- publishers

  async joinPublisher(who: HandleAddress, join: PublisherJoin): Promise<RpcResult<Joined>> {
    return this.run(join.room, () => this.vr.publishers.join(who, join));
  }

  /** A join with an unknown `ptype`: Janus looks up the room and checks its pin before it refuses the ptype. */
  async checkJoinAccess(join: JoinAccess): Promise<RpcResult<void>> {
    return this.run(join.room, () => this.vr.publishers.checkJoinAccess(join));
  }

  async preparePublish(who: HandleAddress): Promise<RpcResult<PublishPlan>> {
    return this.run(undefined, () => this.vr.publishers.preparePublish(who));
  }

  async published(
    who: HandleAddress,
    streams: PubStream[],
    relay: RelayRef,
    details: PublisherDetails,
  ): Promise<RpcResult<Published & { recordingError?: string }>> {
    return this.run(undefined, () => this.vr.published(who, streams, relay, details));
  }

  async checkRecording(req: RecordingRequest): Promise<RpcResult<void>> {
    return this.run(undefined, () => this.vr.checkRecording(req));
  }

  async configurePublisher(
    who: HandleAddress,
    details: Omit<PublisherDetails, 'descriptions'>,
  ): Promise<RpcResult<{ room: RoomId; publishing: boolean }>> {
    return this.run(undefined, () => this.vr.configurePublisher(who, details));
  }

  async unpublished(who: HandleAddress, requested: boolean): Promise<RpcResult<{ room: RoomId }>> {
    return this.run(undefined, () => this.vr.publishers.unpublished(who, requested));
  }

  async leave(who: HandleAddress): Promise<RpcResult<JanusData>> {
    return this.run(undefined, () => this.vr.leave(who));
  }

  // ---------------------------------------------------------------- subscribers

  async prepareSubscribe(
    who: HandleAddress,
    body: Record<string, unknown>,
    relay: RelayRef,
  ): Promise<RpcResult<{ room: RoomId; streams: FeedStream[] }>> {
    return this.run(body.room, () => this.vr.subscribers.prepare(who, body, relay));
  }

  async subscribed(
    who: HandleAddress,
    streams: SubStream[],
    relay: RelayRef,
    answered: boolean,
  ): Promise<RpcResult<{ streams: JanusData[] }>> {
    return this.run(undefined, () => this.vr.subscribers.subscribed(who, streams, relay, answered));
  }

  async subscriberSendChanged(
    who: HandleAddress,
    changes: Array<{ mid: string; send: boolean }>,
  ): Promise<RpcResult<{ room: RoomId }>> {
    return this.run(undefined, () => this.vr.subscribers.sendChanged(who, changes));
  }

  async subscriberAnswered(who: HandleAddress, mids: string[]): Promise<RpcResult<{ room: RoomId }>> {
    return this.run(undefined, () => this.vr.subscribers.answered(who, mids));
  }

  async subscribeFailed(who: HandleAddress): Promise<void> {
    this.vr.subscribers.subscribeFailed(who);
  }

  async subscriberStreams(who: HandleAddress): Promise<RpcResult<SubscriberStreams>> {
    return this.run(undefined, () => this.vr.subscribers.streams(who));
  }

  async resolveAdditions(who: HandleAddress, req: SubscribeStream[]): Promise<RpcResult<{ streams: FeedStream[] }>> {
    return this.run(undefined, () => this.vr.subscribers.resolveAdditions(who, req));
  }

  async subscriptionFailed(who: HandleAddress): Promise<void> {
    this.vr.subscribers.subscriptionFailed(who);
  }

  async resolveRemovals(who: HandleAddress, req: Removal[]): Promise<RpcResult<{ mids: string[] }>> {
    return this.run(undefined, () => this.vr.subscribers.resolveRemovals(who, req));
  }

  async setPaused(who: HandleAddress, paused: boolean): Promise<RpcResult<{ room: RoomId }>> {
    return this.run(undefined, () => this.vr.subscribers.setPaused(who, paused));
  }

  async switchStreams(
    who: HandleAddress,
    req: Array<{ feed: RoomId; mid: string; sub_mid: string }>,
  ): Promise<RpcResult<{ changes: SwitchChange[] }>> {
    return this.run(undefined, () => this.vr.subscribers.switchStreams(who, req));
  }

  async subscriptionChanged(who: HandleAddress, streams: SubStream[]): Promise<RpcResult<SubscriberStreams>> {
    return this.run(undefined, () => this.vr.subscribers.subscriptionChanged(who, streams));
  }

  // ---------------------------------------------------------------- handles, admin, relays

  async handleGone(who: HandleAddress, peerOnly: boolean): Promise<void> {
    this.vr.handleGone(who, peerOnly);
  }

  async cascadeInfo(who: HandleAddress): Promise<CascadeInfo[]> {
    return this.vr.cascadeInfo(who);
  }

  /** From the relay link of a participant's PeerConnection: talking and simulcast layer changes. */
  async sfuEvent(who: HandleAddress, e: SfuPeerEvent): Promise<void> {
    await this.vr.relayEvents.sfuEvent(who, e);
  }

  /** From a relay link this room watches: its relay is gone. */
  async relayLost(linkId: string): Promise<void> {
    await this.vr.relayEvents.relayLost(linkId);
  }
}
