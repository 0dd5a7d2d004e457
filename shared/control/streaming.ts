import { z } from 'zod';
import { fileBaseSchema, recordingFileSchema, recordingReportSchema } from './recording.js';
import { streamingRtspResultSchema, streamingRtspSchema } from './streamingRtsp.js';

/**
 * The Streaming (janus.plugin.streaming) part of the edge→relay control protocol: an RTP mountpoint's
 * ingest on a relay (`streaming.create` / `streaming.destroy` / `streaming.info`). Viewers are VideoRoom
 * subscriber peers (`peer.create` with this plugin and `sfu` subscriber options) whose streams name
 * the mountpoint's feed key, so pause, resume and switch are the `sfu.*` ops, and cascades to other
 * relays are `sfu.forward` from the mountpoint plus `sfu.remoteAdd` there.
 */

export const STREAMING_PLUGIN = 'janus.plugin.streaming';

const idSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const mountKey = { sessionId: idSchema, handleId: idSchema };

/** One stream of an RTP mountpoint (Janus `media[]` entry): where its RTP arrives and what it carries. */
export const streamingMediaSchema = z.object({
  type: z.enum(['audio', 'video']),
  mid: z.string().min(1).max(64),
  mindex: z.number().int().min(0).max(99),
  /** 0 = pick one from the media port range. */
  port: z.number().int().min(0).max(65535),
  /** Receives the sender's RTCP and sends it keyframe requests (video); absent = no RTCP socket, 0 = any port. */
  rtcpport: z.number().int().min(0).max(65535).optional(),
  codec: z.string().min(1).max(32),
  /** A multicast group (IPv4) to join and receive the stream's RTP from (Janus `mcast`). */
  mcast: z.ipv4().optional(),
  /** The interface (name, or an IPv4 address of the relay) to receive on (Janus `iface`). */
  iface: z.string().min(1).max(64).optional(),
  /** The codec's parameters offered to viewers (Janus `fmtp`, e.g. H.264's profile and packetization mode); default ours. */
  fmtp: z.string().min(1).max(1024).optional(),
  /**
   * Simulcast (Janus `simulcast` with `port2`/`port3`, video): the substreams arrive on their own
   * ports, `port` the lowest; 0 = pick one. Viewers choose theirs (`sfu.configure`).
   */
  port2: z.number().int().min(0).max(65535).optional(),
  port3: z.number().int().min(0).max(65535).optional(),
  /**
   * VP9 SVC (Janus `svc`, codec vp9 only): every layer arrives on `port`; each viewer gets the
   * spatial/temporal layers it chose (`sfu.configure` `substream`/`temporal` name them for an SVC stream).
   */
  svc: z.boolean().optional(),
  /** Keep the packets since the last keyframe and give them to a viewer that starts (video, Janus `bufferkf`). */
  bufferKeyframe: z.boolean().optional(),
});
export type StreamingMedia = z.infer<typeof streamingMediaSchema>;

/**
 * A data stream of a mountpoint (Janus `type: data`): each datagram on its port is one DataChannel
 * message. A mountpoint may have several (each its own port, as Janus); their messages all reach a
 * viewer on its one DataChannel, the first stream's, as Janus relays them all on its default channel.
 */
export const streamingDataSchema = z.object({
  mid: z.string().min(1).max(64),
  mindex: z.number().int().min(0).max(99),
  /** 0 = pick one from the media port range. */
  port: z.number().int().min(0).max(65535),
  mcast: z.ipv4().optional(),
  iface: z.string().min(1).max(64).optional(),
  /** Messages are binary (Janus `datatype: binary`), else UTF-8 text. */
  binary: z.boolean(),
  /** Keep the last message for viewers that join (Janus `buffermsg`). */
  bufferMessage: z.boolean(),
});
export type StreamingData = z.infer<typeof streamingDataSchema>;

/** SRTP the sender protects every stream with (Janus `srtpsuite`/`srtpcrypto`: SDES's base64 key + salt). */
export const streamingSrtpSchema = z.object({
  suite: z.union([z.literal(32), z.literal(80)]),
  crypto: z.string().min(1).max(128),
});
export type StreamingSrtp = z.infer<typeof streamingSrtpSchema>;

/**
 * Opens the mountpoint's sockets from the media port range (the data streams' ports are listed after
 * the media's). 466 duplicate key, 467 unknown codec or malformed SRTP crypto, 499 no port.
 */
