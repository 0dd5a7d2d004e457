import { z } from 'zod';

/**
 * The SFU (janus.plugin.videoroom) part of the edge→relay control protocol: `peer.create` options for
 * publishers and subscribers, the `sfu.*` ops and their results. Kept apart from commands.ts (which
 * imports from here) so both can evolve without stepping on each other; no import back into
 * commands.ts to avoid a cycle.
 */

export const VIDEOROOM_PLUGIN = 'janus.plugin.videoroom';

const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const sfuPeerKey = { sessionId: idSchema, handleId: idSchema };

export const sfuStreamTypeSchema = z.enum(['audio', 'video', 'data']);
export type SfuStreamType = z.infer<typeof sfuStreamTypeSchema>;

/** A publisher's feed id in the room: opaque to the relay, echoed back (Janus allows string ids). */
export const feedIdSchema = z.union([z.number(), z.string().max(256)]);
export type FeedIdValue = z.infer<typeof feedIdSchema>;

/** `${sessionId}:${handleId}` of a publisher peer on this relay. */
export const feedKeySchema = z.string().min(3).max(64);

/** One stream a subscriber wants (`options.streams[]` of a subscriber, `sfu.update` `add[]`). Other keys are ignored. */
export const sfuStreamRequestSchema = z.object({
  feedId: feedIdSchema,
  feedKey: feedKeySchema,
  feedMid: z.string().min(1).max(64),
  type: sfuStreamTypeSchema,
  /** false: negotiated but not forwarded (Janus `send`). Default true. */
  send: z.boolean().optional(),
  /** Simulcast spatial layer, 0 = lowest; default the highest. */
  substream: z.number().int().min(0).max(2).optional(),
  /** Simulcast temporal layer (VP8), 0 = lowest; default the highest. */
  temporal: z.number().int().min(0).max(2).optional(),
  /** Simulcast: µs without a packet relayed from the selected layer before falling back to a lower one (default 250000). */
  fallback: z.number().int().nonnegative().max(60_000_000).optional(),
  /** The new m-line's mid (Streaming viewers get the mountpoint's, as from Janus); default werift's. */
  mid: z.string().min(1).max(64).optional(),
});
export type SfuStreamRequest = z.infer<typeof sfuStreamRequestSchema>;

const codecList = z.string().max(256);
/** An H.264 profile-level-id ("42e01f") or a VP9 profile-id ("2"), as a room names it. */
const videoProfileSchema = z.string().min(1).max(32);

/**
 * Janus's talking detection: every `packets` audio packets carrying the audio level, the average
 * level (0 = loudest … 127 = silence, i.e. -dBov) is compared with `average`: below it is talking.
 */
export const talkingSettingsSchema = z.object({
  /** Janus `audio_active_packets` (default 100). */
  packets: z.number().int().positive().max(100_000).optional(),
  /** Janus `audio_level_average` (default 25). */
  average: z.number().int().min(0).max(127).optional(),
});
export type TalkingSettings = z.infer<typeof talkingSettingsSchema>;

/** `peer.create` options with `plugin:"janus.plugin.videoroom"`, `role:"publisher"` (with an offer). */
export const sfuPublisherOptionsSchema = z.object({
  role: z.literal('publisher'),
  room: feedIdSchema.optional(),
  /** REMB cap sent to the publisher, bits/s; 0 = none. */
  bitrate: z.number().int().nonnegative().optional(),
  /** Room `fir_freq`: a keyframe request (PLI) to the publisher's video every this many seconds; 0 = none. */
  firFreq: z.number().int().nonnegative().max(3600).optional(),
  /** Allowed codecs, csv in order of preference ("opus", "vp8,h264"). Default "opus" / "vp8". */
  audiocodec: codecList.optional(),
  videocodec: codecList.optional(),
  /** Room `h264_profile` / `vp9_profile`: the payload type with this profile is preferred when offered. */
  h264Profile: videoProfileSchema.optional(),
  vp9Profile: videoProfileSchema.optional(),
  /** Negotiate the RFC 6464 audio-level header extension (room `audiolevel_ext`, default true). */
  audioLevelExt: z.boolean().optional(),
  /** Talking detection (room `audiolevel_event`): emits `sfu.talking` events; needs `room`. */
  talking: talkingSettingsSchema.optional(),
  trickle: z.boolean().optional(),
});
export type SfuPublisherOptions = z.infer<typeof sfuPublisherOptionsSchema>;

