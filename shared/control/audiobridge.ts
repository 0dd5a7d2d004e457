import { z } from 'zod';
import { talkingSettingsSchema } from './sfu.js';

/**
 * The AudioBridge (janus.plugin.audiobridge) part of the edge→relay control protocol.
 *
 * A room's audio is mixed on a relay by a *mixer*, named by the edge (`mixer`, unique per room and
 * relay, e.g. `"ab:<room>"`). A mixer exists while it has participants: the first participant's
 * `peer.create` (or `ab.rtpJoin`) creates it with `mixerSettings`, the last one leaving destroys it.
 * Participants are ordinary peers (`peer.create` with plugin `janus.plugin.audiobridge`), or plain-RTP
 * participants (`ab.rtpJoin`) for SIP gateways and voice bots; both end with `peer.hangup` (one
 * termination path). Every participant hears the mix of the others, never itself.
 *
 * Nothing here waits on media work: each op changes the mixer's registry and returns; the 20 ms mixing
 * tick reads it. A tick that overruns drops frames and counts them (relay metrics), it never blocks.
 */

export const AUDIOBRIDGE_PLUGIN = 'janus.plugin.audiobridge';

const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const peerKey = { sessionId: idSchema, handleId: idSchema };

/** A room or participant id: opaque to the relay, echoed back in events (Janus allows string ids). */
export const abIdSchema = z.union([z.number(), z.string().max(256)]);
export type AbId = z.infer<typeof abIdSchema>;

/** The mixer's name on the relay, chosen by the edge. */
export const mixerKeySchema = z.string().min(1).max(300);

export const abCodecSchema = z.enum(['opus', 'pcmu', 'pcma']);
export type AbCodec = z.infer<typeof abCodecSchema>;

/** Room-wide settings, given with every join; the mixer takes them from the join that creates it. */
export const mixerSettingsSchema = z
  .object({
    room: abIdSchema,
    /** Janus `sampling_rate`: the mixing rate. */
    samplingRate: z.union([z.literal(8000), z.literal(16000), z.literal(24000), z.literal(48000)]),
    /** Janus `spatial_audio`: stereo mix, each participant panned to its `spatialPosition`. */
    spatial: z.boolean().default(false),
    /** Janus `audiolevel_ext`: negotiate the RFC 6464 audio-level extension (default true). */
    audioLevelExt: z.boolean().default(true),
    /** Janus `audiolevel_event`: emit `ab.talking` with these thresholds; absent = no talking events. */
    talking: talkingSettingsSchema.optional(),
  })
  .strict();
export type MixerSettings = z.infer<typeof mixerSettingsSchema>;

/** A participant's settings (join and `ab.configure`); absent keys keep their value (or Janus's default at join). */
export const participantSettingsSchema = z
  .object({
    muted: z.boolean().optional(),
    /** Opus encoder bitrate for what the participant receives, bits/s; 0 = the encoder's default. */
    bitrate: z.number().int().nonnegative().max(510_000).optional(),
    /** Janus `quality`: Opus encoder complexity 1–10 (default 4). */
    quality: z.number().int().min(1).max(10).optional(),
    /** Janus `expected_loss`: 0–20 %, enables Opus in-band FEC on what the participant receives. */
    expectedLoss: z.number().int().min(0).max(20).optional(),
    /** Janus `volume`: gain applied to the participant's voice in the mix, percent (default 100). */
    volume: z.number().int().min(0).max(10_000).optional(),
    /** Janus `spatial_position`: 0 (left) … 50 (centre) … 100 (right); spatial rooms only. */
    spatialPosition: z.number().int().min(0).max(100).optional(),
    /** Janus `prebuffer`: packets buffered before the participant's voice enters the mix. */
    prebuffer: z.number().int().min(0).max(1000).optional(),
    /** Per-participant talking thresholds (Janus `audio_active_packets`/`audio_level_average` on join/configure). */
    talking: talkingSettingsSchema.optional(),
    /** Janus `group`: the forwarding group the voice is in (a forwarder of that group carries it). */
    group: z.string().max(256).optional(),
  })
  .strict();
