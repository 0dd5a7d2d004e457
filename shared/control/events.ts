import { z } from 'zod';
import { recordingClosedEvent } from './recording.js';
import { trickleCandidateSchema } from './commands.js';
import { sfuPeerEventSchemas } from './sfu.js';
import { abPeerEventSchemas } from './audiobridge.js';
import { viewerLayerEventSchema } from './streaming.js';

/**
 * Relay→edge peer events, `{type:"event", sessionId, handleId, event:{kind,...}}`. They map onto the
 * Janus messages of §1.5 (`webrtcup`, `media`, `slowlink`, `hangup`, `trickle`) and onto event-handler
 * types 16 (webrtc: ice/dtls/selected-pair) and 32 (media: stats).
 */

export const mediaKindSchema = z.enum(['audio', 'video']);

/** Janus's hangup reasons (§1.5). */
export const hangupReasons = [
  'DTLS alert',
  'DTLS error',
  'DTLS timeout',
  'ICE failed',
  'Janus API',
  'Admin API',
  'Close PC',
  'Detach',
  'Gathering error',
  'ICE gathering error',
  'DTLS-SRTP stack error',
  'Relay shutdown',
] as const;

export const webrtcUpEvent = z.object({ kind: z.literal('webrtcup') });
export const mediaEvent = z.object({
  kind: z.literal('media'),
  mid: z.string(),
  media: mediaKindSchema,
  receiving: z.boolean(),
  /** Seconds without media, when receiving=false. */
  seconds: z.number().int().nonnegative().optional(),
  substream: z.number().int().min(0).max(2).optional(),
});
export const slowlinkEvent = z.object({
  kind: z.literal('slowlink'),
  mid: z.string(),
  media: mediaKindSchema,
  /** true: the relay has trouble sending (the client NACKs what we echo). */
  uplink: z.boolean(),
  lost: z.number().int().nonnegative(),
});
export const hangupEvent = z.object({ kind: z.literal('hangup'), reason: z.string() });
/** The relay trickles its own candidates (only when `options.trickle` was set). */
export const candidateEvent = z.object({ kind: z.literal('candidate'), candidate: trickleCandidateSchema });
/** Event-handler type 16 subtype 1. */
export const iceStateEvent = z.object({ kind: z.literal('ice'), state: z.string() });
/** Event-handler type 16 subtype 5. */
export const dtlsStateEvent = z.object({ kind: z.literal('dtls'), state: z.string() });
const endpointSchema = z.object({
  address: z.string(),
  port: z.number().int(),
  type: z.string(),
  transport: z.string(),
  family: z.string(),
});
/** Event-handler type 16 subtype 4. */
export const selectedPairEvent = z.object({
  kind: z.literal('selected-pair'),
  local: endpointSchema,
  remote: endpointSchema,
});

/** One stream of event-handler type 32 subtype 3, with Janus's own key names. */
export const streamStatsSchema = z.object({
  mid: z.string(),
  mindex: z.number().int().nonnegative(),
  media: z.enum(['audio', 'video', 'data']),
  codec: z.string().optional(),
  base: z.number().int().optional(),
  rtt: z.number().nonnegative(),
  lost: z.number().int(),
  'lost-by-remote': z.number().int(),
  'jitter-local': z.number().nonnegative(),
  'jitter-remote': z.number().nonnegative(),
  'packets-received': z.number().int().nonnegative(),
  'packets-sent': z.number().int().nonnegative(),
  'bytes-received': z.number().int().nonnegative(),
  'bytes-sent': z.number().int().nonnegative(),
  'bytes-received-lastsec': z.number().int().nonnegative(),
  'bytes-sent-lastsec': z.number().int().nonnegative(),
  'nacks-received': z.number().int().nonnegative(),
  'nacks-sent': z.number().int().nonnegative(),
  'plis-received': z.number().int().nonnegative(),
  'plis-sent': z.number().int().nonnegative(),
  'retransmissions-received': z.number().int().nonnegative(),
  'remb-bitrate': z.number().int().nonnegative().optional(),
});
export type StreamStats = z.infer<typeof streamStatsSchema>;
/** Periodic (RELAY_STATS_PERIOD) stats for every mid of one PeerConnection, like `combine_media_stats`. */
export const statsEvent = z.object({ kind: z.literal('stats'), streams: z.array(streamStatsSchema) });

export const peerEventSchema = z.discriminatedUnion('kind', [
  webrtcUpEvent,
  mediaEvent,
  slowlinkEvent,
  hangupEvent,
  candidateEvent,
  iceStateEvent,
  dtlsStateEvent,
  selectedPairEvent,
  statsEvent,
  recordingClosedEvent,
  viewerLayerEventSchema,
  ...sfuPeerEventSchemas,
  ...abPeerEventSchemas,
]);
export type PeerEvent = z.infer<typeof peerEventSchema>;
export type PeerEventKind = PeerEvent['kind'];

/** Peer events that only feed event handlers (ICE/DTLS states, the selected pair, stats, closed recordings): no client hears of them. */
const HANDLER_ONLY = new Set<PeerEventKind>(['ice', 'dtls', 'selected-pair', 'stats', 'recording']);

export function onlyForHandlers(e: { kind: string }): boolean {
  return HANDLER_ONLY.has(e.kind as PeerEventKind);
}
