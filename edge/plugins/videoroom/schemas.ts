import { z } from 'zod';

/**
 * Every VideoRoom request body, as zod schemas (§5.1–5.6). Validation errors map to 429 (missing)
 * and 430 (wrong type or value), like the plugin's JANUS_VALIDATE_JSON_OBJECT.
 */
export const roomIdSchema = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z.string().min(1).max(128),
]);
export type RoomId = z.infer<typeof roomIdSchema>;
export const feedIdSchema = roomIdSchema;
export type FeedId = RoomId;

/**
 * JSON, as client metadata and Janus replies are, typed so that it crosses Durable Object RPC with
 * its type. Nesting is bounded (8 levels, deeper values are typed `never`): workerd's RPC types
 * expand a recursive JSON type without end (TS2589).
 */
export type Json = JsonAt<8>;
export type JsonObject = { [key: string]: Json | undefined };
type Shallower = [never, 0, 1, 2, 3, 4, 5, 6, 7];
type JsonAt<Depth extends number> = [Depth] extends [never]
  ? never
  : | null
    | boolean
    | number
    | string
    | JsonAt<Shallower[Depth]>[]
    | { [key: string]: JsonAt<Shallower[Depth]> | undefined };
const jsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonSchema), jsonObjectSchema]),
);
/** A client's `metadata` (any JSON object). */
const jsonObjectSchema: z.ZodType<JsonObject> = z.record(z.string(), jsonSchema);

export const roomOptionsSchema = z.object({
  description: z.string().max(1024).optional(),
  is_private: z.boolean().optional(),
  secret: z.string().max(256).optional(),
  pin: z.string().max(256).optional(),
  allowed: z.array(z.string().max(256)).max(10_000).optional(),
  require_pvtid: z.boolean().optional(),
  signed_tokens: z.boolean().optional(),
  publishers: z.number().int().positive().max(1000).optional(),
  bitrate: z.number().int().nonnegative().optional(),
  bitrate_cap: z.boolean().optional(),
  fir_freq: z.number().int().nonnegative().optional(),
  audiocodec: z.string().max(128).optional(),
  videocodec: z.string().max(128).optional(),
  vp9_profile: z.string().max(32).optional(),
  h264_profile: z.string().max(32).optional(),
  opus_fec: z.boolean().optional(),
  opus_dtx: z.boolean().optional(),
  audiolevel_ext: z.boolean().optional(),
  audiolevel_event: z.boolean().optional(),
  audio_active_packets: z.number().int().positive().optional(),
  audio_level_average: z.number().int().positive().optional(),
  videoorient_ext: z.boolean().optional(),
  playoutdelay_ext: z.boolean().optional(),
  transport_wide_cc_ext: z.boolean().optional(),
  record: z.boolean().optional(),
  rec_dir: z.string().max(1024).optional(),
  lock_record: z.boolean().optional(),
  notify_joining: z.boolean().optional(),
  require_e2ee: z.boolean().optional(),
  dummy_publisher: z.boolean().optional(),
  threads: z.number().int().nonnegative().optional(),
});
export type RoomOptions = z.infer<typeof roomOptionsSchema>;

export const createSchema = roomOptionsSchema.extend({
  room: roomIdSchema.optional(),
  permanent: z.boolean().optional(),
  admin_key: z.string().optional(),
});

export const editSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  new_description: z.string().max(1024).optional(),
  new_secret: z.string().max(256).optional(),
  new_pin: z.string().max(256).optional(),
  new_is_private: z.boolean().optional(),
  new_require_pvtid: z.boolean().optional(),
  new_bitrate: z.number().int().nonnegative().optional(),
  new_fir_freq: z.number().int().nonnegative().optional(),
  new_publishers: z.number().int().positive().max(1000).optional(),
  new_lock_record: z.boolean().optional(),
  new_rec_dir: z.string().max(1024).optional(),
  permanent: z.boolean().optional(),
});

export const createRoomIdSchema = z.object({ room: roomIdSchema.optional() });
export const roomSecretSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  permanent: z.boolean().optional(),
});
export const roomOnlySchema = z.object({ room: roomIdSchema });
export const listSchema = z.object({ admin_key: z.string().optional() });
export const adminKeySchema = listSchema;
export const allowedSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  action: z.enum(['enable', 'disable', 'add', 'remove']),
  allowed: z.array(z.string()).optional(),
});
export const kickSchema = z.object({ room: roomIdSchema, secret: z.string().optional(), id: feedIdSchema });
export const moderateSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  id: feedIdSchema,
  mid: z.string(),
  mute: z.boolean(),
});
export const enableRecordingSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  record: z.boolean(),
});