export type ParticipantSettings = z.infer<typeof participantSettingsSchema>;

/**
 * The SRTP of one relay-to-relay leg (a bridge peer and its plain-RTP leg at home): the edge mints a
 * fresh master key and salt per leg and gives them to both ends; each end protects what it sends and
 * drops (and counts) whatever does not authenticate, so the leg latches only to its own bridge.
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711) with the relay's own SRTP code; base64, 16-byte key, 14-byte salt.
 */
export const abLegSrtpSchema = z
  .object({
    profile: z.literal('AES_CM_128_HMAC_SHA1_80'),
    key: z.string().regex(/^[A-Za-z0-9+/]{22}==$/),
    salt: z.string().regex(/^[A-Za-z0-9+/]{19}=$/),
  })
  .strict();
export type AbLegSrtp = z.infer<typeof abLegSrtpSchema>;

/**
 * Rooms across relays: a participant whose client is on another relay than the room's mixer (its
 * home) gets a *bridge peer* there (`peer.create` with `bridge`): WebRTC to the client, and plain RTP
 * to and from the participant's `ab.rtpJoin` leg on the home relay, passed through without decoding.
 * The mixer (mute, volume, talking, mix-minus) sees an ordinary plain-RTP participant.
 */
export const abBridgeTargetSchema = z
  .object({
    /** The home leg's address (`ab.rtpJoin`'s result). */
    ip: z.string().max(64),
    port: z.number().int().min(1).max(65535),
    /** The payload type the home leg expects and sends (Opus: the one given to `ab.rtpJoin`). */
    payloadType: z.number().int().min(0).max(127),
    /** Carry the client's RFC 6464 audio level to the home leg under this extension id. */
    audioLevelExt: z.number().int().min(1).max(14).optional(),
    /** The leg's SRTP (both ways); absent: plain RTP (a home leg that is a test's socket). */
    srtp: abLegSrtpSchema.optional(),
  })
  .strict();
export type AbBridgeTarget = z.infer<typeof abBridgeTargetSchema>;

/**
 * `peer.create` options with plugin `janus.plugin.audiobridge`: with the client's offer the relay
 * answers one sendrecv audio m-line in `codec` (and rejects video/data m-lines as Janus does);
 * without an offer (Janus `generate_offer`) the relay offers.
 */
export const abPeerOptionsSchema = z
  .object({
    mixer: mixerKeySchema,
    mixerSettings: mixerSettingsSchema,
    participant: abIdSchema,
    codec: abCodecSchema.default('opus'),
    settings: participantSettingsSchema.default({}),
    trickle: z.boolean().optional(),
    /** The room mixes on another relay: this peer is a bridge to the participant's plain-RTP leg there. */
    bridge: abBridgeTargetSchema.optional(),
  })
  .strict();
export type AbPeerOptions = z.infer<typeof abPeerOptionsSchema>;

// ---- ops -----------------------------------------------------------------------------------

/** Changes a participant's settings (Janus `configure`, and a moderator's `mute`/`unmute`). → `{}` */
export const abConfigureSchema = z.object({
  op: z.literal('ab.configure'),
  ...peerKey,
  settings: participantSettingsSchema,
});

/** Janus `resetdecoder`: the participant's decoder and jitter buffer start afresh. → `{}` */
export const abResetDecoderSchema = z.object({ op: z.literal('ab.resetDecoder'), ...peerKey });

/**
 * Janus `changeroom`: the participant leaves its mixer for another (created if needed) without
 * renegotiating; its settings are kept unless given. → `{}`
 */
export const abMoveSchema = z.object({
  op: z.literal('ab.move'),
  ...peerKey,
  mixer: mixerKeySchema,
  mixerSettings: mixerSettingsSchema,
  participant: abIdSchema,
  settings: participantSettingsSchema.optional(),
});

