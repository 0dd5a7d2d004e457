import { z } from 'zod';
import { abRoomIdSchema } from './schemas.js';

/**
 * The bodies of the room-media requests (janus_audiobridge.c's parameter tables: record_parameters,
 * rtp_forward_parameters, stop_rtp_forward_parameters, play_file_parameters, checkstop_file_parameters).
 */

// Janus's JANUS_JSON_PARAM_POSITIVE accepts 0.
const positive = z.number().int().nonnegative().max(0xffffffff);

export const enableRecordingSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  record: z.boolean(),
  record_file: z.string().max(255).optional(),
  record_dir: z.string().max(1024).optional(),
});

export const rtpForwardSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  group: z.string().optional(),
  ssrc: positive.optional(),
  codec: z.string().optional(),
  ptype: positive.optional(),
  port: positive,
  host: z.string().max(256),
  host_family: z.string().optional(),
  srtp_suite: positive.optional(),
  srtp_crypto: z.string().optional(),
  always_on: z.boolean().optional(),
});

export const stopRtpForwardSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  stream_id: positive,
});

export const playFileSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  filename: z.string().max(1024),
  file_id: z.string().max(256).optional(),
  group: z.string().optional(),
  loop: z.boolean().optional(),
});

export const fileIdSchema = z.object({
  room: abRoomIdSchema,
  secret: z.string().optional(),
  admin_key: z.string().optional(),
  file_id: z.string().max(256),
});