export const forwardStreamSchema = z.object({
  mid: z.string(),
  host: z.string().optional(),
  host_family: z.enum(['ipv4', 'ipv6']).optional(),
  port: z.number().int().min(1).max(65535),
  rtcp_port: z.number().int().min(1).max(65535).optional(),
  ssrc: z.number().int().nonnegative().max(0xffffffff).optional(),
  pt: z.number().int().min(0).max(127).optional(),
  simulcast: z.boolean().optional(),
});
export const rtpForwardSchema = z.object({
  room: roomIdSchema,
  publisher_id: feedIdSchema,
  host: z.string().min(1).max(255),
  host_family: z.enum(['ipv4', 'ipv6']).optional(),
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  srtp_suite: z.union([z.literal(32), z.literal(80)]).optional(),
  srtp_crypto: z.string().optional(),
  streams: z.array(forwardStreamSchema).min(1).max(64),
});
export const stopRtpForwardSchema = z.object({
  room: roomIdSchema,
  publisher_id: feedIdSchema,
  stream_id: z.number().int().nonnegative(),
  secret: z.string().optional(),
  admin_key: z.string().optional(),
});

/** What any `join` carries before its `ptype` matters: the room and its credentials. */
export const joinAccessSchema = z.object({
  room: roomIdSchema,
  pin: z.string().optional(),
  token: z.string().optional(),
});
export type JoinAccess = z.infer<typeof joinAccessSchema>;

/** One stream of a remote publisher (§5.7 add_remote_publisher / update_remote_publisher). */
export const remoteStreamSchema = z.object({
  mid: z.string().min(1).max(64),
  mindex: z.number().int().min(0).max(99),
  /** audio | video | data: checked after the fields, as Janus does ("Invalid element value (type)"). */
  type: z.string().max(16),
  codec: z.string().max(32).optional(),
  description: z.string().max(256).optional(),
  disabled: z.boolean().optional(),
  stereo: z.boolean().optional(),
  fec: z.boolean().optional(),
  dtx: z.boolean().optional(),
  h264_profile: z.string().max(32).optional(),
  vp9_profile: z.string().max(32).optional(),
  simulcast: z.boolean().optional(),
  svc: z.boolean().optional(),
  audiolevel_ext_id: z.number().int().min(1).max(14).optional(),
  videoorient_ext_id: z.number().int().min(1).max(14).optional(),
  playoutdelay_ext_id: z.number().int().min(1).max(14).optional(),
});
/** Stream lists are checked entry by entry (errors name the entry's field, as Janus's do). */
const remoteStreamList = z.array(z.unknown()).max(64);
const srtpFields = {
  srtp_suite: z.union([z.literal(32), z.literal(80)]).optional(),
  srtp_crypto: z.string().max(256).optional(),
};
export const addRemotePublisherSchema = z.object({
  room: roomIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  id: feedIdSchema.optional(),
  display: z.string().max(512).optional(),
  metadata: jsonObjectSchema.optional(),
  mcast: z.string().max(64).optional(),
  iface: z.string().max(64).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  rtcp_port: z.number().int().min(0).max(65535).optional(),
  ...srtpFields,
  streams: remoteStreamList,
});
export const updateRemotePublisherSchema = z.object({
  room: roomIdSchema,
  id: feedIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  display: z.string().max(512).optional(),
  metadata: jsonObjectSchema.optional(),
  ...srtpFields,
  streams: remoteStreamList,
});
export const removeRemotePublisherSchema = z.object({
  room: roomIdSchema,
  id: feedIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
});
export const publishRemotelySchema = z.object({
  room: roomIdSchema,
  publisher_id: feedIdSchema,
  remote_id: z.string().min(1).max(256),
  host: z.string().min(1).max(255),
  host_family: z.enum(['ipv4', 'ipv6']).optional(),
  /** 0 is refused after validation, with Janus's own text. */
  port: z.number().int().min(0).max(65535),
  rtcp_port: z.number().int().min(0).max(65535).optional(),
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  ...srtpFields,
});
export const unpublishRemotelySchema = z.object({
  room: roomIdSchema,
  publisher_id: feedIdSchema,
  remote_id: z.string().min(1).max(256),
  secret: z.string().optional(),
  admin_key: z.string().optional(),
});
export const listRemotesSchema = z.object({
  room: roomIdSchema,
  publisher_id: feedIdSchema,
  secret: z.string().optional(),
});

export const publisherJoinSchema = z.object({
  room: roomIdSchema,
  ptype: z.literal('publisher'),
  id: feedIdSchema.optional(),
  display: z.string().max(512).optional(),
  token: z.string().optional(),
  pin: z.string().optional(),
  metadata: jsonObjectSchema.optional(),
});