/** Janus `join` with `rtp`: where the participant's plain RTP comes from and goes to. */
export const abRtpEndpointSchema = z
  .object({
    /** Where the relay sends the mix (absent: latched from the first packet received). */
    ip: z.string().max(64).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    payloadType: z.number().int().min(0).max(127).optional(),
    /** RFC 6464 extension id the sender uses (talking detection), if any. */
    audioLevelExt: z.number().int().min(1).max(14).optional(),
    fec: z.boolean().optional(),
  })
  .strict();

/**
 * A plain-RTP participant (no WebRTC): the relay opens a UDP port from its media range, mixes what
 * arrives there and sends the participant's mix to `rtp.ip:port`. Ends with `peer.hangup`.
 * → `{ip, port}`: where the participant sends (the relay's announced address). 499 when no port is free.
 */
export const abRtpJoinSchema = z.object({
  op: z.literal('ab.rtpJoin'),
  ...peerKey,
  mixer: mixerKeySchema,
  mixerSettings: mixerSettingsSchema,
  participant: abIdSchema,
  codec: abCodecSchema.default('opus'),
  settings: participantSettingsSchema.default({}),
  rtp: abRtpEndpointSchema,
  /**
   * A bridge's leg between relays: SRTP both ways with this key (what does not authenticate is dropped
   * and counted, and never latched to). Janus's own plain-RTP participants have none (as Janus 1.1.2).
   */
  srtp: abLegSrtpSchema.optional(),
});

// ---- room-level ops (relay/audiobridge/roomCommands.ts) --------------------------------------
//
// What a room does with its mix whoever is in it: record it, forward it, play files into it. These
// ops name the mixer, and carry its settings so that the first one can make it. Their
// `sessionId`/`handleId` are a key the edge chose for the room (no client's handle: the ops of one
// room are serialized by it, as the VideoRoom's remote publishers'). The relay keeps a mixer while it
// has participants, a hold (`ab.room`), a recording, forwarders or a playing file.

const roomOpKey = { ...peerKey, mixer: mixerKeySchema };

/** Holds the room's mixer (`close` false), or releases it with everything the room does with it (`close`: room destroyed). → `{}` */
export const abRoomSchema = z.object({
  op: z.literal('ab.room'),
  ...roomOpKey,
  mixerSettings: mixerSettingsSchema,
  close: z.boolean().default(false),
});

/**
 * Janus `record` (create/edit/enable_recording): starts (a `.wav` of the mix in `dir`, named `file`
 * or Janus's `janus-audioroom-<room>-<µs>.wav`) or stops the recording; a stopped recording is
 * reported by `ab.recordingDone`. `dir` must be inside RELAY_RECORDINGS_ROOT when the relay has one.
 * → `{path}` (the file being written, null when stopped)
 */
export const abRecordSchema = z.object({
  op: z.literal('ab.record'),
  ...roomOpKey,
  mixerSettings: mixerSettingsSchema,
  record: z.boolean(),
  dir: z.string().min(1).max(1024).optional(),
  file: z.string().min(1).max(255).optional(),
});

/** Janus `rtp_forward` of the mix, or with `group` of only that group's voices and files (no SRTP). 484 unresolvable host, 490 stream id in use, 499 no socket. → `{host}` */
export const abForwardSchema = z.object({
  op: z.literal('ab.forward'),
  ...roomOpKey,
  mixerSettings: mixerSettingsSchema,
  streamId: z.number().int().positive().max(0xffffffff),
  host: z.string().min(1).max(256),
  port: z.number().int().min(1).max(65535),
  codec: abCodecSchema.default('opus'),
  payloadType: z.number().int().min(0).max(127).default(100),
  ssrc: z.number().int().min(0).max(0xffffffff).default(0),
  alwaysOn: z.boolean().default(false),
  group: z.string().max(256).optional(),
});

/** Janus `stop_rtp_forward`. → `{stopped}` (false: no such forwarder on this relay) */
export const abStopForwardSchema = z.object({
  op: z.literal('ab.stopForward'),
  ...roomOpKey,
  streamId: z.number().int().positive().max(0xffffffff),
});

