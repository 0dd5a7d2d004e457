import { checkRequestAuth } from '../auth/requestAuth.js';
import type { TokenTable } from '../auth/tokenTable.js';
import type { EdgeConfig } from '../config.js';
import { errorReply } from '../core/replies.js';
import type { Logger } from '../log.js';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { cloudflareIceServers, TurnUpstreamError } from './cloudflareTurn.js';
import { anonymousTurnUser, restCredential } from './restCredential.js';
import { turnCredentialsSchema, type IceServer } from './schemas.js';
import type { TakeResult } from './turnRateLimit.js';

/** What a `GET /turn-credentials` carries that matters here. */
export interface TurnRequest {
  /** CF-Connecting-IP; undefined (local runs) means no per-address limit, as for the Janus API. */
  address: string | undefined;
  query: Record<string, string>;
}

export interface TurnDeps {
  config: EdgeConfig;
  /** Takes a token from the address's bucket (its `TurnLimiter` object). */
  take(address: string): Promise<TakeResult>;
  /** The stored tokens (admin add_token), asked only when token auth uses them. */
  tokens(): Promise<TokenTable>;
  nowMs: number;
  fetcher?: typeof fetch;
  /** Where a failing Cloudflare TURN API is reported (clients only see a 502). */
  log?: Logger;
}

export interface TurnAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const ALLOWED_QUERY = new Set(['apisecret', 'token', 'optional']);
const noStore = { 'cache-control': 'no-store' };

const refuse = (status: number, code: number, reason: string, headers: Record<string, string> = {}): TurnAnswer => ({
  status,
  body: errorReply(code, reason),
  headers: { ...noStore, ...headers },
});

/**
 * `GET /turn-credentials`: short-lived TURN credentials for one client, behind the Janus API's own
 * auth (`?apisecret=` or `?token=`, as a long poll carries them) and a per-address rate limit that
 * is checked first, so guessing secrets is rate-limited too. Without TURN configured: 503, or 204 with
 * `?optional=1`. Refusals are Janus error objects; no
 * answer ever contains a configured secret, only the minted credential.
 */
export async function turnCredentials(req: TurnRequest, deps: TurnDeps): Promise<TurnAnswer> {
  const { config } = deps;
  const turn = config.turn;
  const unknown = Object.keys(req.query).find((k) => !ALLOWED_QUERY.has(k));
  if (unknown !== undefined)
    return refuse(
      400,
      JanusError.INVALID_REQUEST_PATH,
      `Unsupported parameter '${unknown.slice(0, 32)}' (only apisecret, token and optional=1)`,
    );
  const optional = req.query.optional;
  if (optional !== undefined && optional !== '1')
    return refuse(400, JanusError.INVALID_REQUEST_PATH, 'optional must be 1');
  if (turn.source.kind === 'none') {
    // A page that merely uses TURN when there is some asks with optional=1: no error in its console then.
    if (optional === '1') return { status: 204, body: null, headers: noStore };
    return refuse(
      503,
      JanusError.UNKNOWN,
      'TURN is not configured on this server (TURN_URLS with TURN_REST_SECRET, or CLOUDFLARE_TURN_KEY_ID with CLOUDFLARE_TURN_API_TOKEN)',
    );
  }
  if (req.address !== undefined && turn.rateLimit.perSecond > 0) {
    const taken = await deps.take(req.address);
    if (!taken.ok)
      return refuse(
        429,
        JanusError.UNKNOWN,
        `Too many TURN credential requests from this client address (at most ${Math.round(turn.rateLimit.perSecond * 60)} a minute)`,
        { 'retry-after': String(taken.retryAfterSec) },
      );
  }
  try {
    const needsStoredTokens = config.tokenAuth && !config.tokenAuthSecret && req.query.token !== undefined;
    await checkRequestAuth(config, needsStoredTokens ? await deps.tokens() : {}, req.query.apisecret, req.query.token);
  } catch (err) {
    if (err instanceof JanusApiError) return refuse(403, err.code, err.message);
    throw err;
  }
  let iceServers: IceServer[];
  try {
    iceServers = await mint(deps, turn.ttl);
  } catch (err) {
    if (err instanceof TurnUpstreamError) {
      deps.log?.warn('TURN credentials not minted', { reason: err.message });
      return refuse(502, JanusError.UNKNOWN, err.message);
    }
    throw err;
  }
  return {
    status: 200,
    body: turnCredentialsSchema.parse({ iceServers, ttl: turn.ttl }),
    headers: noStore,
  };
}

async function mint(deps: TurnDeps, ttl: number): Promise<IceServer[]> {
  const source = deps.config.turn.source;
  if (source.kind === 'rest') {
    const expires = Math.floor(deps.nowMs / 1000) + ttl;
    const { username, credential } = await restCredential(source.secret, expires, anonymousTurnUser());
    return [{ urls: source.urls, username, credential }];
  }
  if (source.kind === 'cloudflare') return cloudflareIceServers(source, ttl, deps.fetcher);
  throw new Error('no TURN source');
}
