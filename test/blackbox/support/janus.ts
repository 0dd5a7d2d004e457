/**
 * Small black-box helpers for the Janus API over real HTTP and WebSocket: JSON posts, a raw
 * WebSocket client that matches replies by transaction, a webhook receiver for event handlers,
 * a bounded-concurrency runner and polling waits. Nothing here knows about the edge's internals.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { z } from 'zod';
import { startStack, type Stack } from '../../support/stack.js';

export const ADMIN_SECRET = 'janusoverlord';

export type Json = Record<string, unknown>;
export type JanusMsg = Json & { janus: string; transaction?: string; session_id?: number; sender?: number };

export const tx = (): string => randomUUID();

/** The shape of every Janus error reply (§1.1). */
export const janusErrorSchema = z.object({
  janus: z.literal('error'),
  transaction: z.string().optional(),
  session_id: z.number().int().optional(),
  error: z.object({ code: z.number().int(), reason: z.string() }),
});

/** An event-handler event as POSTed to the webhook (§4): the shared schema is the contract. */
import { handlerEventSchema, type HandlerEvent } from '../../../shared/janus/events.js';

export { handlerEventSchema, type HandlerEvent };

export interface HttpReply<T = JanusMsg> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
  ms: number;
}

/** POSTs a JSON body (or a raw string/bytes) and parses the reply when it is JSON. */
export async function post<T = JanusMsg>(url: string, body: unknown, init: RequestInit = {}): Promise<HttpReply<T>> {
  const started = performance.now();
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw as BodyInit,
    signal: AbortSignal.timeout(20_000),
    ...init,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the caller reads `text`
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers, ms: performance.now() - started };
}

export async function get<T = JanusMsg>(url: string, init: RequestInit = {}): Promise<HttpReply<T>> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(40_000), ...init });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the caller reads `text`
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers, ms: performance.now() - started };
}

/** A thin REST client for one stack's `/janus` and `/admin`. */
export class JanusHttp {
  constructor(
    readonly httpUrl: string,
    readonly adminUrl: string,
    readonly auth: { apisecret?: string; token?: string; admin_secret?: string } = {},
  ) {}

  private withAuth(body: Json): Json {
    const b: Json = { transaction: tx(), ...body };
    if (this.auth.apisecret !== undefined && b.apisecret === undefined) b.apisecret = this.auth.apisecret;
    if (this.auth.token !== undefined && b.token === undefined) b.token = this.auth.token;
    return b;
  }

  async janus(path: string, body: Json): Promise<HttpReply> {
    return post(this.httpUrl + path, this.withAuth(body));
  }

  async admin(body: Json, path = ''): Promise<HttpReply> {
    return post(this.adminUrl + path, {
      transaction: tx(),
      admin_secret: this.auth.admin_secret ?? ADMIN_SECRET,
      ...body,
    });
  }

  /** create → session id (throws on error). */
  async create(extra: Json = {}): Promise<number> {
    const r = await this.janus('', { janus: 'create', ...extra });
    if (r.body?.janus !== 'success') throw new Error(`create failed: ${r.text}`);
    return (r.body.data as { id: number }).id;
  }

  async attach(session: number, plugin = 'janus.plugin.echotest', extra: Json = {}): Promise<number> {
    const r = await this.janus(`/${session}`, { janus: 'attach', plugin, ...extra });
    if (r.body?.janus !== 'success') throw new Error(`attach failed: ${r.text}`);
    return (r.body.data as { id: number }).id;
  }

  async destroy(session: number): Promise<HttpReply> {
    return this.janus(`/${session}`, { janus: 'destroy' });
  }

  async listSessions(): Promise<number[]> {
    const r = await this.admin({ janus: 'list_sessions' });
    if (r.body?.janus !== 'success') throw new Error(`list_sessions failed: ${r.text}`);
    return r.body.sessions as number[];
  }

  async listHandles(session: number): Promise<number[] | undefined> {
    const r = await this.admin({ janus: 'list_handles', session_id: session });
    if (r.body?.janus !== 'success') return undefined;
    return r.body.handles as number[];
  }
}

