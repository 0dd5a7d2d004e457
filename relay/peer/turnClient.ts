import { createHmac } from 'node:crypto';
import { z } from 'zod';

/** An RTCIceServer as werift takes it. */
export interface TurnIceServer {
  urls: string;
  username: string;
  credential: string;
}

/**
 * The TURN server a PeerConnection gathers a relay candidate from (`iceServers`), and whether it may
 * use only that one (`iceTransportPolicy: "relay"`, werift's `forceTurn`: no host candidate at all).
 */
export interface TurnClient {
  iceServer(): TurnIceServer;
  force: boolean;
}

/** Credentials a relay mints for itself with a REST secret live a day: the secret never leaves the relay. */
const RELAY_REST_TTL_SEC = 86400;

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The relay's own TURN client (Janus's `turn_server`/`turn_user`/`turn_pwd`, or `turn_rest_api` style). */
const turnEnvSchema = z
  .object({
    /** One turn:/turns: URL (werift uses one TURN server); `?transport=tcp` for TURN over TCP. */
    RELAY_TURN_URL: optional.pipe(
      z
        .string()
        .regex(
          /^(turn:[^\s?/]+(\?transport=(udp|tcp))?|turns:[^\s?/]+(\?transport=tcp)?)$/i,
          'must be turn:host[:port][?transport=udp|tcp] or turns:…',
        )
        .optional(),
    ),
    RELAY_TURN_USERNAME: optional,
    RELAY_TURN_CREDENTIAL: optional,
    /** coturn's static-auth-secret: the relay signs its own time-limited credentials. */
    RELAY_TURN_REST_SECRET: optional,
    /** Relay candidates only, for hosts that cannot receive from clients directly. */
    RELAY_FORCE_TURN: z.enum(['true', 'false', '']).optional(),
  })
  .superRefine((v, ctx) => {
    const fixed = v.RELAY_TURN_USERNAME !== undefined || v.RELAY_TURN_CREDENTIAL !== undefined;
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message });
    if (v.RELAY_TURN_URL === undefined) {
      if (fixed || v.RELAY_TURN_REST_SECRET !== undefined) issue('RELAY_TURN_* credentials need RELAY_TURN_URL');
      if (v.RELAY_FORCE_TURN === 'true') issue('RELAY_FORCE_TURN needs RELAY_TURN_URL');
      return;
    }
    if (fixed && v.RELAY_TURN_REST_SECRET !== undefined)
      issue('set RELAY_TURN_USERNAME/RELAY_TURN_CREDENTIAL or RELAY_TURN_REST_SECRET, not both');
    else if (fixed && (v.RELAY_TURN_USERNAME === undefined || v.RELAY_TURN_CREDENTIAL === undefined))
      issue('RELAY_TURN_USERNAME and RELAY_TURN_CREDENTIAL go together');
    else if (!fixed && v.RELAY_TURN_REST_SECRET === undefined)
      issue('RELAY_TURN_URL needs RELAY_TURN_USERNAME and RELAY_TURN_CREDENTIAL, or RELAY_TURN_REST_SECRET');
  });

/** The relay's TURN client from its environment: undefined without RELAY_TURN_URL, a message on bad settings. */
export function turnClientFromEnv(
  env: NodeJS.ProcessEnv,
  relayId: string,
  nowMs: () => number = Date.now,
): { turn: TurnClient | undefined } | { error: string } {
  const r = turnEnvSchema.safeParse(env);
  if (!r.success)
    return { error: r.error.issues.map((i) => `${i.path.join('.') || 'RELAY_TURN'}: ${i.message}`).join('; ') };
  const v = r.data;
  if (v.RELAY_TURN_URL === undefined) return { turn: undefined };
  const urls = v.RELAY_TURN_URL;
  const force = v.RELAY_FORCE_TURN === 'true';
  const secret = v.RELAY_TURN_REST_SECRET;
  if (secret !== undefined)
    return {
      turn: {
        force,
        // Minted per PeerConnection, so a relay running for weeks never presents an expired one.
        iceServer: () => {
          const username = `${Math.floor(nowMs() / 1000) + RELAY_REST_TTL_SEC}:${relayId}`;
          return { urls, username, credential: createHmac('sha1', secret).update(username).digest('base64') };
        },
      },
    };
  const fixed = { urls, username: v.RELAY_TURN_USERNAME!, credential: v.RELAY_TURN_CREDENTIAL! };
  return { turn: { force, iceServer: () => fixed } };
}
