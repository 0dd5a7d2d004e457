import { Hono } from 'hono';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { Stubs } from '../stubs.js';

/**
 * `/health`: for uptime monitors, `npm start`'s supervisor and the demo's region list. It answers from
 * the core coordinator alone (the relays its directory knows), so a monitor polling it wakes one
 * object, not every session shard. `?counts=1` adds the session, handle and PeerConnection counts
 * summed from every shard's registry (exact, but it wakes them all; `/metrics` and the Admin API have
 * them too).
 */
export const healthRoutes = new Hono<{ Bindings: Env }>();

healthRoutes.get('/', async (c) => {
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 0));
  const counts = c.req.query('counts');
  if (counts !== undefined && counts !== '1' && counts !== '0')
    return c.json({ status: 'error', reason: `unsupported counts=${counts.slice(0, 16)} (1 or 0)` }, 400);
  const config = loadConfig(c.env);
  const core = new Stubs(c.env, config.shardCount).core();
  const [relays, summed] = await Promise.all([core.listRelays(), counts === '1' ? core.counts() : undefined]);
  return c.json({
    status: 'ok',
    eventLoopLagMs: Date.now() - started,
    ...summed,
    shards: config.shardCount,
    relays,
  });
});
