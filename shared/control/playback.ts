import { z } from 'zod';

/**
 * Record&Play, edge↔relay. Recordings live on media hosts, described by Janus `.nfo` files in
 * the relay's recordings folder; the edge asks a relay for its list and opens a playback peer there
 * (`peer.create` with plugin `janus.plugin.recordplay` and `{recording}`: the relay offers sendonly
 * m-lines in the recording's codecs), the client's answer goes in `peer.answer`, and the relay plays
 * the packets once the PeerConnection is up, then hangs up (`Close PC`) when the recording ends.
 * A recorder is `peer.create` with the client's offer and `{record}`: the relay answers, records, and
 * writes the recording's `.nfo` once the peer ends (`peer.hangup`, the handle gone).
 */

export const RECORDPLAY_PLUGIN = 'janus.plugin.recordplay';

const peerKey = {
  sessionId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  handleId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
};

export const recordingIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `peer.create` options of a playback peer (the relay offers). */
export const playOptionsSchema = z
  .object({
    recording: recordingIdSchema,
    trickle: z.boolean().optional(),
  })
  .strict();

/** The codecs a Record&Play recorder can be asked to record (`audiocodec`/`videocodec`). */
export const recordAudioCodecs = ['opus', 'pcmu'] as const;
export const recordVideoCodecs = ['vp8', 'h264'] as const;

/**
 * `peer.create` options of a recorder (`record`, with the client's offer): the relay answers recvonly
 * and writes `<filename or rec-<id>>-audio/video.mjr` in its folder, then `<id>.nfo` when the peer ends.
 */
export const recordOptionsSchema = z
  .object({
    record: z
      .object({
        id: recordingIdSchema,
        name: z.string().min(1),
        /** The files' base name inside the folder (no folders). */
        filename: z
          .string()
          .min(1)
          .regex(/^[^/\\\0]+$/)
          .refine((f) => f !== '.' && f !== '..')
          .optional(),
        audiocodec: z.enum(recordAudioCodecs).optional(),
        videocodec: z.enum(recordVideoCodecs).optional(),
      })
      .strict(),
    trickle: z.boolean().optional(),
  })
  .strict();
export type RecordOptions = z.infer<typeof recordOptionsSchema>;

export const playbackOptionsSchema = z.union([playOptionsSchema, recordOptionsSchema]);
export type PlaybackOptions = z.infer<typeof playbackOptionsSchema>;

/** Lists the recordings of the relay's folder (its `.nfo` files, read again at every call). */
export const playbackListSchema = z.object({ op: z.literal('playback.list'), ...peerKey });

const trackSchema = z.object({
  /** The `.mjr` file, relative to the recordings folder, as the `.nfo` names it. */
  file: z.string(),
  /** Janus's codec name from the file's header (`opus`, `vp8`, …). */
  codec: z.string(),
});

/** One recording as Janus's `list` describes it. */
export const recordingSummarySchema = z.object({
  id: recordingIdSchema,
  name: z.string(),
  date: z.string(),
  audio: trackSchema.optional(),
  video: trackSchema.optional(),
  data: z.object({ file: z.string() }).optional(),
});
export type RecordingSummary = z.infer<typeof recordingSummarySchema>;

export const playbackListResultSchema = z.object({ recordings: z.array(recordingSummarySchema) });

export const playbackCommandSchemas = [playbackListSchema] as const;
export const playbackResultSchemas = { 'playback.list': playbackListResultSchema } as const;
