import type { SfuPeerEvent } from '../../../shared/control/sfu.js';
import type { RemoteCreator, RemoteTally } from '../../core/remoteCreator.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { RpcResult } from '../../rpc.js';
import type { Joined, Published, PublisherDetails, PublishPlan } from './publishers.js';
import type { RecordingRequest } from './recordings.js';
import type { JoinAccess, PublisherJoin, RoomId, RoomSyncRequest, SubscribeStream } from './schemas.js';
import type { HandleAddress, JanusData, PubStream, SubStream } from './state.js';
import type { FeedStream, Removal, SubscriberStreams, SwitchChange } from './subscribers.js';
import type { CascadeInfo } from './videoRoom.js';

/**
 * What one VideoRoom object answers over RPC (`VideoRoomDO` implements it): the plugin in the session
 * shards and the relay links call these. Declared apart from the Durable Object so that `Env` and the
 * stubs type the namespace without importing the class.
 */
export interface VideoRoomApi extends Rpc.DurableObjectBranded {
  create(room: RoomId, body: Record<string, unknown>): Promise<RpcResult<JanusData>>;
  /** The room's `list` entry (a configured room is created first). */
  summary(room: RoomId): Promise<JanusData | undefined>;
  /** `caller`: the session that sent the request and its client address (none: admin `message_plugin`). */
  sync(request: RoomSyncRequest, body: Record<string, unknown>, caller?: RemoteCreator): Promise<RpcResult<JanusData>>;
  /** From the core coordinator: this room's remote publishers added by a creator's session and address. */
  remoteTally(creator: RemoteCreator): Promise<RemoteTally>;
  joinPublisher(who: HandleAddress, join: PublisherJoin): Promise<RpcResult<Joined>>;
  /** A join with an unknown `ptype`: Janus looks up the room and checks its pin before it refuses the ptype. */
  checkJoinAccess(join: JoinAccess): Promise<RpcResult<void>>;
  preparePublish(who: HandleAddress): Promise<RpcResult<PublishPlan>>;
  published(
    who: HandleAddress,
    streams: PubStream[],
    relay: RelayRef,
    details: PublisherDetails,
  ): Promise<RpcResult<Published & { recordingError?: string }>>;
  /** A publisher's `record`/`filename` (lock_record's secret, a usable name), before its offer goes to a relay. */
  checkRecording(req: RecordingRequest): Promise<RpcResult<void>>;
  configurePublisher(
    who: HandleAddress,
    details: Omit<PublisherDetails, 'descriptions'>,
  ): Promise<RpcResult<{ room: RoomId; publishing: boolean }>>;
  unpublished(who: HandleAddress, requested: boolean): Promise<RpcResult<{ room: RoomId }>>;
  leave(who: HandleAddress): Promise<RpcResult<JanusData>>;
  prepareSubscribe(
    who: HandleAddress,
    body: Record<string, unknown>,
    relay: RelayRef,
  ): Promise<RpcResult<{ room: RoomId; streams: FeedStream[] }>>;
  subscribed(
    who: HandleAddress,
    streams: SubStream[],
    relay: RelayRef,
    answered: boolean,
  ): Promise<RpcResult<{ streams: JanusData[] }>>;
  /** A subscriber `configure` changed `send` on these m-lines. */
  subscriberSendChanged(
    who: HandleAddress,
    changes: Array<{ mid: string; send: boolean }>,
  ): Promise<RpcResult<{ room: RoomId }>>;
  /** The subscriber's answer took these m-lines: Janus's `ready`. */
  subscriberAnswered(who: HandleAddress, mids: string[]): Promise<RpcResult<{ room: RoomId }>>;
  subscribeFailed(who: HandleAddress): Promise<void>;
  subscriberStreams(who: HandleAddress): Promise<RpcResult<SubscriberStreams>>;
  resolveAdditions(who: HandleAddress, req: SubscribeStream[]): Promise<RpcResult<{ streams: FeedStream[] }>>;
  subscriptionFailed(who: HandleAddress): Promise<void>;
  resolveRemovals(who: HandleAddress, req: Removal[]): Promise<RpcResult<{ mids: string[] }>>;
  setPaused(who: HandleAddress, paused: boolean): Promise<RpcResult<{ room: RoomId }>>;
  switchStreams(
    who: HandleAddress,
    req: Array<{ feed: RoomId; mid: string; sub_mid: string }>,
  ): Promise<RpcResult<{ changes: SwitchChange[] }>>;
  subscriptionChanged(who: HandleAddress, streams: SubStream[]): Promise<RpcResult<SubscriberStreams>>;
  handleGone(who: HandleAddress, peerOnly: boolean): Promise<void>;
  cascadeInfo(who: HandleAddress): Promise<CascadeInfo[]>;
  /** From the relay link of a participant's PeerConnection: talking and simulcast layer changes. */
  sfuEvent(who: HandleAddress, e: SfuPeerEvent): Promise<void>;
  /** From a relay link this room watches: its relay is gone. */
  relayLost(linkId: string): Promise<void>;
}
