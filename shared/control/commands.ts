import { z } from 'zod';
import {
  sfuCommandSchemas,
  sfuOptionsSchema,
  sfuPublisherStreamSchema,
  sfuResultSchemas,
  sfuSubscriberAnswerResultSchema,
  sfuSubscriberOfferResultSchema,
  VIDEOROOM_PLUGIN,
} from './sfu.js';
import { peerRecordResultSchema, peerRecordSchema } from './recording.js';
import { captureInfoSchema, peerCaptureResultSchema, peerCaptureSchema } from './capture.js';
import { abCommandSchemas, abPeerOptionsSchema, abResultSchemas, AUDIOBRIDGE_PLUGIN } from './audiobridge.js';
import { playbackCommandSchemas, playbackOptionsSchema, playbackResultSchemas, RECORDPLAY_PLUGIN } from './playback.js';
import { STREAMING_PLUGIN, streamingCommandSchemas, streamingResultSchemas } from './streaming.js';

/**
 * Edge→relay commands (`{type:"cmd", id, cmd}`) and the `result` each one answers with.
 * Peers are keyed by `${sessionId}:${handleId}` on the relay.
 */

export const janusIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `echo.configure` body, and the initial EchoTest settings in `peer.create` options (janus_echotest.c). */
export const echoSettingsSchema = z.object({
  audio: z.boolean().optional(),
  video: z.boolean().optional(),
  data: z.boolean().optional(),
  /** REMB cap sent to the client, bits/s; 0 = no cap. */
  bitrate: z.number().int().nonnegative().optional(),
  /** Simulcast spatial layer to echo: 0 = lowest. */
  substream: z.number().int().min(0).max(2).optional(),
  /** Simulcast temporal layer to echo (VP8): 0 = lowest. */
  temporal: z.number().int().min(0).max(2).optional(),
});
export type EchoSettings = z.infer<typeof echoSettingsSchema>;

/** The echo settings in effect, as returned by `echo.configure` and `peer.info`. */
export const echoStateSchema = z.object({
  audio: z.boolean(),
  video: z.boolean(),
  data: z.boolean(),
  bitrate: z.number().int().nonnegative(),
  substream: z.number().int().min(0).max(2),
  temporal: z.number().int().min(0).max(2),
});
export type EchoState = z.infer<typeof echoStateSchema>;

export const sdpSchema = z
  .string()
  .min(1)
  .max(256 * 1024);

export const peerOptionsSchema = echoSettingsSchema.extend({
  /**
   * true: the relay's SDP carries no candidates; they follow as `candidate` events (then
   * `{completed:true}`). false (default, like Janus): candidates are inside the SDP.
   */
  trickle: z.boolean().optional(),
  /** NACKs per second above which `slowlink` is emitted (Janus `slowlink_threshold`); 0 = off. */
  slowlinkThreshold: z.number().int().nonnegative().optional(),
});
export type PeerOptions = z.infer<typeof peerOptionsSchema>;

const peerKey = { sessionId: janusIdSchema, handleId: janusIdSchema };

export const trickleCandidateSchema = z.union([
  z.object({ completed: z.literal(true) }),
  z.object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(64).nullable().optional(),
    sdpMLineIndex: z.number().int().nonnegative().nullable().optional(),
  }),
]);
export type TrickleCandidate = z.infer<typeof trickleCandidateSchema>;

export const peerCreateSchema = z.object({
  op: z.literal('peer.create'),
  ...peerKey,
  plugin: z.enum(['janus.plugin.echotest', VIDEOROOM_PLUGIN, RECORDPLAY_PLUGIN, AUDIOBRIDGE_PLUGIN, STREAMING_PLUGIN]),
  /** The client's offer; without it the relay makes the offer and expects `peer.answer`. */
  offer: z.object({ sdp: sdpSchema }).optional(),
  /** EchoTest options, or (plugin videoroom) `{role:"publisher"|"subscriber",...}`, see sfu.ts. */
  options: z
    .union([
      // first: the commonest (VideoRoom), and only it has a `role`, which the others refuse (strict, or
      // `role` never), so no input matches it and another; a branch that fails costs its issues
      sfuOptionsSchema,
      abPeerOptionsSchema,
      playbackOptionsSchema,
      peerOptionsSchema.extend({ role: z.never().optional() }),
    ])
    .default({}),
});
/** Renegotiation: the client sent a new offer; the relay answers. */
export const peerOfferSchema = z.object({
  op: z.literal('peer.offer'),
  ...peerKey,
  sdp: sdpSchema,
  iceRestart: z.boolean().optional(),
});
/** The client's answer to a relay-made offer. */
export const peerAnswerSchema = z.object({ op: z.literal('peer.answer'), ...peerKey, sdp: sdpSchema });
export const peerTrickleSchema = z.object({
  op: z.literal('peer.trickle'),
  ...peerKey,
  candidate: trickleCandidateSchema,
});
export const peerHangupSchema = z.object({
  op: z.literal('peer.hangup'),
  ...peerKey,
  reason: z.string().max(256).default('Janus API'),
});
export const echoConfigureSchema = echoSettingsSchema.extend({ op: z.literal('echo.configure'), ...peerKey });
export const peerInfoSchema = z.object({ op: z.literal('peer.info'), ...peerKey });

