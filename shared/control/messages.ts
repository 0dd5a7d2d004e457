import { z } from 'zod';
import { JanusError } from '../janus/errors.js';
import { commandOps, commandSchema, janusIdSchema } from './commands.js';
import { peerEventSchema } from './events.js';

/**
 * The envelopes on the control WebSocket (`${EDGE_URL}/relay/connect`), one JSON object per text frame.
 *
 * relay → edge: `register` (first frame), `heartbeat` (every second once welcomed), `reply`, `event`, `draining`,
 * `peers` (answer to listPeers).
 * edge → relay: `welcome` (answer to register), `cmd`, `listPeers` (when the heartbeat's peer digest differs
 * from the edge's), `settings` (relay-wide settings an admin changed).
 */

export const CONTROL_PROTOCOL_VERSION = 1;
/** The edge drops a relay it has not heard from for this long. */
export const HEARTBEAT_TIMEOUT_MS = 3_000;
export const HEARTBEAT_INTERVAL_MS = 1_000;

export const requestIdSchema = z.string().min(1).max(128);

// ---- relay → edge --------------------------------------------------------------------------

export const registerMessageSchema = z.object({
  type: z.literal('register'),
  version: z.literal(CONTROL_PROTOCOL_VERSION).default(CONTROL_PROTOCOL_VERSION),
  relayId: z.string().min(1).max(128),
  region: z.string().min(1).max(64),
  /** The IP the relay announces in its ICE candidates. */
  address: z.string().min(1).max(64),
  /** Max concurrent PeerConnections. */
  capacity: z.number().int().nonnegative(),
  /** peers / capacity. */
  load: z.number().nonnegative(),
  nonce: z.string().min(16).max(256),
  /** What its PeerConnections can offer clients (Janus's `ipv6` and `ice-tcp` in server_info); absent: neither. */
  ipv6: z.boolean().optional(),
  iceTcp: z.boolean().optional(),
});

export const heartbeatMessageSchema = z.object({
  type: z.literal('heartbeat'),
  load: z.number().nonnegative(),
  peers: z.number().int().nonnegative(),
  portsInUse: z.number().int().nonnegative(),
  eventLoopLagMs: z.number().nonnegative(),
  /** CPU the relay process used since the last heartbeat, as a fraction of one core (placement prefers the least loaded). */
  cpu: z.number().nonnegative().max(64).optional(),
  /** The relay drains (SIGTERM): no new peers; repeated on every heartbeat so that a reconnected link learns it too. */
  draining: z.boolean().optional(),
  /** `peerDigest()` of the relay's peers: PeerConnections and AudioBridge `ab.rtpJoin` legs (peerDigest.ts); absent = no reconciliation. */
  peerDigest: z.string().min(1).max(64).optional(),
});

/** The most PeerConnections one `peers` frame lists (a relay's capacity is bounded by the same number). */
export const MAX_LISTED_PEERS = 100_000;

export const listedPeerSchema = z.object({
  sessionId: janusIdSchema,
  handleId: janusIdSchema,
  /** How long ago the relay created it (the edge leaves young peers alone: their creation may be in flight). */
  ageMs: z.number().int().nonnegative(),
});

/** Every peer on the relay (PeerConnections and AudioBridge `ab.rtpJoin` legs), in answer to `listPeers`. */
export const peersMessageSchema = z.object({
  type: z.literal('peers'),
  peers: z.array(listedPeerSchema).max(MAX_LISTED_PEERS),
});

export const replyErrorSchema = z.object({ code: z.number().int(), reason: z.string() });
export const replyMessageSchema = z.discriminatedUnion('ok', [
  z.object({
    type: z.literal('reply'),
    id: requestIdSchema,
    ok: z.literal(true),
    result: z.record(z.string(), z.unknown()),
  }),
  z.object({ type: z.literal('reply'), id: requestIdSchema, ok: z.literal(false), error: replyErrorSchema }),
]);

export const eventMessageSchema = z.object({
  type: z.literal('event'),
  sessionId: janusIdSchema,
  handleId: janusIdSchema,
  event: peerEventSchema,
});

/** The relay is shutting down: it accepts no `peer.create` and will hang up its peers. */
export const drainingMessageSchema = z.object({ type: z.literal('draining') });

export const relayMessageSchema = z.discriminatedUnion('type', [
  registerMessageSchema,
  heartbeatMessageSchema,
  replyMessageSchema,
  eventMessageSchema,
  drainingMessageSchema,
  peersMessageSchema,
]);
export type RegisterMessage = z.infer<typeof registerMessageSchema>;
export type HeartbeatMessage = z.infer<typeof heartbeatMessageSchema>;
export type ReplyMessage = z.infer<typeof replyMessageSchema>;
export type EventMessage = z.infer<typeof eventMessageSchema>;
export type ListedPeer = z.infer<typeof listedPeerSchema>;
export type PeersMessage = z.infer<typeof peersMessageSchema>;
export type RelayMessage = z.infer<typeof relayMessageSchema>;
export type RelayMessageInput = z.input<typeof relayMessageSchema>;

