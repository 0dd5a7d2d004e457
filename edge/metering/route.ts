/**
 * `/metering`, for bench:cost on a local stack: GET answers what every Durable Object was billed for
 * since the last reset (the registry's snapshot), DELETE resets it. Refused (404, as an unknown path)
 * unless METERING is on and the request came to a loopback address: deployed, it does not exist.
 */
import type { Context } from 'hono';
import { meteringEnabled, type MeteringVars } from './meteringEnabled.js';
import { meterRegistry } from './registry.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function meteringRoute(c: Context<{ Bindings: object }>): Response {
  if (!meteringEnabled(c.env as MeteringVars) || !LOOPBACK.has(new URL(c.req.url).hostname))
    return c.text('Not Found', 404);
  if (c.req.method === 'GET') return c.json(meterRegistry.snapshot());
  if (c.req.method === 'DELETE') {
    meterRegistry.reset();
    return c.body(null, 204);
  }
  return c.text('Method Not Allowed', 405, { allow: 'GET, DELETE' });
}
