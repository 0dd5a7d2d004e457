import { Hono, type Context } from 'hono';
import { JanusError } from '../../shared/janus/errors.js';
import { loadConfig } from '../config.js';
import { clientAddressOf } from '../core/clientAddress.js';
import { errorFrom, errorReply, type JanusMessage } from '../core/replies.js';
import type { Env } from '../env.js';
import { namedShard } from '../core/ids.js';
import { learnFromReply, NEXT_SHARD_HEADER, placementHint } from '../core/shardFill.js';
import type { PollResult } from '../core/shardApi.js';
import { Stubs } from '../stubs.js';
import { mergePathIds, pathId, readJsonObject } from './body.js';
import { metrics } from './metrics.js';

type Ctx = Context<{ Bindings: Env }>;

/** The Janus API over HTTP (REST + long poll) and the WebSocket upgrade, on `/janus` (§1.2, §1.3, §2). */
export const janusRoutes = new Hono<{ Bindings: Env }>();

const json = (c: Ctx, m: JanusMessage | JanusMessage[]) => {
  if (!Array.isArray(m)) metrics.countReply(m);
  return c.json(m);
};

janusRoutes.get('/info', (c) => forward(c, { janus: 'info', transaction: crypto.randomUUID() }));
janusRoutes.get('/ping', (c) => forward(c, { janus: 'ping', transaction: crypto.randomUUID() }));

janusRoutes.get('/', async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    return c.json(errorReply(JanusError.TRANSPORT_SPECIFIC, 'Unsupported method'));
  const config = loadConfig(c.env);
  const stubs = new Stubs(c.env, config.shardCount);
  const headers = new Headers(c.req.raw.headers);
  const region = regionOf(c);
  if (region) headers.set('x-region', region);
  else headers.delete('x-region');
  // Fill-first: a full shard names the next one to try (edge/core/shardFill.ts).
  const asked = placementHint.first(config.shardCount);
  for (let shard = asked; ;) {
    headers.set('x-shard', String(shard));
    const res = await stubs.shard(shard).fetch(new Request(c.req.raw.url, { headers }));
    const next = Number(res.headers.get(NEXT_SHARD_HEADER) ?? NaN);
    if (res.status !== 307 || !(next > shard && next < config.shardCount)) {
      placementHint.learn(asked, shard);
      return res;
    }
    shard = next;
  }
});

janusRoutes.post('/', (c) => handlePost(c));
janusRoutes.post('/:session', (c) => handlePost(c, c.req.param('session')));
janusRoutes.post('/:session/:handle', (c) => handlePost(c, c.req.param('session'), c.req.param('handle')));

janusRoutes.get('/:session', async (c) => {
  const sid = pathId(c.req.param('session'));
  if (sid < 1) return c.body(null, 404);
  const maxev = Math.max(1, Number.parseInt(c.req.query('maxev') ?? '1', 10) || 1);
  const config = loadConfig(c.env);
  const res: PollResult = await new Stubs(c.env, config.shardCount)
    .shardOfSession(sid)
    .poll(sid, maxev, c.req.query('apisecret'), c.req.query('token'));
  if (res.status !== 200) return c.body(null, res.status);
  return c.json(res.body ?? null);
});

janusRoutes.get('/:session/:handle', (c) => c.redirect(`../${c.req.param('session')}`, 302));
janusRoutes.all('/:a/:b/:c{.+}', (c) => c.body('Too many components', 404));
janusRoutes.all('*', (c) => c.json(errorReply(JanusError.TRANSPORT_SPECIFIC, 'Unsupported method')));

async function handlePost(c: Ctx, sessionPart?: string, handlePart?: string) {
  const config = loadConfig(c.env);
  let body: Record<string, unknown>;
  try {
    body = await readJsonObject(c.req.raw, config.maxBodyBytes);
  } catch (err) {
    return json(c, errorFrom(err));
  }
  metrics.countRequest(body.janus);
  try {
    mergePathIds(body, sessionPart, handlePart, true);
  } catch (err) {
    // janus_http.c answers the conflict without the transaction.
    return json(c, errorFrom(err));
  }
  return forward(c, body);
}

async function forward(c: Ctx, body: Record<string, unknown>) {
  const config = loadConfig(c.env);
  const named = namedShard(body, config.shardCount);
  const shard = named ?? placementHint.first(config.shardCount);
  try {
    const reply = await new Stubs(c.env, config.shardCount)
      .shard(shard)
      .janus(body, { kind: 'http', address: clientAddressOf(c.req.raw.headers) }, shard, regionOf(c));
    if (named === undefined) learnFromReply(shard, reply, config.shardCount);
    return json(c, reply);
  } catch (err) {
    return json(c, errorFrom(err, typeof body.transaction === 'string' ? body.transaction : undefined));
  }
}

/**
 * The client's region, which picks the relays for its PeerConnections: `?region=` or `x-region` where
 * a client (or a test) says so, else Cloudflare's view of where the request came from.
 */
export function regionOf(c: Ctx): string | undefined {
  const explicit = c.req.query('region') ?? c.req.header('x-region');
  if (explicit && /^[a-z0-9-]{1,32}$/i.test(explicit)) return explicit.toLowerCase();
  const cf = (c.req.raw as { cf?: { continent?: string } }).cf;
  return cf?.continent?.toLowerCase();
}
