import { z } from 'zod';

/**
 * The Streaming plugin's requests (janus_streaming.c header comment), validated before anything
 * changes: a missing field answers 453, a wrong one 454 (through `parseJanus` with {@link ST}).
 */

export const mountpointIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export type MountpointId = z.infer<typeof mountpointIdSchema>;

export const SYNC_REQUESTS = [
  'list',
  'info',
  'create',
  'destroy',
  'edit',
  'enable',
  'disable',
  'kick',
  'kick_all',
  'recording',
] as const;
export type SyncRequest = (typeof SYNC_REQUESTS)[number];
export const ASYNC_REQUESTS = ['watch', 'start', 'pause', 'switch', 'stop', 'configure'] as const;
export type AsyncRequest = (typeof ASYNC_REQUESTS)[number];

export const isSyncRequest = (r: string): r is SyncRequest => (SYNC_REQUESTS as readonly string[]).includes(r);
export const isAsyncRequest = (r: string): r is AsyncRequest => (ASYNC_REQUESTS as readonly string[]).includes(r);

/** One `media` entry of an `rtp` mountpoint. */
export const mediaEntrySchema = z.object({
  type: z.string(),
  mid: z.string().min(1).max(64),
  label: z.string().max(256).optional(),
  msid: z.string().max(256).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  rtcpport: z.number().int().min(0).max(65535).optional(),
  pt: z.number().int().min(0).max(127).optional(),
  codec: z.string().min(1).max(32).optional(),
  fmtp: z.string().max(1024).optional(),
  /** An IPv4 multicast group the relay joins to receive the stream. */
  mcast: z.string().optional(),
  /** The relay's interface (name or IPv4 address) to receive on. */
  iface: z.string().min(1).max(64).optional(),
  bufferkf: z.boolean().optional(),
  /** Simulcast video: the higher substreams arrive on `port2` and `port3` (0 = pick one). */
  simulcast: z.boolean().optional(),
  port2: z.number().int().min(0).max(65535).optional(),
  port3: z.number().int().min(0).max(65535).optional(),
  /** VP9 SVC video: viewers pick spatial/temporal layers (`configure` `spatial_layer`/`temporal_layer`). */
  svc: z.boolean().optional(),
  /** A data stream's messages: text (default) or binary. */
  datatype: z.string().optional(),
  /** A data stream keeps its last message for viewers that join. */
  buffermsg: z.boolean().optional(),
});
export type MediaEntry = z.infer<typeof mediaEntrySchema>;

export const createSchema = z.object({
  type: z.string(),
  id: mountpointIdSchema.optional(),
  name: z.string().max(256).optional(),
  description: z.string().max(1024).optional(),
  metadata: z.string().max(4096).optional(),
  is_private: z.boolean().optional(),
  secret: z.string().max(256).optional(),
  pin: z.string().max(256).optional(),
  permanent: z.boolean().optional(),
  admin_key: z.string().optional(),
  /** SRTP of every stream: suite 32|80 and SDES's base64 key + salt. */
  srtpsuite: z.number().int().positive().optional(),
  srtpcrypto: z.string().max(128).optional(),
  media: z.array(z.unknown()).max(16).optional(),
  /** Data streams' `datatype`/`buffermsg` where a media entry has none (Janus 1.1.2 reads them here). */
  datatype: z.string().optional(),
  buffermsg: z.boolean().optional(),
});
export type CreateRequest = z.infer<typeof createSchema>;

export const idSchema = z.object({ id: mountpointIdSchema });
export const withSecretSchema = idSchema.extend({ secret: z.string().optional() });

export const editSchema = withSecretSchema.extend({
  new_description: z.string().max(1024).optional(),
  new_metadata: z.string().max(4096).optional(),
  new_secret: z.string().max(256).optional(),
  new_pin: z.string().max(256).optional(),
  new_is_private: z.boolean().optional(),
  permanent: z.boolean().optional(),
});
export type EditRequest = z.infer<typeof editSchema>;

export const kickSchema = withSecretSchema.extend({ viewer: z.number().int().positive() });

export const watchSchema = idSchema.extend({
  pin: z.string().optional(),
  offer_audio: z.boolean().optional(),
  offer_video: z.boolean().optional(),
  /** false: the data stream, if any, is left out. */
  offer_data: z.boolean().optional(),
  /** The mids to watch (default all). */
  media: z.array(z.string().max(64)).max(16).optional(),
  /** On the mountpoint already watched: an ICE restart (Janus's `watch` with `restart`). */
  restart: z.boolean().optional(),
});

/**
 * `configure` of a viewer: the simulcast substream and VP8 temporal layer it wants, or the VP9 SVC
 * spatial/temporal layer (of `mid`, default every video stream).
 */
export const configureSchema = z.object({
  mid: z.string().max(64).optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
  spatial_layer: z.number().int().min(0).max(2).optional(),
  temporal_layer: z.number().int().min(0).max(2).optional(),
  fallback: z.number().int().nonnegative().max(60_000_000).optional(),
});
