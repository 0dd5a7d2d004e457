import type { RelayClient, RelayRef } from '../../relays/relayClient.js';
import type { AbRoomId } from './schemas.js';
import type { AbStaticRooms } from './staticRoomConfig.js';
import type { AbRoomState, HandleAddress, JanusData } from './state.js';

/** What an AudioBridge room asks of a participant's handle (delivered through its session shard). */
export type AbRoomCall =
  | { kind: 'ab.event'; data: JanusData }
  /** The participant was removed by the room (kick, kick_all, destroy): drop its state and media. */
  | { kind: 'ab.removed'; data: JanusData };

const CALLS = new Set<unknown>(['ab.event', 'ab.removed'] satisfies AbRoomCall['kind'][]);

/** Calls from AudioBridge room objects (`SessionShard.pluginCall` carries them untyped). */
export function isAbRoomCall(call: unknown): call is AbRoomCall {
  return typeof call === 'object' && call !== null && 'kind' in call && CALLS.has(call.kind);
}

/** The deployment's list of AudioBridge rooms (for `list`). */
export interface AbRoomIndex {
  roomCreated(room: AbRoomId): Promise<void>;
  roomDestroyed(room: AbRoomId): Promise<void>;
}

/**
 * Everything the room logic needs from the world, so that it runs as plain classes: the Durable
 * Object provides it over storage, stubs and relay links; unit tests over memory.
 */
export interface AbRoomHost {
  /** The room changed: persist `state` (undefined: the room is gone). May be written behind. */
  save(state: AbRoomState | undefined): void;
  /** Delivers a call to a participant's handle: false when its shard has no such handle. */
  notify(to: HandleAddress, call: AbRoomCall): Promise<boolean>;
  /**
   * Tells event handlers (type 64, `janus.plugin.audiobridge`); `from`: the handle Janus names, the
   * requester's or the participant's, with its opaque id (none for what the room does on its own, as in Janus).
   */
  pluginEvent(data: JanusData, from?: HandleAddress): void;
  /** The only way to command relays (moderator mutes, plain-RTP participants' hang-ups). */
  readonly relays: RelayClient;
  readonly index: AbRoomIndex;
  /** Asks a relay link to report its loss to this room (plain-RTP legs there), or to stop. */
  watchLink(linkId: string, room: AbRoomId): void;
  unwatchLink(linkId: string, room: AbRoomId): void;
  /** A relay for the room's own media when no participant's media chose one (recording, forwarders, files). */
  pickRelay(): Promise<RelayRef | undefined>;
  /** The plugin's `admin_key` (create needs it when set). */
  readonly adminKey?: string;
  /** The deployment's configured rooms (janus.plugin.audiobridge.jcfg's `room-<id>` sections). */
  readonly staticRooms?: AbStaticRooms;
  readonly log: { warn(msg: string, fields?: Record<string, unknown>): void };
}
