import { z } from 'zod';

/** One entry of RTCConfiguration.iceServers as we hand it out. */
export const iceServerSchema = z.object({
  urls: z.array(z.string().min(1)).min(1),
  username: z.string().min(1).optional(),
  credential: z.string().min(1).optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

/** `GET /turn-credentials`'s answer: ready for `new RTCPeerConnection({ iceServers })` or janus.js. */
export const turnCredentialsSchema = z.object({
  iceServers: z.array(iceServerSchema).min(1),
  /** Seconds the credentials stay valid from now. */
  ttl: z.number().int().positive(),
});
export type TurnCredentials = z.infer<typeof turnCredentialsSchema>;

/**
 * What Cloudflare's key API answers: `/credentials/generate-ice-servers` gives an array (STUN entries
 * without credentials beside the TURN one), the older `/credentials/generate` a single object.
 */
const cloudflareEntry = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export const cloudflareAnswerSchema = z.object({
  iceServers: z.union([cloudflareEntry, z.array(cloudflareEntry)]),
});
