import { z } from 'zod';

/**
 * An RTSP mountpoint's ingest on a relay (Janus's `rtsp` type): the relay is the RTSP client. It
 * DESCRIBEs `url`, SETUPs the audio and/or video track with RTP over UDP to ports of its media range
 * (or interleaved on the RTSP connection, `transport`),
 * PLAYs, keeps the session alive and reconnects after `reconnectDelayMs` without media; the received
 * RTP feeds a mountpoint under the key, as `streaming.create`'s would (destroy, info and record are the
 * same ops). 456-style failures (server unreachable, no such track, auth refused) answer 470 with the
 * reason; 467 unknown codec, 499 no port.
 */

const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const seconds = z.number().int().min(0).max(3600);

/**
 * One kind of track to take from the server's SDP; `codec` overrides the SDP's (Janus `audiortpmap`…),
 * and with `pt` and `rtpmap` describes the track while the server cannot (`failcheck: false`).
 */
export const rtspTrackWishSchema = z.object({
  codec: z.string().min(1).max(32).optional(),
  pt: z.number().int().min(0).max(127).optional(),
  rtpmap: z.string().min(1).max(64).optional(),
  bufferKeyframe: z.boolean().optional(),
});

export const streamingRtspSchema = z.object({
  op: z.literal('streaming.rtsp'),
  sessionId: idSchema,
  handleId: idSchema,
  url: z
    .string()
    .max(2048)
    .regex(/^rtsps?:\/\//i),
  user: z.string().max(256).optional(),
  password: z.string().max(256).optional(),
  /** Retry DESCRIBE with the path alone after a 404 (Janus `rtsp_quirk`). */
  quirk: z.boolean().default(false),
  /** Seconds without media before the source counts as gone and is reconnected (Janus: 5). */
  reconnectDelay: seconds.default(5),
  /** Caps the keepalive period: min(server's timeout, this) / 2; 0 = the server's (Janus `rtsp_session_timeout`). */
  sessionTimeout: seconds.default(0),
  /** Seconds one request may take (Janus `rtsp_timeout`: 10), and connecting (`rtsp_conn_timeout`: 5). */
  requestTimeout: seconds.default(10),
  connectTimeout: seconds.default(5),
  /**
   * Where RTP comes: `udp` to the mountpoint's ports, `tcp` interleaved on the RTSP connection
   * (RFC 2326 §10.12), `auto` UDP and, when the server answers 461 Unsupported Transport, TCP.
   */
  transport: z.enum(['auto', 'udp', 'tcp']).default('auto'),
  /**
   * Janus `rtsp_failcheck`: false creates the mountpoint from the wishes' codecs when the server cannot
   * be reached or described now, and keeps trying in the background (every `reconnectDelay`).
   */
  failcheck: z.boolean().default(true),
  /**
   * Janus `rtspiface`: an interface name or an IPv4/IPv6 address of the relay; the RTSP connection and
   * the RTP/RTCP sockets bind to its address (so the server sends the media there). 470 with Janus's
   * "Invalid network interface configuration for stream" when the relay has none such, before anything opens.
   */
  iface: z.string().min(1).max(64).optional(),
  audio: rtspTrackWishSchema.optional(),
  video: rtspTrackWishSchema.optional(),
});

/** What the mountpoint receives, as the server described it (audio first, mid `a`, then video, mid `v`, as Janus). */
export const streamingRtspResultSchema = z.object({
  ip: z.string(),
  media: z.array(
    z.object({
      type: z.enum(['audio', 'video']),
      mid: z.string(),
      pt: z.number().int().min(0).max(127),
      codec: z.string(),
      rtpmap: z.string(),
      fmtp: z.string().optional(),
      port: z.number().int(),
      rtcpport: z.number().int().optional(),
    }),
  ),
});