export const commandSchema = z.discriminatedUnion('op', [
  peerCreateSchema,
  peerOfferSchema,
  peerAnswerSchema,
  peerTrickleSchema,
  peerHangupSchema,
  echoConfigureSchema,
  peerInfoSchema,
  peerRecordSchema,
  peerCaptureSchema,
  ...sfuCommandSchemas,
  ...playbackCommandSchemas,
  ...abCommandSchemas,
  ...streamingCommandSchemas,
]);
export type Command = z.infer<typeof commandSchema>;
/** What the edge may send (defaults such as `options` and `reason` are filled in by parsing). */
export type CommandInput = z.input<typeof commandSchema>;
export type CommandOp = Command['op'];
export type CommandOf<O extends CommandOp> = Extract<Command, { op: O }>;
export const commandOps = commandSchema.options.map((o) => o.shape.op.value) as CommandOp[];

// ---- results -------------------------------------------------------------------------------

export const jsepAnswerSchema = z.object({ type: z.literal('answer'), sdp: z.string() });
export const jsepOfferSchema = z.object({ type: z.literal('offer'), sdp: z.string() });

export const candidateInfoSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  type: z.string(),
  transport: z.string(),
});

/** Per-mid counters in `peer.info`. */
export const midCountersSchema = z.object({
  mid: z.string(),
  media: z.enum(['audio', 'video', 'data']),
  receiving: z.boolean(),
  packetsIn: z.number().int().nonnegative(),
  bytesIn: z.number().int().nonnegative(),
  packetsOut: z.number().int().nonnegative(),
  bytesOut: z.number().int().nonnegative(),
  /** NACKs the client sent us about what we echo. */
  nacksIn: z.number().int().nonnegative(),
  /** NACKs we sent the client about what it sends. */
  nacksOut: z.number().int().nonnegative(),
  plisIn: z.number().int().nonnegative(),
  plisOut: z.number().int().nonnegative(),
});
export type MidCounters = z.infer<typeof midCountersSchema>;

export const peerInfoResultSchema = z.object({
  iceState: z.string(),
  dtlsState: z.string(),
  signalingState: z.string(),
  selectedPair: z.object({ local: candidateInfoSchema, remote: candidateInfoSchema }).nullable(),
  echo: echoStateSchema,
  counters: z.array(midCountersSchema),
  /** The client's last REMB about what the peer sends it, bits/s (Janus `peer-bitrate`); 0 = none yet. */
  peerBitrate: z.number().int().nonnegative().optional(),
  /** `slowlink` events the peer emitted (Janus `slowlink_count`). */
  slowlinkCount: z.number().int().nonnegative().optional(),
  /** The last local and remote descriptions applied (Janus handle_info's `sdps`). */
  sdps: z
    .object({
      local: z.string().optional(),
      remote: z.string().optional(),
      /** Whether the client's last description was an offer or its answer to the relay's. */
      remoteType: z.enum(['offer', 'answer']).optional(),
    })
    .optional(),
  /** The packet capture running, if any (`peer.capture`). */
  capture: captureInfoSchema.optional(),
});
export type PeerInfoResult = z.infer<typeof peerInfoResultSchema>;

export const emptyResultSchema = z.object({}).strict();

/** The `result` of a successful reply, per op. */
export const commandResultSchemas = {
  'peer.create': z.union([
    // Before the publisher's answer, whose looser stream entries would strip a subscriber's keys.
    sfuSubscriberAnswerResultSchema,
    z.object({ answer: jsepAnswerSchema, streams: z.array(sfuPublisherStreamSchema).optional() }),
    sfuSubscriberOfferResultSchema,
    z.object({ offer: jsepOfferSchema }),
  ]),
  'peer.offer': z.object({ answer: jsepAnswerSchema, streams: z.array(sfuPublisherStreamSchema).optional() }),
  'peer.answer': emptyResultSchema,
  'peer.trickle': emptyResultSchema,
  'peer.hangup': emptyResultSchema,
  'echo.configure': echoStateSchema,
  'peer.info': peerInfoResultSchema,
  'peer.record': peerRecordResultSchema,
  'peer.capture': peerCaptureResultSchema,
  ...sfuResultSchemas,
  ...playbackResultSchemas,
  ...abResultSchemas,
  ...streamingResultSchemas,
} as const satisfies Record<CommandOp, z.ZodType>;
export type CommandResult<O extends CommandOp> = z.infer<(typeof commandResultSchemas)[O]>;