export const streamingCreateSchema = z.object({
  op: z.literal('streaming.create'),
  ...mountKey,
  media: z.array(streamingMediaSchema).max(16),
  data: z.array(streamingDataSchema).max(16).optional(),
  srtp: streamingSrtpSchema.optional(),
});

/** Closes the mountpoint's sockets (ports back to the pool); its viewers' legs go quiet. 459 unknown. */
export const streamingDestroySchema = z.object({ op: z.literal('streaming.destroy'), ...mountKey });

/** Counters of the mountpoint (age of the last packet per stream). 459 unknown. */
export const streamingInfoSchema = z.object({ op: z.literal('streaming.info'), ...mountKey });

/**
 * Records streams of the mountpoint (Janus's Streaming `recording`): `start` opens `<dir>/<base>.mjr`
 * for each stream it names, all or none (a stream already recording, or a file that cannot be
 * opened, fails the whole start); `stop` closes the named streams' files (empty:
 * every file; done before `start`), answering once each is closed and reported as a `recording` event. Destroying the
 * mountpoint closes its files too. `dir` as `peer.record`'s (default RELAY_RECORDINGS_DIR, inside
 * RELAY_RECORDINGS_ROOT when set). 459 unknown mountpoint, 466 unknown mid or already recording.
 */
export const streamingRecordSchema = z.object({
  op: z.literal('streaming.record'),
  ...mountKey,
  start: z
    .array(
      z.object({
        mid: z.string().min(1).max(64),
        dir: z.string().min(1).max(1024).startsWith('/').optional(),
        base: fileBaseSchema,
      }),
    )
    .max(16)
    .optional(),
  stop: z.array(z.string().min(1).max(64)).max(16).optional(),
  report: recordingReportSchema.optional(),
});

/**
 * A Streaming viewer's m-line now carries another simulcast substream / VP8 temporal layer (its
 * handle gets Janus's `substream` / `temporal` event), or, on an SVC stream, another VP9 spatial /
 * temporal layer (Janus's `spatial_layer` / `temporal_layer`). VideoRoom subscribers get `sfu.layer` instead.
 */
export const viewerLayerEventSchema = z.object({
  kind: z.literal('viewer.layer'),
  mid: z.string(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
});
export type ViewerLayerEvent = z.infer<typeof viewerLayerEventSchema>;

/**
 * What the edge reads of a Streaming viewer's `peer.info` (its SFU subscriber's `sfu.legs`) for admin
 * `handle_info`: per m-line, the simulcast substream (VP9 SVC: spatial layer) forwarded and wanted,
 * the temporal layer forwarded and wanted (-1: none yet), and the fallback.
 */
const layerIndex = z.number().int().min(-1).max(2);
export const viewerLegInfoSchema = z.object({
  mid: z.string(),
  feedMid: z.string(),
  /** Forwarded and wanted: the substream (SVC: spatial layer), then the temporal layer. */
  layer: layerIndex,
  substream: layerIndex,
  temporalLayer: layerIndex,
  temporal: layerIndex,
  fallbackMs: z.number().nonnegative(),
});
export type ViewerLegInfo = z.infer<typeof viewerLegInfoSchema>;
export const viewerPeerInfoSchema = z.object({ sfu: z.object({ legs: z.array(viewerLegInfoSchema) }) });

export const streamingCommandSchemas = [
  streamingCreateSchema,
  streamingDestroySchema,
  streamingInfoSchema,
  streamingRecordSchema,
  streamingRtspSchema,
] as const;

const portsSchema = z.object({
  mid: z.string(),
  port: z.number().int(),
  rtcpport: z.number().int().optional(),
  port2: z.number().int().optional(),
  port3: z.number().int().optional(),
});

export const streamingMediaInfoSchema = z.object({
  mid: z.string(),
  packetsIn: z.number().int().nonnegative(),
  bytesIn: z.number().int().nonnegative(),
  /** ms since the last packet (since the mountpoint's creation before the first). */
  ageMs: z.number().int().nonnegative(),
  viewers: z.number().int().nonnegative(),
  /** Datagrams dropped: not RTP, or (SRTP) failing authentication or replayed. */
  dropped: z.number().int().nonnegative().optional(),
});

export const streamingResultSchemas = {
  'streaming.create': z.object({ ip: z.string(), media: z.array(portsSchema) }),
  'streaming.destroy': z.object({}).strict(),
  'streaming.info': z.object({ media: z.array(streamingMediaInfoSchema) }),
  /** The files being written after the command. */
  'streaming.record': z.object({ files: z.array(recordingFileSchema) }),
  'streaming.rtsp': streamingRtspResultSchema,
} as const;
