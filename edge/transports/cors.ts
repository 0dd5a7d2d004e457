import type { MiddlewareHandler } from 'hono';

/**
 * CORS as Janus's HTTP transport does it: every response allows any origin (janus.js pages are served
 * from anywhere), and a preflight OPTIONS is answered 200 with the allowed methods and headers.
 */
export const cors: MiddlewareHandler = async (c, next) => {
  const origin = c.req.header('origin') ?? '*';
  if (c.req.method === 'OPTIONS') {
    return c.body(null, 200, {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': c.req.header('access-control-request-headers') ?? 'Content-Type, Authorization',
      'Access-Control-Max-Age': '86400',
      Vary: 'Origin',
    });
  }
  await next();
  // WebSocket upgrades carry an immutable 101 response; they need no CORS headers.
  if (c.res.status === 101) return;
  c.res.headers.set('Access-Control-Allow-Origin', origin);
  c.res.headers.append('Vary', 'Origin');
};