// ---- edge → relay --------------------------------------------------------------------------

export const welcomeMessageSchema = z.object({
  type: z.literal('welcome'),
  /** base64(HMAC-SHA256(RELAY_SECRET, register.nonce)), see auth.ts. */
  proof: z.string().min(1).max(128),
  /**
   * false: the edge has no event handlers, so the relay keeps the events only they consume
   * (`onlyForHandlers`: ICE/DTLS states, the selected pair, stats, closed recordings) to itself.
   * Absent: it sends every event.
   */
  handlerEvents: z.boolean().optional(),
});

export const cmdMessageSchema = z.object({
  type: z.literal('cmd'),
  id: requestIdSchema,
  cmd: commandSchema,
});

/** Asks the relay for its `peers` list. */
export const listPeersMessageSchema = z.object({ type: z.literal('listPeers') });

/** Janus's default min_nack_queue (ms), what a relay uses until an admin sets it. */
export const DEFAULT_MIN_NACK_QUEUE_MS = 200;
/** The longest retransmission window an admin can set: a history holds 512 packets anyway. */
export const MAX_MIN_NACK_QUEUE_MS = 60_000;

/**
 * Relay-wide media settings an admin changed (`set_no_media_timer`, `set_slowlink_threshold`,
 * `set_min_nack_queue`): sent after the welcome and whenever they change; an absent field keeps the
 * relay's own setting.
 */
export const relaySettingsSchema = z.object({
  /** Seconds without packets before `media` receiving=false (Janus no_media_timer). */
  noMediaTimerSec: z.number().int().min(0).max(3600).optional(),
  /** Lost packets per second that make a `slowlink` event (Janus slowlink_threshold); 0 = none. */
  slowlinkThreshold: z.number().int().min(0).max(1_000_000).optional(),
  /** How long (ms) a subscriber leg can still resend a NACKed video packet (Janus min_nack_queue, or the RTT when longer); 0 = never. */
  minNackQueueMs: z.number().int().min(0).max(MAX_MIN_NACK_QUEUE_MS).optional(),
});
export type RelaySettings = z.infer<typeof relaySettingsSchema>;
export const settingsMessageSchema = relaySettingsSchema.extend({ type: z.literal('settings') });

export const edgeMessageSchema = z.discriminatedUnion('type', [
  welcomeMessageSchema,
  cmdMessageSchema,
  listPeersMessageSchema,
  settingsMessageSchema,
]);
export type WelcomeMessage = z.infer<typeof welcomeMessageSchema>;
export type CmdMessage = z.infer<typeof cmdMessageSchema>;
export type EdgeMessage = z.infer<typeof edgeMessageSchema>;
export type EdgeMessageInput = z.input<typeof edgeMessageSchema>;

// ---- parsing -------------------------------------------------------------------------------

export type ParseFailure = {
  ok: false;
  /** The request id when one could be read, so the failure can be answered. */
  id?: string;
  code: number;
  reason: string;
};
export type ParseResult<T> = { ok: true; message: T } | ParseFailure;

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${issue.message} (${path})` : issue.message;
}

function parseFrame<S extends z.ZodType>(
  schema: S,
  raw: string | unknown,
  isCmd: (v: Record<string, unknown>) => boolean,
): ParseResult<z.output<S>> {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, code: JanusError.INVALID_JSON, reason: 'Invalid JSON' };
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: JanusError.INVALID_JSON_OBJECT, reason: 'Invalid JSON Object' };
  }
  const obj = value as Record<string, unknown>;
  const parsed = schema.safeParse(obj);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id = typeof obj.id === 'string' && requestIdSchema.safeParse(obj.id).success ? obj.id : undefined;
  const issue = parsed.error.issues[0]!;
  if (isCmd(obj)) {
    const cmd = obj.cmd as Record<string, unknown> | undefined;
    if (cmd && typeof cmd === 'object' && !commandOps.includes(cmd.op as never)) {
      return { ok: false, id, code: JanusError.UNKNOWN_REQUEST, reason: `Unknown request '${String(cmd.op)}'` };
    }
  }
  const missing = issue.code === 'invalid_type' && issue.message.includes('undefined');
  return {
    ok: false,
    id,
    code: missing ? JanusError.MISSING_MANDATORY_ELEMENT : JanusError.INVALID_ELEMENT_TYPE,
    reason: describeIssue(issue),
  };
}

/** Parses one frame the edge sent (relay side). */
export function parseEdgeMessage(raw: string | unknown): ParseResult<EdgeMessage> {
  return parseFrame(edgeMessageSchema, raw, (v) => v.type === 'cmd');
}

/** Parses one frame a relay sent (edge side). */
export function parseRelayMessage(raw: string | unknown): ParseResult<RelayMessage> {
  return parseFrame(relayMessageSchema, raw, () => false);
}