/** `peer.create` options with `plugin:"janus.plugin.videoroom"`, `role:"subscriber"` (no offer: the relay offers). */
export const sfuSubscriberOptionsSchema = z.object({
  role: z.literal('subscriber'),
  room: feedIdSchema.optional(),
  streams: z.array(sfuStreamRequestSchema).max(256),
  trickle: z.boolean().optional(),
});
export type SfuSubscriberOptions = z.infer<typeof sfuSubscriberOptionsSchema>;

export const sfuOptionsSchema = z.discriminatedUnion('role', [sfuPublisherOptionsSchema, sfuSubscriberOptionsSchema]);
export type SfuOptions = z.infer<typeof sfuOptionsSchema>;

// ---- ops -----------------------------------------------------------------------------------

/** Subscriber: add m-lines (reusing inactive ones of the same type), deactivate removed mids, renegotiate. */
export const sfuUpdateSchema = z.object({
  op: z.literal('sfu.update'),
  ...sfuPeerKey,
  add: z.array(sfuStreamRequestSchema).max(256).default([]),
  remove: z.array(z.string().max(64)).max(256).default([]),
});

/** Subscriber: re-point m-lines to another publisher stream of the same type, no renegotiation. */
export const sfuSwitchSchema = z.object({
  op: z.literal('sfu.switch'),
  ...sfuPeerKey,
  changes: z
    .array(
      z.object({
        sub_mid: z.string().min(1).max(64),
        feedKey: feedKeySchema,
        mid: z.string().min(1).max(64),
        feedId: feedIdSchema.optional(),
      }),
    )
    .max(256),
});

/** Per-mid settings of `sfu.configure` (subscriber: all keys; publisher: `mid`, `send`). */
export const sfuConfigureStreamSchema = z.object({
  mid: z.string().min(1).max(64),
  send: z.boolean().optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
  /** Simulcast: µs without a packet relayed from the selected layer before falling back to a lower one (0 = default 250000). */
  fallback: z.number().int().nonnegative().max(60_000_000).optional(),
});

/**
 * Subscriber: `{streams?, restart?}` → `{offer?}` (an offer only for an ICE restart).
 * Publisher: `{bitrate?, keyframe?, streams?:[{mid, send?}], talking?}` → `{}`.
 */
export const sfuConfigureSchema = z.object({
  op: z.literal('sfu.configure'),
  ...sfuPeerKey,
  streams: z.array(sfuConfigureStreamSchema).max(256).optional(),
  restart: z.boolean().optional(),
  bitrate: z.number().int().nonnegative().optional(),
  keyframe: z.boolean().optional(),
  /** Publisher: per-participant talking thresholds (Janus `audio_active_packets` / `audio_level_average` on configure). */
  talking: talkingSettingsSchema.optional(),
});

/**
 * Publisher (Janus `moderate`): a moderator mutes or unmutes one of its streams. A muted stream
 * reaches no subscriber and no RTP forwarder; unmuting a video stream asks for a keyframe.
 * Errors: 459 unknown peer, 466 not a publisher / unknown mid.
 */
export const sfuModerateSchema = z.object({
  op: z.literal('sfu.moderate'),
  ...sfuPeerKey,
  mid: z.string().min(1).max(64),
  mute: z.boolean(),
});

/** Subscriber: stop / resume forwarding to it (Janus `pause` / `start` without a JSEP). */
export const sfuPauseSchema = z.object({ op: z.literal('sfu.pause'), ...sfuPeerKey });
export const sfuResumeSchema = z.object({ op: z.literal('sfu.resume'), ...sfuPeerKey });

/** SRTP (SDES) keying: `suite` 80 = AES_CM_128_HMAC_SHA1_80, 32 = _32; `crypto` base64 of the 30-byte master key + salt. */
export const sfuSrtpSchema = z.object({
  suite: z.union([z.literal(32), z.literal(80)]),
  crypto: z.string().min(1).max(256),
});

