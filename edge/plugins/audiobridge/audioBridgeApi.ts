import type { AbPeerEvent } from '../../../shared/control/audiobridge.js';
import type { RelayRef } from '../../relays/relayClient.js';
import type { RpcResult } from '../../rpc.js';
import type { Joined, JoinOptions, MixerPlace } from './participants.js';
import type { AbRoomId, ConfigureRequest, JoinRequest, RoomSyncRequest } from './schemas.js';
import type { HandleAddress, JanusData } from './state.js';
import type { ParticipantSettings } from '../../../shared/control/audiobridge.js';

/** A bridged participant's media: its leg in the mixer on `home`, its PeerConnection (`bridge.relay`). */
export interface AbBridged {
  home: RelayRef;
  bridge: { relay: RelayRef; leg: number };
}

/**
 * What one AudioBridge room object answers over RPC (`AudioBridgeDO` implements it): the plugin in
 * the session shards and the relay links call these. Declared apart from the Durable Object so that
 * `Env` and the stubs type the namespace without importing the class.
 */
export interface AudioBridgeApi extends Rpc.DurableObjectBranded {
  /** `from`: the requesting handle, which event handlers hear of (none for admin `message_plugin`). */
  create(room: AbRoomId, body: Record<string, unknown>, from?: HandleAddress): Promise<RpcResult<JanusData>>;
  /** The room's `list` entry, if it exists and is not private (a configured `room` is created first). */
  summary(room?: AbRoomId): Promise<JanusData | undefined>;
  sync(request: RoomSyncRequest, body: Record<string, unknown>, from?: HandleAddress): Promise<RpcResult<JanusData>>;
  join(who: HandleAddress, join: JoinRequest, opts: JoinOptions): Promise<RpcResult<Joined>>;
  /** `audioLevel`: whether the client's offer carries the audio level (a bridge leg then expects it; default yes). */
  placeMedia(
    who: HandleAddress,
    candidate: RelayRef,
    audioLevel?: boolean,
  ): Promise<RpcResult<{ relay: RelayRef; place: MixerPlace }>>;
  mediaReady(who: HandleAddress, audioLevel: boolean): Promise<void>;
  /** The participant's media is up (webrtcup, or a plain-RTP leg opened): the others hear `setup: true`. */
  setupMedia(who: HandleAddress): Promise<void>;
  mediaFailed(who: HandleAddress): Promise<void>;
  /** A bridged participant's home relay and bridge (none without media): changeroom takes them along. */
  bridgeOf(who: HandleAddress): Promise<RpcResult<AbBridged | undefined>>;
  /** changeroom of a bridged participant: its leg moves into this room's mixer on the home relay. */
  moveLeg(who: HandleAddress): Promise<RpcResult<void>>;
  /** `resetdecoder` of a bridged participant: the home relay resets its leg's decoder. */
  resetLegDecoder(who: HandleAddress): Promise<RpcResult<void>>;
  configure(
    who: HandleAddress,
    configure: ConfigureRequest,
  ): Promise<RpcResult<{ settings: ParticipantSettings; hasMedia: boolean }>>;
  leave(who: HandleAddress): Promise<RpcResult<JanusData | undefined>>;
  handleGone(who: HandleAddress): Promise<void>;
  /**
   * changeroom's departure: the participant leaves for another room, its media goes with it (`keepLeg`
   * false: its bridge's leg here is hung up, the other room opens its own).
   */
  moveOut(who: HandleAddress, keepLeg?: boolean): Promise<void>;
  /** changeroom of a bridged participant into this room mixing on another relay: a new leg here, its bridge re-pointed. */
  rebridge(who: HandleAddress, audioLevel: boolean): Promise<RpcResult<void>>;
  /** The handle's media is gone: true when its participant left with it. */
  mediaGone(who: HandleAddress): Promise<boolean>;
  /** From a relay link this room watches (plain-RTP legs there): its relay is gone. */
  relayLost(linkId: string): Promise<void>;
  /** From the relay link of the room's mixer: a participant started or stopped talking. */
  relayEvent(e: AbPeerEvent): Promise<void>;
}

/** The deployment's AudioBridge room list (one object): `list` reads it. */
export interface AudioBridgeIndexApi extends Rpc.DurableObjectBranded {
  roomCreated(room: AbRoomId): Promise<void>;
  roomDestroyed(room: AbRoomId): Promise<void>;
  listRooms(): Promise<AbRoomId[]>;
}
