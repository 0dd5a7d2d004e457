import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { Logger } from '../log.js';

/**
 * The API answers JSON and text, never a page: nothing in a reply may run, load, be framed or be
 * sniffed into something else. (The demo pages are static assets, served before the Worker runs;
 * their own policy is in edge/demo/_headers.)
 */
export const apiSecurityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** Sets the headers on every reply but WebSocket upgrades (their 101 response is immutable). */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.status === 101) return;
  let res = c.res;
  try {
    for (const [k, v] of Object.entries(apiSecurityHeaders)) res.headers.set(k, v);
  } catch {
    // A response from another object (a Durable Object's fetch) may have immutable headers: copy it.
    res = new Response(res.body, res);
    for (const [k, v] of Object.entries(apiSecurityHeaders)) res.headers.set(k, v);
    c.res = undefined;
    c.res = res;
  }
  res.headers.delete('X-Powered-By');
};

/**
 * A failure inside the Worker is logged and answered with a bare 500: no message, stack or path of
 * ours goes back to the client (Janus API errors are replies, not exceptions, and never get here).
 */
export const onError: ErrorHandler<{ Bindings: Env }> = (err, c: Context<{ Bindings: Env }>) => {
  new Logger(loadConfig(c.env).logLevel, 'http').error('request failed', {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  });
  return c.json({ error: 'internal error' }, 500);
};