export type PublisherJoin = z.infer<typeof publisherJoinSchema>;

export const subscribeStreamSchema = z.object({
  feed: feedIdSchema,
  mid: z.string().optional(),
  crossrefid: z.string().optional(),
  send: z.boolean().optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
  fallback: z.number().int().nonnegative().max(60_000_000).optional(),
});
export type SubscribeStream = z.infer<typeof subscribeStreamSchema>;

export const subscriberJoinSchema = z.object({
  room: roomIdSchema,
  ptype: z.literal('subscriber'),
  private_id: z.number().int().optional(),
  use_msid: z.boolean().optional(),
  autoupdate: z.boolean().optional(),
  pin: z.string().optional(),
  streams: z.array(subscribeStreamSchema).max(256).optional(),
  /** Legacy single-feed form. */
  feed: feedIdSchema.optional(),
});

export const publishSchema = z.object({
  audiocodec: z.string().optional(),
  videocodec: z.string().optional(),
  bitrate: z.number().int().nonnegative().optional(),
  record: z.boolean().optional(),
  filename: z.string().max(1224).optional(),
  /** The room's secret: changing `record`/`filename` needs it in a room with `lock_record`. */
  secret: z.string().optional(),
  display: z.string().max(512).optional(),
  metadata: jsonObjectSchema.optional(),
  descriptions: z
    .array(z.object({ mid: z.string(), description: z.string().max(256) }))
    .max(64)
    .optional(),
  /** Per-publisher talking thresholds, overriding the room's. */
  audio_active_packets: z.number().int().positive().max(100_000).optional(),
  audio_level_average: z.number().int().min(0).max(127).optional(),
  keyframe: z.boolean().optional(),
  streams: z
    .array(z.object({ mid: z.string(), keyframe: z.boolean().optional(), send: z.boolean().optional() }))
    .max(64)
    .optional(),
});

export const subscriberConfigureSchema = z.object({
  streams: z
    .array(
      z.object({
        mid: z.string(),
        send: z.boolean().optional(),
        substream: z.number().int().min(0).max(2).optional(),
        temporal: z.number().int().min(0).max(2).optional(),
        fallback: z.number().int().nonnegative().max(60_000_000).optional(),
      }),
    )
    .max(256)
    .optional(),
  restart: z.boolean().optional(),
});

export const subscribeSchema = z.object({ streams: z.array(subscribeStreamSchema).min(1).max(256) });
export const unsubscribeSchema = z.object({
  streams: z
    .array(z.object({ feed: feedIdSchema.optional(), mid: z.string().optional(), sub_mid: z.string().optional() }))
    .min(1)
    .max(256),
});
export const updateSchema = z.object({
  subscribe: z.array(subscribeStreamSchema).max(256).optional(),
  unsubscribe: z
    .array(z.object({ feed: feedIdSchema.optional(), mid: z.string().optional(), sub_mid: z.string().optional() }))
    .max(256)
    .optional(),
});
export const switchSchema = z.object({
  streams: z
    .array(
      z.object({
        feed: feedIdSchema,
        mid: z.string(),
        sub_mid: z.string(),
        substream: z.number().int().min(0).max(2).optional(),
        temporal: z.number().int().min(0).max(2).optional(),
      }),
    )
    .min(1)
    .max(256),
});

export const syncRequests = [
  'create',
  'edit',
  'destroy',
  'exists',
  'list',
  'allowed',
  'kick',
  'moderate',
  'enable_recording',
  'listparticipants',
  'listforwarders',
  'rtp_forward',
  'stop_rtp_forward',
  'add_remote_publisher',
  'update_remote_publisher',
  'remove_remote_publisher',
  'publish_remotely',
  'unpublish_remotely',
  'listremotes',
  'list_remotes',
] as const;
export type SyncRequest = (typeof syncRequests)[number];
/** The synchronous requests a room object answers itself (`create` and `list` are the plugin's). */
export type RoomSyncRequest = Exclude<SyncRequest, 'create' | 'list'>;
export const asyncRequests = [
  'join',
  'joinandconfigure',
  'configure',
  'publish',
  'unpublish',
  'start',
  'pause',
  'switch',
  'subscribe',
  'unsubscribe',
  'update',
  'leave',
] as const;
export type AsyncRequest = (typeof asyncRequests)[number];

const syncNames = new Set<string>(syncRequests);
const asyncNames = new Set<string>(asyncRequests);
export const isSyncRequest = (name: string): name is SyncRequest => syncNames.has(name);
export const isAsyncRequest = (name: string): name is AsyncRequest => asyncNames.has(name);
