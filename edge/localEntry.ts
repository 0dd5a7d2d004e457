import { WorkerEntrypoint } from 'cloudflare:workers';
import type { Env } from './env.js';
import { app } from './app.js';

/** The API's paths; everything else is a demo page or janus.js. */
const API_PATH = /^\/(janus|admin|relay|health|metrics|whip|whep)(\/|$)/;

/**
 * The entry `npm start` serves on its port (a Miniflare direct socket): what Cloudflare does in front
 * of the Worker, assets first for every path but the API's, and then the Worker itself. Without it
 * Miniflare's own routing worker sits in front, and its compatibility flags, not ours
 * (`no_web_socket_compression`), decide the WebSocket handshake: every local Janus WebSocket then
 * negotiated permessage-deflate, costing a zlib context per socket (bench:soak) and half the
 * signalling throughput. Deployed, the default export is the entry and this class is unused.
 */
export class LocalEntry extends WorkerEntrypoint<Env> {
  override async fetch(request: Request): Promise<Response> {
    if (this.env.ASSETS && !API_PATH.test(new URL(request.url).pathname)) {
      const asset = await this.env.ASSETS.fetch(request);
      if (asset.status !== 404) return asset;
    }
    const response = await app.fetch(request, this.env, this.ctx);
    await drainUnread(request);
    return response;
  }
}

/** Bodies up to this size that a reply left unread are read to the end (see drainUnread). */
const DRAIN_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * workerd's HTTP server cannot reuse a keep-alive connection whose request body nobody read, and it
 * resets it: the client's next request on that connection (Node's fetch reuses them) then fails with
 * ECONNRESET. A refusal that never read the body (403, 404, 450 by Content-Length) reads it here,
 * up to a bound; a larger one is dropped with its connection, as it should be.
 */
async function drainUnread(request: Request): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > DRAIN_LIMIT_BYTES) return;
  const reader = request.body.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || (read += value.byteLength) > DRAIN_LIMIT_BYTES) break;
    }
  } catch {
    // the client went away
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