/**
 * Janus `play_file`: an Ogg Opus file on the relay, mixed in from the next tick for everyone
 * (`ab.announcement` when it starts and stops). 499 when it cannot be opened as Ogg Opus; 403 outside
 * RELAY_RECORDINGS_ROOT. → `{}`
 */
export const abPlaySchema = z.object({
  op: z.literal('ab.play'),
  ...roomOpKey,
  mixerSettings: mixerSettingsSchema,
  fileId: z.string().min(1).max(256),
  path: z.string().min(1).max(1024),
  loop: z.boolean().default(false),
  /** Janus `group`: the forwarding group the file plays in. */
  group: z.string().max(256).optional(),
});

/** Janus `stop_file` (one `fileId`) or every file of the room. → `{stopped}`: the ids stopped */
export const abStopPlaySchema = z.object({
  op: z.literal('ab.stopPlay'),
  ...roomOpKey,
  fileId: z.string().min(1).max(256).optional(),
});

/** The room was re-homed: the bridge peer sends to, and takes the mix from, the new home leg. → `{}` */
export const abBridgeToSchema = z.object({
  op: z.literal('ab.bridgeTo'),
  ...peerKey,
  target: abBridgeTargetSchema,
});

export const abCommandSchemas = [
  abConfigureSchema,
  abResetDecoderSchema,
  abMoveSchema,
  abRtpJoinSchema,
  abRoomSchema,
  abRecordSchema,
  abForwardSchema,
  abStopForwardSchema,
  abPlaySchema,
  abStopPlaySchema,
  abBridgeToSchema,
] as const;
export type AbOp = (typeof abCommandSchemas)[number]['shape']['op']['value'];

export const abResultSchemas = {
  'ab.configure': z.object({}).strict(),
  'ab.resetDecoder': z.object({}).strict(),
  'ab.move': z.object({}).strict(),
  'ab.rtpJoin': z.object({ ip: z.string(), port: z.number().int() }),
  'ab.room': z.object({}).strict(),
  'ab.record': z.object({ path: z.string().nullable() }),
  /** `host`: the address the host resolved to (Janus answers it). */
  'ab.forward': z.object({ host: z.string() }),
  'ab.stopForward': z.object({ stopped: z.boolean() }),
  'ab.play': z.object({}).strict(),
  'ab.stopPlay': z.object({ stopped: z.array(z.string()) }),
  'ab.bridgeTo': z.object({}).strict(),
} as const satisfies Record<AbOp, z.ZodType>;

// ---- events (relay → edge, routed to the room like the SFU's) --------------------------------

/**
 * A participant started or stopped talking (Janus `talking` / `stopped-talking`), from the
 * audio-level extension (or the decoded energy when the extension is absent): `level` is the average
 * level of the last window (0 = loudest … 127 = silence).
 */
export const abTalkingEventSchema = z.object({
  kind: z.literal('ab.talking'),
  room: abIdSchema,
  participant: abIdSchema,
  talking: z.boolean(),
  level: z.number().min(0).max(127),
});

/** A mix recording closed (Janus's event-handler `recordingdone` with its `record_file`). */
export const abRecordingDoneEventSchema = z.object({
  kind: z.literal('ab.recordingDone'),
  room: abIdSchema,
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  durationMs: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  error: z.string().optional(),
});

/** An announcement started or stopped playing (Janus `announcement-started` / `announcement-stopped`). */
export const abAnnouncementEventSchema = z.object({
  kind: z.literal('ab.announcement'),
  room: abIdSchema,
  fileId: z.string(),
  playing: z.boolean(),
});

export const abPeerEventSchemas = [
  abTalkingEventSchema,
  abRecordingDoneEventSchema,
  abAnnouncementEventSchema,
] as const;
export type AbPeerEvent = z.infer<(typeof abPeerEventSchemas)[number]>;
export function isAbPeerEvent(e: { kind: string }): e is AbPeerEvent {
  return e.kind.startsWith('ab.');
}
