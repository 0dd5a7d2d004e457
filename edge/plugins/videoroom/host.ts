import type { RemoteCounts, RemoteCreator, RemoteTally } from '../../core/remoteCreator.js';
import type { RelayClient, RelayRef } from '../../relays/relayClient.js';
import type { VideoRoomLimits } from './limits.js';
import type { FeedId, RoomId } from './schemas.js';
import type { StaticRooms } from './staticRoomConfig.js';
import type { HandleAddress, JanusData, RoomState } from './state.js';

/** What the room asks of a participant's handle (delivered through its session shard). */
export type RoomCall =
  | { kind: 'event'; data: JanusData }
  /** The participant was removed by the room (kick, room destroyed): drop its state and PeerConnection. */
  | { kind: 'removed'; data: JanusData }
  /** Feeds this subscriber receives went away: renegotiate without them (autoupdate). */
  | { kind: 'feedsGone'; feedIds: FeedId[] };

const ROOM_CALLS = new Set<unknown>(['event', 'removed', 'feedsGone'] satisfies RoomCall['kind'][]);

/** Calls from the room objects (`SessionShard.pluginCall` carries them untyped). */
export function isRoomCall(call: unknown): call is RoomCall {
  return typeof call === 'object' && call !== null && 'kind' in call && ROOM_CALLS.has(call.kind);
}

/** The deployment's list of rooms and relays (the core coordinator). */
export interface RoomIndex {
  roomCreated(room: RoomId): Promise<void>;
  roomDestroyed(room: RoomId): Promise<void>;
  /** The least loaded relay, for media no client's region decides (remote publishers). */
  pickRelay(): Promise<RelayRef | undefined>;
  /**
   * A creator's remote publishers over every room, for this room's `add_remote_publisher` (`own`: this
   * room's tally, the new reservation included).
   */
  countRemotePublishers(room: RoomId, creator: RemoteCreator, own: RemoteTally): Promise<RemoteCounts>;
}

export interface RoomLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * Everything the room logic needs from the world, so that it runs as plain classes: the Durable
 * Object provides it over storage, stubs and relay links; unit tests over memory.
 */
export interface RoomHost {
  /** The room changed: persist `state` (undefined: the room is gone). May be written behind. */
  save(state: RoomState | undefined): void;
  now(): number;
  /**
   * Delivers a call to a participant's handle: false when its shard has no such handle (it went away
   * and its leave was lost). A failed delivery throws.
   */
  notify(to: HandleAddress, call: RoomCall): Promise<boolean>;
  /** The only way to command relays. */
  readonly relays: RelayClient;
  readonly index: RoomIndex;
  /** Asks a relay link to report its loss to this room ({@link VideoRoom.relayLost}), or to stop. */
  watchLink(linkId: string, room: RoomId): void;
  unwatchLink(linkId: string, room: RoomId): void;
  /** The deployment's token secret, for rooms with `signed_tokens`. */
  readonly tokenAuthSecret?: string;
  /** The plugin's admin key and limits (edge/config.ts). */
  readonly limits: VideoRoomLimits;
  /** Rooms from configuration (janus.plugin.videoroom.jcfg's `room-<id>` sections), created on first use. */
  readonly staticRooms?: StaticRooms;
  readonly log: RoomLog;
}
