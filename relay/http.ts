import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export interface HttpHandlers {
  health(): Record<string, unknown>;
  metrics(): string;
  /** Debug census, optionally after a forced GC (only when node runs with --expose-gc). */
  resources(gc: boolean): Record<string, unknown>;
}

/** `GET /health` (JSON) and `GET /metrics` (Prometheus text) on RELAY_HTTP_PORT. */
export class HttpServer {
  private server: Server | undefined;

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly logger: Logger,
  ) {}

  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://relay');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      try {
        if (url.pathname === '/health') {
          const body = this.handlers.health();
          res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        } else if (url.pathname === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
          res.end(this.handlers.metrics());
        } else if (url.pathname === '/debug/resources') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.handlers.resources(url.searchParams.get('gc') === '1')));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        }
      } catch (err) {
        this.logger.error('http handler failed', { err });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    server.keepAliveTimeout = 1000;
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
