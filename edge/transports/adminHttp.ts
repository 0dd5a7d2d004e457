import { Hono, type Context } from 'hono';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { handleAdmin } from '../core/adminApi.js';
import { loadConfig } from '../config.js';
import { errorFrom, errorReply } from '../core/replies.js';
import type { Env } from '../env.js';
import { mergePathIds, parseJsonObject, readJsonObject } from './body.js';

type Ctx = Context<{ Bindings: Env }>;

/** The Admin API over HTTP POST and over WebSocket (`janus-admin-protocol`) on `/admin` (§3). */
export const adminRoutes = new Hono<{ Bindings: Env }>();

adminRoutes.get('/info', async (c) =>
  c.json(await handleAdmin(c.env, loadConfig(c.env), { janus: 'info', transaction: crypto.randomUUID() })),
);
adminRoutes.get('/ping', async (c) =>
  c.json(await handleAdmin(c.env, loadConfig(c.env), { janus: 'ping', transaction: crypto.randomUUID() })),
);
adminRoutes.get('/', (c) =>
  c.req.header('upgrade')?.toLowerCase() === 'websocket'
    ? adminSocket(c)
    : c.json(errorReply(JanusError.TRANSPORT_SPECIFIC, 'Unsupported method')),
);
adminRoutes.post('/', (c) => post(c));
adminRoutes.post('/:session', (c) => post(c, c.req.param('session')));
adminRoutes.post('/:session/:handle', (c) => post(c, c.req.param('session'), c.req.param('handle')));
adminRoutes.all('*', (c) => c.json(errorReply(JanusError.TRANSPORT_SPECIFIC, 'Unsupported method')));

async function post(c: Ctx, sessionPart?: string, handlePart?: string) {
  const config = loadConfig(c.env);
  let body: Record<string, unknown>;
  try {
    body = await readJsonObject(c.req.raw, config.maxBodyBytes);
  } catch (err) {
    return c.json(errorFrom(err));
  }
  try {
    mergePathIds(body, sessionPart, handlePart, false);
  } catch (err) {
    return c.json(errorFrom(err, typeof body.transaction === 'string' ? body.transaction : undefined));
  }
  return c.json(await handleAdmin(c.env, config, body));
}

/** Admin WebSockets are stateless request/reply, so the Worker itself holds them. */
function adminSocket(c: Ctx) {
  const config = loadConfig(c.env);
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  server.addEventListener('message', async (ev) => {
    const text = typeof ev.data === 'string' ? ev.data : new TextDecoder().decode(ev.data as ArrayBuffer);
    let out;
    try {
      if (text.length > config.maxBodyBytes)
        throw new JanusApiError(JanusError.TRANSPORT_SPECIFIC, `Message too large (max ${config.maxBodyBytes} bytes)`);
      out = await handleAdmin(c.env, config, parseJsonObject(text));
    } catch (err) {
      out = errorFrom(err);
    }
    try {
      server.send(JSON.stringify(out));
    } catch {
      // closed meanwhile
    }
  });
  // Complete the client's close handshake: echo its code (1000 where the code cannot be sent back).
  server.addEventListener('close', (ev) => {
    try {
      server.close(sendableCloseCode(ev.code), ev.reason);
    } catch {
      // already closed
    }
  });
  return new Response(null, {
    status: 101,
    webSocket: pair[0],
    headers: { 'Sec-WebSocket-Protocol': 'janus-admin-protocol' },
  });
}

/** A close code that may be sent in a close frame (RFC 6455 §7.4): 1005, 1006, 1015 and unassigned ones may not. */
function sendableCloseCode(code: number): number {
  const ok =
    code === 1000 || (code >= 1001 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  return ok ? code : 1000;
}
