import { WorkerEntrypoint } from 'cloudflare:workers';
import type { Env } from './env.js';
import { app } from './app.js';

/** The API's paths; everything else is a demo page or janus.js. */
const API_PATH = /^\/(janus|admin|relay|health|metrics)(\/|$)/;

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
    return app.fetch(request, this.env, this.ctx);
  }
}
