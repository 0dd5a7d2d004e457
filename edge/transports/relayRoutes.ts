import { Hono } from 'hono';
import { checkBearer } from '../../shared/control/auth.js';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { Stubs } from '../stubs.js';

/**
 * `/relay/connect`: a relay opens its control WebSocket here with the shared secret as a bearer token.
 * Each connection gets its own RelayLink object (a fresh unique id), which the directory records so
 * session shards can reach the relay. Without RELAY_SECRET configured, relays cannot connect at all.
 */
export const relayRoutes = new Hono<{ Bindings: Env }>();

relayRoutes.get('/connect', async (c) => {
  const config = loadConfig(c.env);
  if (!config.relaySecret) return c.text('relay connections are disabled (no RELAY_SECRET)', 503);
  if (!checkBearer(c.req.header('authorization'), config.relaySecret)) return c.text('unauthorized', 401);
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.text('expected a WebSocket upgrade', 426);
  const { linkId, stub } = new Stubs(c.env, config.shardCount).newRelayLink();
  const headers = new Headers(c.req.raw.headers);
  headers.set('x-link-id', linkId);
  return stub.fetch(new Request(c.req.raw.url, { headers }));
});
