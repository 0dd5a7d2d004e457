import { z } from 'zod';
import { abRoomIdSchema, createSchema, type AbRoomId } from './schemas.js';
import { audioBridgeObjectName } from './state.js';
import { roomGroups } from './groups.js';

/**
 * Rooms from configuration, as the `room-<id>` sections of Janus's janus.plugin.audiobridge.jcfg: each
 * is a `create` request (the same schema; `room` required, no `admin_key`). An option the schema does
 * not know is refused rather than dropped, and `groups` are checked as `create` checks them.
 */
const staticRoomSchema = createSchema.omit({ admin_key: true }).extend({ room: abRoomIdSchema }).strict();
export type AbStaticRoomConfig = z.infer<typeof staticRoomSchema>;

/** Configured rooms by their object name (`audioBridgeObjectName`). */
export type AbStaticRooms = ReadonlyMap<string, AbStaticRoomConfig>;

/**
 * Validates the configured rooms (a JSON array of `create` bodies). With string ids a numeric id
 * becomes a string, as Janus reads `room-1234` as "1234"; without, a string id is an error. What
 * `create` would refuse (bad `groups`) is refused here already. Any problem
 * throws, naming the entry: a bad configuration must not start half-applied.
 */
export function parseAbStaticRooms(value: unknown, stringIds: boolean): AbStaticRooms {
  if (!Array.isArray(value)) throw new Error('AudioBridge static rooms: expected a JSON array of rooms');
  const rooms = new Map<string, AbStaticRoomConfig>();
  value.forEach((entry, i) => {
    const parsed = staticRoomSchema.safeParse(entry);
    if (!parsed.success) throw new Error(`AudioBridge static room #${i}: ${z.prettifyError(parsed.error)}`);
    const room = parsed.data;
    try {
      roomGroups(room.groups);
    } catch (err) {
      throw new Error(`AudioBridge static room #${i}: ${(err as Error).message}`, { cause: err });
    }
    if (stringIds) room.room = String(room.room);
    else if (typeof room.room !== 'number')
      throw new Error(`AudioBridge static room #${i}: room ids are integers unless AUDIOBRIDGE_STRING_IDS is set`);
    const name = audioBridgeObjectName(room.room);
    if (rooms.has(name)) throw new Error(`AudioBridge static room #${i}: room ${room.room} is configured twice`);
    rooms.set(name, room);
  });
  return rooms;
}

export const abStaticRoomIds = (rooms: AbStaticRooms): AbRoomId[] => [...rooms.values()].map((r) => r.room);

/** What a destroyed static room leaves behind: the configuration it was created from. */
export const abStaticRoomFingerprint = (config: AbStaticRoomConfig) => JSON.stringify(config);
