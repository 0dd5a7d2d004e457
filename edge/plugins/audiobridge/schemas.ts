import { z } from 'zod';

/**
 * Every AudioBridge request body, as zod schemas (janus_audiobridge.c's JSON parameter tables).
 * Validation errors map to 483 (missing) and 484 (wrong type or value), as JANUS_VALIDATE_JSON_OBJECT.
 * Id types (integer or string, per `string_ids`) are checked before these (errors.ts `idTypeProblem`).
 */
export const abRoomIdSchema = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().max(128)]);
export type AbRoomId = z.infer<typeof abRoomIdSchema>;

// Janus's JANUS_JSON_PARAM_POSITIVE accepts 0.
const positive = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(1024);

export const createSchema = z.object({
  room: abRoomIdSchema.optional(),
  admin_key: z.string().optional(),
  description: text.optional(),
  secret: z.string().max(256).optional(),
  pin: z.string().max(256).optional(),
  is_private: z.boolean().optional(),
  allowed: z.array(z.string().max(256)).max(10_000).optional(),
  sampling_rate: positive.optional(),
  /** Janus's older name for sampling_rate, still read. */
  sampling: positive.optional(),
  spatial_audio: z.boolean().optional(),
  record: z.boolean().optional(),
  record_file: z.string().optional(),
  record_dir: z.string().optional(),
  mjrs: z.boolean().optional(),
  mjrs_dir: z.string().optional(),
  allow_rtp_participants: z.boolean().optional(),
  permanent: z.boolean().optional(),
  audiolevel_ext: z.boolean().optional(),
  audiolevel_event: z.boolean().optional(),
  audio_active_packets: positive.optional(),
  audio_level_average: positive.optional(),
  default_prebuffering: positive.optional(),
  default_expectedloss: positive.optional(),
  default_bitrate: positive.optional(),
  /** Checked apart (groups.ts), with Janus's own texts. */
  groups: z.array(z.unknown()).optional(),
});
export type CreateRequest = z.infer<typeof createSchema>;

export const roomOnlySchema = z.object({ room: abRoomIdSchema });
export const roomSecretSchema = z.object({ room: abRoomIdSchema, secret: z.string().optional() });
export const destroySchema = roomSecretSchema.extend({ permanent: z.boolean().optional() });

export const editSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  new_description: text.optional(),
  new_secret: z.string().max(256).optional(),
  new_pin: z.string().max(256).optional(),
  new_is_private: z.boolean().optional(),
  new_record_dir: z.string().optional(),
  new_mjrs_dir: z.string().optional(),
  permanent: z.boolean().optional(),
});

export const allowedSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  action: z.string(),
  allowed: z.array(z.string().max(256)).max(10_000).optional(),
});

/** kick, mute, unmute: the room, its secret and a participant. */
export const participantSchema = z.object({ room: abRoomIdSchema, secret: z.string().optional(), id: abRoomIdSchema });

/** Janus's `rtp` object of a plain-RTP join. */
export const rtpSchema = z.object({
  ip: z.string().max(64).optional(),
  port: z.number().int().positive().max(65535).optional(),
  payload_type: z.number().int().nonnegative().max(127).optional(),
  audiolevel_ext: z.number().int().positive().max(14).optional(),
  fec: z.boolean().optional(),
});

/** What join and configure share. */
const participantOptions = {
  display: z.string().max(1024).optional(),
  muted: z.boolean().optional(),
  prebuffer: z.number().int().nonnegative().optional(),
  bitrate: positive.optional(),
  quality: positive.optional(),
  expected_loss: z.number().int().nonnegative().optional(),
  volume: z.number().int().nonnegative().optional(),
  spatial_position: z.number().int().nonnegative().optional(),
  audio_level_average: positive.optional(),
  audio_active_packets: positive.optional(),
  record: z.boolean().optional(),
  filename: z.string().optional(),
  generate_offer: z.boolean().optional(),
  group: z.string().optional(),
};

export const joinSchema = z.object({
  room: abRoomIdSchema,
  id: abRoomIdSchema.optional(),
  token: z.string().optional(),
  pin: z.string().optional(),
  secret: z.string().optional(),
  codec: z.string().optional(),
  /** Checked apart (rtpSchema), as Janus checks it after the join's own fields. */
  rtp: z.record(z.string(), z.json()).optional(),
  ...participantOptions,
});
export type JoinRequest = z.infer<typeof joinSchema>;

export const configureSchema = z.object({ ...participantOptions, update: z.boolean().optional() });
export type ConfigureRequest = z.infer<typeof configureSchema>;

/** Synchronous requests (answered in the `success`); every other known one is asynchronous. */
export const syncRequests = [
  'create',
  'edit',
  'destroy',
  'exists',
  'allowed',
  'kick',
  'kick_all',
  'list',
  'listparticipants',
  'resetdecoder',
  'mute',
  'unmute',
  'mute_room',
  'unmute_room',
  'rtp_forward',
  'stop_rtp_forward',
  'listforwarders',
  'enable_recording',
  'enable_mjrs',
  'play_file',
  'is_playing',
  'stop_file',
] as const;
export type SyncRequest = (typeof syncRequests)[number];
/** What a room object answers itself (`create`, `list` and `resetdecoder` are the plugin's). */
export type RoomSyncRequest = Exclude<SyncRequest, 'create' | 'list' | 'resetdecoder'>;

export const asyncRequests = ['join', 'configure', 'changeroom', 'leave', 'hangup'] as const;
export type AsyncRequest = (typeof asyncRequests)[number];

const syncNames = new Set<string>(syncRequests);
const asyncNames = new Set<string>(asyncRequests);
export const isSyncRequest = (name: string): name is SyncRequest => syncNames.has(name);
export const isAsyncRequest = (name: string): name is AsyncRequest => asyncNames.has(name);
