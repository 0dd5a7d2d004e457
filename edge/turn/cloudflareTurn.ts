import { cloudflareAnswerSchema, type IceServer } from './schemas.js';
import type { TurnSource } from './turnConfig.js';

type CloudflareSource = Extract<TurnSource, { kind: 'cloudflare' }>;

/** Cloudflare's API failed or answered something we cannot use: the client gets 502 and no detail of ours. */
export class TurnUpstreamError extends Error {}

const TIMEOUT_MS = 5000;

/**
 * Mints credentials with Cloudflare TURN's key API (POST `/turn/keys/{key}/credentials/generate-ice-servers`,
 * bearer API token, `{"ttl": N}`). Port 53 URLs are dropped: browsers refuse them and log an error
 * for each. With `urls` configured, they replace the TURN URLs Cloudflare answered with.
 */
export async function cloudflareIceServers(
  source: CloudflareSource,
  ttl: number,
  fetcher: typeof fetch = fetch,
): Promise<IceServer[]> {
  const url = `${source.apiUrl}/turn/keys/${encodeURIComponent(source.keyId)}/credentials/generate-ice-servers`;
  let res: Response;
  try {
    res = await fetcher(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${source.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttl }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new TurnUpstreamError(`Cloudflare TURN API unreachable (${err instanceof Error ? err.name : 'error'})`);
  }
  if (res.status !== 200 && res.status !== 201) {
    await res.body?.cancel();
    throw new TurnUpstreamError(`Cloudflare TURN API answered HTTP ${res.status}`);
  }
  const parsed = cloudflareAnswerSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new TurnUpstreamError('Cloudflare TURN API answered an unexpected shape');
  const entries = Array.isArray(parsed.data.iceServers) ? parsed.data.iceServers : [parsed.data.iceServers];
  const servers: IceServer[] = [];
  for (const e of entries) {
    const urls = (Array.isArray(e.urls) ? e.urls : [e.urls]).filter((u) => !/:53(\?|$)/.test(u));
    const turn = urls.some((u) => /^turns?:/i.test(u));
    if (turn && (!e.username || !e.credential)) continue;
    const chosen = turn && source.urls ? source.urls : urls;
    if (chosen.length === 0) continue;
    servers.push(turn ? { urls: chosen, username: e.username, credential: e.credential } : { urls: chosen });
  }
  if (!servers.some((s) => s.username !== undefined))
    throw new TurnUpstreamError('Cloudflare TURN API answered no TURN credential');
  return servers;
}