/**
 * A raw WebSocket client (`janus-protocol` or `janus-admin-protocol`). `request` resolves with the
 * first reply carrying the request's transaction that is not an `ack` (unless `ack` is wanted);
 * everything received is kept in `received` for `waitFor`.
 */
export class RawWs {
  readonly received: JanusMsg[] = [];
  private waiters: { pred: (m: JanusMsg) => boolean; resolve: (m: JanusMsg) => void }[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      let m: JanusMsg;
      try {
        m = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString()) as JanusMsg;
      } catch {
        m = { janus: '__unparseable__', raw: data.toString() };
      }
      this.received.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('close', () => {
      this.closed = true;
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, protocol = 'janus-protocol'): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocol, { maxPayload: 64 * 1024 * 1024 });
      const client = new RawWs(ws);
      const timer = setTimeout(() => reject(new Error(`ws open timeout ${url}`)), 15_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  waitFor(pred: (m: JanusMsg) => boolean, timeoutMs = 10_000, what = 'message'): Promise<JanusMsg> {
    const hit = this.received.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (m: JanusMsg) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Waits for the next message received after now that matches. */
  next(pred: (m: JanusMsg) => boolean, timeoutMs = 10_000, what = 'message'): Promise<JanusMsg> {
    const from = this.received.length;
    return this.waitFor((m) => this.received.indexOf(m) >= from && pred(m), timeoutMs, what);
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  async request(body: Json, opts: { timeoutMs?: number; skipAck?: boolean } = {}): Promise<JanusMsg> {
    const t = typeof body.transaction === 'string' ? body.transaction : tx();
    const from = this.received.length;
    const p = this.waitFor(
      (m) => this.received.indexOf(m) >= from && m.transaction === t && (opts.skipAck !== true || m.janus !== 'ack'),
      opts.timeoutMs ?? 10_000,
      `reply to ${String(body.janus)}`,
    );
    this.ws.send(JSON.stringify({ ...body, transaction: t }));
    return p;
  }

  close(): Promise<void> {
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 3000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }
}

/**
 * A local HTTP server standing in for the event handler backend (`EVENTS_URL`). Every POST body
 * is kept; `mode` decides how POSTs are answered: `ok` (200), `fail` (500 for the next `failNext`
 * POSTs, then 200) or `hang` (never answered).
 */
export class Webhook {
  readonly posts: { at: number; body: unknown; status: number }[] = [];
  readonly events: HandlerEvent[] = [];
  readonly invalid: unknown[] = [];
  mode: 'ok' | 'hang' = 'ok';
  failNext = 0;
  private hung: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode === 'hang') {
        this.hung.push(res);
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      if (this.failNext > 0) {
        this.failNext--;
        this.posts.push({ at: Date.now(), body, status: 500 });
        res.writeHead(500).end('nope');
        return;
      }
      this.posts.push({ at: Date.now(), body, status: 200 });
      const list = Array.isArray(body) ? body : [body];
      for (const e of list) {
        const parsed = handlerEventSchema.safeParse(e);
        if (parsed.success) this.events.push(parsed.data);
        else this.invalid.push(e);
      }
      res.writeHead(200).end('ok');
    });
  }

  /** POSTs received in `hang` mode and never answered. */
  get hungCount(): number {
    return this.hung.length;
  }

  find(pred: (e: HandlerEvent) => boolean): HandlerEvent[] {
    return this.events.filter(pred);
  }

  async waitFor(pred: (e: HandlerEvent) => boolean, timeoutMs = 10_000, what = 'event'): Promise<HandlerEvent> {
    let hit: HandlerEvent | undefined;
    await waitUntil(() => (hit = this.events.find(pred)) !== undefined, timeoutMs, what);
    return hit!;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung = [];
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds or the time is up (then throws with `what`). */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
  stepMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results keep the items' order. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** Deterministic PRNG (mulberry32) so a failing fuzz case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The stack for signalling-only black-box tests: the real edge in workerd, without media relays
 * (RELAY_REGIONS empty; no test here negotiates media). Pass RELAY_REGIONS to get relays.
 */
export async function startSignallingStack(env: Record<string, string> = {}): Promise<Stack> {
  return startStack({ RELAY_REGIONS: '', LOG_LEVEL: 'warn', ...env });
}
