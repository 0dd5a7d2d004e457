import { z } from 'zod';

/** Event-handler event types (§4), the mask bits of janus/events.h. */
export const EventType = {
  SESSION: 1,
  HANDLE: 2,
  EXTERNAL: 4,
  JSEP: 8,
  WEBRTC: 16,
  MEDIA: 32,
  PLUGIN: 64,
  TRANSPORT: 128,
  CORE: 256,
} as const;

export const WebrtcSubtype = {
  ICE: 1,
  LOCAL_CANDIDATE: 2,
  REMOTE_CANDIDATE: 3,
  SELECTED_PAIR: 4,
  DTLS: 5,
  PEER_CONNECTION: 6,
} as const;
export const MediaSubtype = { STATE: 1, SLOW_LINK: 2, STATS: 3 } as const;
export const CoreSubtype = { STARTUP: 1, SHUTDOWN: 2 } as const;

/** One event as POSTed to the webhook (grouped into arrays of up to 100). */
export const handlerEventSchema = z.object({
  emitter: z.string().optional(),
  type: z.number().int(),
  subtype: z.number().int().positive().optional(),
  timestamp: z.number().int(),
  session_id: z.number().int().optional(),
  handle_id: z.number().int().optional(),
  opaque_id: z.string().optional(),
  event: z.record(z.string(), z.unknown()),
});
export type HandlerEvent = z.infer<typeof handlerEventSchema>;

export const sessionEventBody = z.object({
  name: z.enum(['created', 'destroyed', 'timeout']),
  transport: z.object({ transport: z.string(), id: z.string() }).optional(),
});
export const handleEventBody = z.object({
  name: z.enum(['attached', 'detached']),
  plugin: z.string(),
  opaque_id: z.string().optional(),
  token: z.string().optional(),
});
