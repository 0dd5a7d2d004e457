import { z } from 'zod';

/**
 * Recording, edge↔relay: the edge says which PeerConnection records and under which names; the relay
 * (where the media is) writes Janus `.mjr` files and tells the edge when each one closes.
 */

const peerKey = {
  sessionId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  handleId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
};

/** A path component a file name may hold: no directory separators, no NUL, not `.`/`..`. */
export const fileBaseSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((s) => !/[/\\\0]/.test(s) && s !== '.' && s !== '..', 'a file name, not a path');

/**
 * What the edge needs to report a file's closing to event handlers although its handle is gone by
 * then (a session ended right after a stop, a hang-up): the plugin and the ids it reports with. The
 * relay hands it back in each `recording` event.
 */
export const recordingReportSchema = z.object({
  plugin: z.string().min(1).max(64),
  ids: z.record(z.string().max(32), z.union([z.string().max(256), z.number(), z.null()])),
});
export type RecordingReport = z.infer<typeof recordingReportSchema>;

/**
 * Starts (`record: true`) or stops recording a peer's incoming media.
 * - `dir`: absolute directory on the relay host (created if missing); default the relay's
 *   `RELAY_RECORDINGS_DIR`. Refused (error `recording-dir`) outside `RELAY_RECORDINGS_ROOT` when set.
 * - `base`: the file name without suffix. `naming: "mline"` (VideoRoom) writes
 *   `<base>-<audio|video|data>-<mindex>.mjr` per m-line, and m-lines added by a renegotiation open
 *   their own files; `naming: "kind"` (EchoTest) writes `<base>-<audio|video|data>.mjr`, one per kind.
 * Starting again while recording changes nothing (the files in progress are listed); stopping closes
 * every file. A hang-up of the peer closes them too.
 */
export const peerRecordSchema = z.object({
  op: z.literal('peer.record'),
  ...peerKey,
  record: z.boolean(),
  dir: z.string().min(1).max(1024).startsWith('/').optional(),
  base: fileBaseSchema.optional(),
  naming: z.enum(['mline', 'kind']).default('mline'),
  report: recordingReportSchema.optional(),
});

export const recordingFileSchema = z.object({
  mid: z.string(),
  kind: z.enum(['audio', 'video', 'data']),
  /** Absolute path of the `.mjr` file on the relay host. */
  path: z.string(),
});
export type RecordingFile = z.infer<typeof recordingFileSchema>;

/** The files being written after the command (none after a stop). */
export const peerRecordResultSchema = z.object({ files: z.array(recordingFileSchema) });

/**
 * A recording file closed (stop, hang-up, renegotiation that removed its m-line, disk error).
 * `damaged`: packets were dropped (slow disk: the bounded write queue overflowed; `dropped` says how
 * many); `error`: the file ended early (`ENOSPC`, the directory vanished), forwarding went on.
 */
export const recordingClosedEvent = z.object({
  kind: z.literal('recording'),
  file: recordingFileSchema,
  bytes: z.number().int().nonnegative(),
  /** From the first to the last packet written, ms. */
  durationMs: z.number().int().nonnegative(),
  packets: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  damaged: z.boolean(),
  error: z.string().optional(),
  /** The `report` of the `peer.record` that opened the file. */
  report: recordingReportSchema.optional(),
});
export type RecordingClosedEvent = z.infer<typeof recordingClosedEvent>;
