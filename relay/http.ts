import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { checkBearer } from '../shared/control/auth.js';
import type { Logger } from './logger.js';

export interface HttpHandlers {
  health(): Record<string, unknown>;
  metrics(): string;
  /** Debug census, optionally after a forced GC (only when node runs with --expose-gc). */
  resources(gc: boolean): Record<string, unknown>;
  /** RELAY_WORKER_THREADS: the relay threads; `crash` (test-only) makes that thread throw first. */
  threads(crash: number | undefined): Record<string, unknown>;
}

/** On every response: nothing here is a page, so nothing may be sniffed, framed, run or referred from. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const MAX_HEADERS = 100;

/** A request Node's parser refused, answered in full before the socket closes (no internals in it). */
function badRequest(status: 400 | 431): string {
  const body = JSON.stringify({ error: status === 431 ? 'request header fields too large' : 'bad request' });
  const head = [
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries(securityHeaders).map(([k, v]) => `${k}: ${v}`),
    'connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * `GET /health` (JSON), `GET /metrics` (Prometheus text) and, with the relay secret as a bearer token,
 * `GET /debug/resources` and `GET /debug/threads` (`?crash=N`: a test makes relay thread N throw) on RELAY_HTTP_PORT, bound to RELAY_HTTP_BIND_ADDRESS (loopback by default:
 * the ICE address is public, this server is for the operator's scraper).
 */
export class HttpServer {
  private server: Server | undefined;

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly logger: Logger,
    private readonly secret: string,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer({ maxHeaderSize: 16_384 }, (req, res) => this.handle(req, res));
    // Node's default answer to a request its parser refuses is fine, but bare; give it our headers.
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || (err.code === 'ECONNRESET' && !socket.bytesRead)) return socket.destroy();
      socket.end(badRequest(err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400));
    });
    server.keepAliveTimeout = 1000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    const reply = (status: number, body: string, type = 'application/json', extra: Record<string, string> = {}): void =>
      void res.writeHead(status, { 'content-type': type, ...extra }).end(req.method === 'HEAD' ? undefined : body);
    // Node silently keeps the first 2,000 headers; no client of ours sends more than a handful.
    if (req.rawHeaders.length / 2 > MAX_HEADERS)
      return reply(431, '{"error":"request header fields too large"}', 'application/json', { connection: 'close' });
    // Only origin-form targets name a resource here ("/path?query"); absolute or asterisk forms do not.
    const target = req.url ?? '';
    if (!target.startsWith('/') || target.startsWith('//')) return reply(400, '{"error":"bad request"}');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, '{"error":"method not allowed"}', 'application/json', { allow: 'GET, HEAD' });
    const url = new URL(target, 'http://relay');
    try {
      if (url.pathname === '/health') {
        const body = this.handlers.health();
        return reply(body.status === 'ok' ? 200 : 503, JSON.stringify(body));
      }
      if (url.pathname === '/metrics') return reply(200, this.handlers.metrics(), 'text/plain; version=0.0.4');
      if (url.pathname.startsWith('/debug/')) {
        if (!checkBearer(req.headers.authorization, this.secret))
          return reply(401, '{"error":"unauthorized"}', 'application/json', { 'www-authenticate': 'Bearer' });
        if (url.pathname === '/debug/resources')
          return reply(200, JSON.stringify(this.handlers.resources(url.searchParams.get('gc') === '1')));
        if (url.pathname === '/debug/threads') {
          const crash = url.searchParams.get('crash');
          return reply(200, JSON.stringify(this.handlers.threads(crash === null ? undefined : Number(crash))));
        }
      }
      return reply(404, '{"error":"not found"}');
    } catch (err) {
      this.logger.error('http handler failed', { err });
      if (res.headersSent) return void res.end();
      return reply(500, '{"error":"internal error"}');
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
