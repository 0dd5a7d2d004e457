import { z } from 'zod';
import type { RateLimit } from '../core/clientLimits.js';

/** Where clients' TURN credentials come from (`GET /turn-credentials`), from the Worker's vars and secrets. */
export type TurnSource =
  | { kind: 'none' }
  /** coturn's `use-auth-secret` (TURN REST API): we sign credentials ourselves for `urls`. */
  | { kind: 'rest'; urls: string[]; secret: string }
  /** Cloudflare TURN: its key API mints them; `urls`, when set, replaces the URLs it answers with. */
  | { kind: 'cloudflare'; keyId: string; apiToken: string; apiUrl: string; urls?: string[] };

export interface TurnConfig {
  source: TurnSource;
  /** Seconds a minted credential stays valid. */
  ttl: number;
  /** Credential requests per client address (CF-Connecting-IP); perSecond 0 = no limit. */
  rateLimit: RateLimit;
}

/**
 * Four hours: longer than nearly every call (Cloudflare drops an allocation whose credential expired,
 * so the ttl must outlast the call), far shorter than the TURN REST draft's day, so a credential copied
 * out of a page is soon worthless. Pages fetch a fresh one for each call.
 */
export const DEFAULT_TURN_TTL = 4 * 3600;
export const CLOUDFLARE_TURN_API = 'https://rtc.live.cloudflare.com/v1';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const number = (def: number) =>
  optional.transform((v) => (v === undefined ? def : Number(v))).pipe(z.number().int().min(0));

/** `turn:`/`turns:` URLs as RTCIceServer takes them: host, optional port, optional `?transport=udp|tcp`. */
const turnUrl = z
  .string()
  .regex(
    /^(turn:[^\s?/]+(\?transport=(udp|tcp))?|turns:[^\s?/]+(\?transport=tcp)?)$/i,
    'must be a turn: or turns: URL (turn:host[:port][?transport=udp|tcp])',
  );

const turnUrls = optional.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const urls = v
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const u of urls) {
    const r = turnUrl.safeParse(u);
    if (!r.success) ctx.addIssue({ code: 'custom', message: `TURN_URLS: '${u}' ${r.error.issues[0]!.message}` });
  }
  return urls;
});

const turnVarsSchema = z
  .object({
    TURN_URLS: turnUrls,
    TURN_REST_SECRET: optional,
    CLOUDFLARE_TURN_KEY_ID: optional.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,128}$/, 'a key id')
        .optional(),
    ),
    CLOUDFLARE_TURN_API_TOKEN: optional,
    /** Where Cloudflare's TURN API lives; tests point it at a local server (there is no internet there). */
    CLOUDFLARE_TURN_API_URL: optional.pipe(z.string().url().optional()),
    TURN_TTL: number(DEFAULT_TURN_TTL).pipe(
      z
        .number()
        .min(60)
        .max(48 * 3600),
    ),
    TURN_REQUESTS_PER_MINUTE: number(10),
    TURN_REQUEST_BURST: number(5).pipe(z.number().min(1)),
  })
  .superRefine((v, ctx) => {
    const cloudflare = v.CLOUDFLARE_TURN_KEY_ID !== undefined || v.CLOUDFLARE_TURN_API_TOKEN !== undefined;
    if (v.TURN_REST_SECRET !== undefined && cloudflare)
      ctx.addIssue({ code: 'custom', message: 'set either TURN_REST_SECRET or CLOUDFLARE_TURN_*, not both' });
    if (cloudflare && (v.CLOUDFLARE_TURN_KEY_ID === undefined || v.CLOUDFLARE_TURN_API_TOKEN === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'Cloudflare TURN needs both CLOUDFLARE_TURN_KEY_ID and CLOUDFLARE_TURN_API_TOKEN',
      });
    if (v.TURN_REST_SECRET !== undefined && !v.TURN_URLS?.length)
      ctx.addIssue({ code: 'custom', message: 'TURN_REST_SECRET needs TURN_URLS (the coturn servers to use)' });
    if (v.TURN_URLS?.length && v.TURN_REST_SECRET === undefined && !cloudflare)
      ctx.addIssue({ code: 'custom', message: 'TURN_URLS needs TURN_REST_SECRET or CLOUDFLARE_TURN_KEY_ID/API_TOKEN' });
  });

export type TurnVars = z.input<typeof turnVarsSchema>;

/** The TURN settings of the edge; throws with every problem named (as the rest of edge/config.ts). */
export function parseTurnConfig(vars: TurnVars): TurnConfig {
  const r = turnVarsSchema.safeParse(vars);
  if (!r.success) throw new Error(`invalid TURN configuration: ${r.error.issues.map((i) => i.message).join('; ')}`);
  const v = r.data;
  const source: TurnSource =
    v.TURN_REST_SECRET !== undefined
      ? { kind: 'rest', urls: v.TURN_URLS!, secret: v.TURN_REST_SECRET }
      : v.CLOUDFLARE_TURN_KEY_ID !== undefined && v.CLOUDFLARE_TURN_API_TOKEN !== undefined
        ? {
            kind: 'cloudflare',
            keyId: v.CLOUDFLARE_TURN_KEY_ID,
            apiToken: v.CLOUDFLARE_TURN_API_TOKEN,
            apiUrl: (v.CLOUDFLARE_TURN_API_URL ?? CLOUDFLARE_TURN_API).replace(/\/+$/, ''),
            urls: v.TURN_URLS?.length ? v.TURN_URLS : undefined,
          }
        : { kind: 'none' };
  return {
    source,
    ttl: v.TURN_TTL,
    rateLimit: { perSecond: v.TURN_REQUESTS_PER_MINUTE / 60, burst: v.TURN_REQUEST_BURST },
  };
}