/** One stream of `sfu.forward`: a copy of the publisher's `mid` sent as plain RTP to host:port. */
export const sfuForwardStreamSchema = z.object({
  mid: z.string().min(1).max(64),
  /** IPv4 address or host name (resolved once, when the forwarder is created). */
  host: z.string().min(1).max(256),
  port: z.number().int().min(1).max(65535),
  /**
   * Remote RTCP port: a local RTCP socket is opened, latched with two empty RTP packets. Feedback on it
   * is applied by media SSRC to the forwarder of this host:port it names (PLI/FIR: a keyframe from
   * that forwarder's stream; NACK: see `nack`); a PLI/FIR naming none asks this forwarder's stream. 0 = none.
   */
  rtcp_port: z.number().int().min(0).max(65535).optional(),
  /** SSRC of the forwarded stream (default random). */
  ssrc: z.number().int().min(0).max(0xffffffff).optional(),
  /** Payload type of the forwarded stream (default the publisher's, packet by packet). */
  pt: z.number().int().min(0).max(127).optional(),
  /** Simulcast publisher: forward the highest available layer (or `substream`), switching at keyframes. */
  simulcast: z.boolean().optional(),
  /** Simulcast layer, 0 = lowest: the target with `simulcast:true`, else the one layer forwarded (default 0). */
  substream: z.number().int().min(0).max(2).optional(),
  /** Data stream only: send each message as fake RTP (12-byte header with `ssrc`, payload type 1 = binary, 0 = text) as Janus's remote publishers expect. */
  wrap_data: z.boolean().optional(),
  /**
   * Video only, for cascades between our relays (Janus's forwarders never retransmit, so default off):
   * keep the last 512 packets sent and answer generic NACKs (RTCP RTPFB FMT 1) arriving on the
   * `rtcp_port` socket of this cascade by resending them unchanged (SRTP-encrypted again with `srtp`).
   */
  nack: z.boolean().optional(),
});
export type SfuForwardStream = z.infer<typeof sfuForwardStreamSchema>;

/**
 * Publisher (Janus `rtp_forward`): one forwarder per entry of `streams`, in order, all sent from one
 * UDP socket of the publisher. Errors: 459 unknown peer, 466 not a publisher / unknown mid, 467 bad
 * host or SRTP key, 499 "Could not open UDP socket for RTP stream".
 */
export const sfuForwardSchema = z.object({
  op: z.literal('sfu.forward'),
  ...sfuPeerKey,
  streams: z.array(sfuForwardStreamSchema).min(1).max(64),
  /** SRTP (SDES): `suite` 80 = AES_CM_128_HMAC_SHA1_80, 32 = _32; `crypto` base64 of the 30-byte master key + salt. */
  srtp: sfuSrtpSchema.optional(),
});

