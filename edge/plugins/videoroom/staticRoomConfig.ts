import { z } from 'zod';
import { createSchema, roomIdSchema, type RoomId } from './schemas.js';
import { videoRoomObjectName } from './state.js';

/**
 * Rooms from configuration, as the `room-<id>` sections of Janus's janus.plugin.videoroom.jcfg: each
 * is a `create` request (the same schema; `room` required, no `admin_key`). An option the schema does
 * not know is refused rather than dropped.
 */
const staticRoomSchema = createSchema.omit({ admin_key: true }).extend({ room: roomIdSchema }).strict();
export type StaticRoomConfig = z.infer<typeof staticRoomSchema>;

/** Configured rooms by their object name (`videoRoomObjectName`). */
export type StaticRooms = ReadonlyMap<string, StaticRoomConfig>;

/**
 * Validates the configured rooms (a JSON array of `create` bodies). With string ids a numeric id
 * becomes a string, as Janus reads `room-1234` as "1234"; without, a string id is an error. Any
 * problem throws, naming the entry: a bad configuration must not start half-applied.
 */
export function parseStaticRooms(value: unknown, stringIds: boolean): StaticRooms {
  if (!Array.isArray(value)) throw new Error('VideoRoom static rooms: expected a JSON array of rooms');
  const rooms = new Map<string, StaticRoomConfig>();
  value.forEach((entry, i) => {
    const parsed = staticRoomSchema.safeParse(entry);
    if (!parsed.success) throw new Error(`VideoRoom static room #${i}: ${z.prettifyError(parsed.error)}`);
    const room = parsed.data;
    if (stringIds) room.room = String(room.room);
    else if (typeof room.room !== 'number')
      throw new Error(`VideoRoom static room #${i}: room ids are integers unless VIDEOROOM_STRING_IDS is set`);
    const name = videoRoomObjectName(room.room);
    if (rooms.has(name)) throw new Error(`VideoRoom static room #${i}: room ${room.room} is configured twice`);
    rooms.set(name, room);
  });
  return rooms;
}

export const staticRoomIds = (rooms: StaticRooms): RoomId[] => [...rooms.values()].map((r) => r.room);

/** What a destroyed static room leaves behind: the configuration it was created from. */
export const staticRoomFingerprint = (config: StaticRoomConfig) => JSON.stringify(config);