/** Publisher (Janus `stop_rtp_forward`): closes one forwarder (459 unknown peer, 466 unknown id). */
export const sfuStopForwardSchema = z.object({
  op: z.literal('sfu.stopForward'),
  ...sfuPeerKey,
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/** One stream of a remote publisher (Janus `add_remote_publisher` `streams[]`; the codec is required for audio/video). */
export const sfuRemoteStreamSchema = z.object({
  mid: z.string().min(1).max(64),
  mindex: z.number().int().min(0).max(99),
  type: sfuStreamTypeSchema,
  codec: z.string().min(1).max(32).optional(),
  simulcast: z.boolean().optional(),
  disabled: z.boolean().optional(),
  /** Video: keep the packets since the last keyframe for subscribers that start (a Streaming mountpoint's cascade). */
  bufferKeyframe: z.boolean().optional(),
  /** VP9 SVC video (a Streaming mountpoint's cascade): subscribers' legs select spatial/temporal layers. */
  svc: z.boolean().optional(),
  /** Data: keep the last message for subscribers that join (a Streaming mountpoint's `buffermsg`). */
  bufferMessage: z.boolean().optional(),
  /** The codec's parameters offered to subscribers, when not ours (a Streaming mountpoint's `fmtp`). */
  fmtp: z.string().min(1).max(1024).optional(),
});
export type SfuRemoteStream = z.infer<typeof sfuRemoteStreamSchema>;

/**
 * A remote publisher (Janus `add_remote_publisher`): the relay opens one UDP socket for RTP and one
 * for RTCP from its remote-publisher port range (or exactly `port` / `rtcp_port`), demultiplexes RTP
 * by SSRC (1000 + mindex*10 + substream) and feeds the streams to subscribers as if a werift
 * publisher sent them. `sessionId`/`handleId` name it (its feed key), chosen by the edge. Errors:
 * 466 duplicate key, 467 unknown codec, 499 "Could not open UDP socket for RTP stream".
 */
export const sfuRemoteAddSchema = z.object({
  op: z.literal('sfu.remoteAdd'),
  ...sfuPeerKey,
  room: feedIdSchema.optional(),
  port: z.number().int().min(0).max(65535).optional(),
  rtcp_port: z.number().int().min(0).max(65535).optional(),
  streams: z.array(sfuRemoteStreamSchema).min(1).max(64),
  srtp: sfuSrtpSchema.optional(),
});

/** Adds or changes streams of a remote publisher (Janus `update_remote_publisher`). 459 unknown. */
export const sfuRemoteUpdateSchema = z.object({
  op: z.literal('sfu.remoteUpdate'),
  ...sfuPeerKey,
  streams: z.array(sfuRemoteStreamSchema).max(64),
  srtp: sfuSrtpSchema.optional(),
});

/** Closes a remote publisher and its sockets; its subscribers' legs go quiet (Janus `remove_remote_publisher`). 459 unknown. */
export const sfuRemoteRemoveSchema = z.object({ op: z.literal('sfu.remoteRemove'), ...sfuPeerKey });

export const sfuCommandSchemas = [
  sfuUpdateSchema,
  sfuSwitchSchema,
  sfuConfigureSchema,
  sfuPauseSchema,
  sfuResumeSchema,
  sfuForwardSchema,
  sfuStopForwardSchema,
  sfuModerateSchema,
  sfuRemoteAddSchema,
  sfuRemoteUpdateSchema,
  sfuRemoteRemoveSchema,
] as const;
export type SfuCommand =
  | z.infer<typeof sfuUpdateSchema>
  | z.infer<typeof sfuSwitchSchema>
  | z.infer<typeof sfuConfigureSchema>
  | z.infer<typeof sfuPauseSchema>
  | z.infer<typeof sfuResumeSchema>
  | z.infer<typeof sfuForwardSchema>
  | z.infer<typeof sfuStopForwardSchema>
  | z.infer<typeof sfuModerateSchema>
  | z.infer<typeof sfuRemoteAddSchema>
  | z.infer<typeof sfuRemoteUpdateSchema>
  | z.infer<typeof sfuRemoteRemoveSchema>;
export type SfuOp = SfuCommand['op'];

// ---- results -------------------------------------------------------------------------------

const offerSchema = z.object({ type: z.literal('offer'), sdp: z.string() });
const answerSchema = z.object({ type: z.literal('answer'), sdp: z.string() });

/** One m-line of a publisher, as `peer.create` / `peer.offer` describe it (the room's `streams[]`). */
export const sfuPublisherStreamSchema = z.object({
  type: sfuStreamTypeSchema,
  mindex: z.number().int().nonnegative(),
  mid: z.string(),
  codec: z.string().optional(),
  /** The chosen payload type's fmtp parameters as offered (Janus reads the H.264 / VP9 profile from them). */
  fmtp: z.string().max(1024).optional(),
  simulcast: z.boolean().optional(),
  /** The m-line was rejected (no allowed codec) or is not sending. */
  disabled: z.boolean().optional(),
});
export type SfuPublisherStream = z.infer<typeof sfuPublisherStreamSchema>;

/** One m-line of a subscriber. */
export const sfuSubscriberStreamSchema = z.object({
  mindex: z.number().int().nonnegative(),
  mid: z.string(),
  type: sfuStreamTypeSchema,
  feedId: feedIdSchema,
  feedMid: z.string(),
  /** false: the m-line is inactive (unknown feed / mid, or removed). */
  active: z.boolean(),
  send: z.boolean(),
});
export type SfuSubscriberStream = z.infer<typeof sfuSubscriberStreamSchema>;

/** `peer.create` (videoroom publisher) and `peer.offer` (publisher renegotiation). */
export const sfuPublisherAnswerResultSchema = z.object({
  answer: answerSchema,
  streams: z.array(sfuPublisherStreamSchema),
});
/** `peer.create` of a subscriber that brought its own offer (a WHEP player): the relay answers. */
export const sfuSubscriberAnswerResultSchema = z.object({
  answer: answerSchema,
  streams: z.array(sfuSubscriberStreamSchema),
});
/** `peer.create` (videoroom subscriber) and `sfu.update`. */
export const sfuSubscriberOfferResultSchema = z.object({
  offer: offerSchema,
  streams: z.array(sfuSubscriberStreamSchema),
});

/** One forwarder `sfu.forward` opened (`id` is unique on the relay; `ssrc`/`pt` absent for data). */
export const sfuForwarderSchema = z.object({
  id: z.number().int().positive(),
  mid: z.string(),
  type: sfuStreamTypeSchema,
  host: z.string(),
  port: z.number().int(),
  ssrc: z.number().int().optional(),
  pt: z.number().int().optional(),
  local_rtcp_port: z.number().int().optional(),
  srtp: z.boolean(),
  /** Present (true) when the forwarder answers NACKs (`nack` on a video stream). */
  nack: z.boolean().optional(),
});
export type SfuForwarderInfo = z.infer<typeof sfuForwarderSchema>;

export const sfuResultSchemas = {
  'sfu.update': sfuSubscriberOfferResultSchema,
  'sfu.switch': z.object({}).strict(),
  'sfu.configure': z.union([z.object({ offer: offerSchema }), z.object({}).strict()]),
  'sfu.pause': z.object({}).strict(),
  'sfu.resume': z.object({}).strict(),
  'sfu.forward': z.object({ forwarders: z.array(sfuForwarderSchema) }),
  'sfu.stopForward': z.object({}).strict(),
  'sfu.moderate': z.object({}).strict(),
  /** `ip`: the relay's announced address, where the sender forwards to (Janus sends it only for iface/mcast; a deployment of many relays needs it always). */
  'sfu.remoteAdd': z.object({
    ip: z.string(),
    port: z.number().int(),
    rtcp_port: z.number().int(),
    streams: z.array(sfuPublisherStreamSchema),
  }),
  'sfu.remoteUpdate': z.object({ streams: z.array(sfuPublisherStreamSchema) }),
  'sfu.remoteRemove': z.object({}).strict(),
} as const satisfies Record<SfuOp, z.ZodType>;

// ---- events (relay → edge, routed to the room rather than the session) ------------------------

/**
 * A publisher's audio stream started or stopped talking (Janus `talking` / `stopped-talking`):
 * `level` is the average audio level of the last window (0 = loudest … 127 = silence).
 */
export const sfuTalkingEventSchema = z.object({
  kind: z.literal('sfu.talking'),
  room: feedIdSchema,
  mid: z.string(),
  talking: z.boolean(),
  level: z.number().min(0).max(127),
});

/** A subscriber m-line now forwards another simulcast substream / VP8 temporal layer (Janus's `substream` / `temporal` events). */
export const sfuLayerEventSchema = z.object({
  kind: z.literal('sfu.layer'),
  room: feedIdSchema,
  mid: z.string(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
});

/** The SFU's peer events: they name the room, whose VideoRoom object turns them into Janus events. */
export const sfuPeerEventSchemas = [sfuTalkingEventSchema, sfuLayerEventSchema] as const;
export type SfuPeerEvent = z.infer<typeof sfuTalkingEventSchema> | z.infer<typeof sfuLayerEventSchema>;
export function isSfuPeerEvent(e: { kind: string }): e is SfuPeerEvent {
  return e.kind.startsWith('sfu.');
}
