/**
 * The soak benchmark's hostile phase: bad requests from the fuzz suite's generator
 * (test/blackbox/support/fuzz.ts: wrong types, missing fields, unknown verbs, wrong secrets, binary
 * and invalid JSON, huge bodies, odd HTTP methods and paths) over HTTP and WebSocket, to both the
 * Janus API and the Admin API, aimed at a few live "victim" sessions. Replies are counted, not
 * judged (the fuzz suite judges them); what matters here is the memory left behind.
 */
import { makeCase, type FuzzCase, type Victims } from '../../test/blackbox/support/fuzz.js';
import { pool, RawWs, rng } from '../../test/blackbox/support/janus.js';

export interface HostileUrls {
  httpUrl: string;
  adminUrl: string;
  wsUrl: string;
  adminWsUrl: string;
  apisecret: string;
  adminSecret: string;
}

export interface HostileResult {
  requests: number;
  http5xx: number;
  failed: number;
  firstFailure?: string;
  droppedSockets: number;
  seconds: number;
}

const MAX_BODY = 262_144;
const REPLY_TIMEOUT_MS = 15_000;
const CONCURRENCY = 32;

/** WebSockets carrying one request at a time; a socket the server closed is replaced. */
class SocketPool {
  private readonly free: RawWs[] = [];
  private readonly waiting: Array<(ws: RawWs) => void> = [];
  dropped = 0;

  constructor(
    private readonly url: string,
    private readonly protocol: string,
  ) {}

  async open(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.free.push(await RawWs.open(this.url, this.protocol));
  }

  /** Sends one frame; resolves when the next message, a close or the timeout comes. */
  async send(data: string | Uint8Array): Promise<boolean> {
    const ws = this.free.pop() ?? (await new Promise<RawWs>((r) => this.waiting.push(r)));
    let answered = false;
    try {
      const reply = ws
        .next(() => true, REPLY_TIMEOUT_MS)
        .then(
          () => (answered = true),
          () => undefined,
        );
      let onClose: () => void = () => undefined;
      const closed = new Promise<void>((r) => ws.ws.once('close', (onClose = r)));
      ws.ws.send(typeof data === 'string' ? data : Buffer.from(data));
      await Promise.race([reply, closed]);
      ws.ws.off('close', onClose);
    } finally {
      await this.release(ws);
    }
    return answered;
  }

  private async release(ws: RawWs): Promise<void> {
    if (ws.closed) {
      this.dropped++;
      ws = await RawWs.open(this.url, this.protocol);
    }
    ws.received.length = 0; // nothing waits on older messages
    const w = this.waiting.shift();
    if (w) w(ws);
    else this.free.push(ws);
  }

  close(): Promise<void[]> {
    return Promise.all(this.free.map((w) => w.close()));
  }
}

/** POSTs a request that must succeed; the id it created. */
async function createdId(url: string, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ ...body, transaction: 'soak' }) });
  const reply = (await res.json()) as { janus: string; data?: { id: number } };
  if (reply.janus !== 'success' || !reply.data) throw new Error(`${String(body.janus)}: ${JSON.stringify(reply)}`);
  return reply.data.id;
}

/** Live sessions with an EchoTest handle each, for the destructive-but-invalid cases to aim at. */
async function victims(u: HostileUrls): Promise<Victims> {
  const sessions: number[] = [];
  const handles: number[] = [];
  for (let i = 0; i < 4; i++) {
    const s = await createdId(u.httpUrl, { janus: 'create', apisecret: u.apisecret });
    const h = await createdId(`${u.httpUrl}/${s}`, {
      janus: 'attach',
      plugin: 'janus.plugin.echotest',
      apisecret: u.apisecret,
    });
    sessions.push(s);
    handles.push(h);
  }
  return { apisecret: u.apisecret, adminSecret: u.adminSecret, sessions, handles };
}

async function overHttp(u: HostileUrls, c: FuzzCase): Promise<{ status: number } | { error: string }> {
  const base = c.channel === 'http-admin' ? u.adminUrl : u.httpUrl;
  try {
    const res = await fetch(base + c.path, {
      method: c.method,
      body: c.body === undefined ? undefined : (c.body as BodyInit),
      headers: c.body === undefined ? undefined : { 'content-type': 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(REPLY_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (err) {
    return { error: String(err) };
  }
}

export async function hostileRequests(u: HostileUrls, count: number, seed: number): Promise<HostileResult> {
  const t0 = performance.now();
  const v = await victims(u);
  const r = rng(seed);
  const cases = Array.from({ length: count }, (_, n) => makeCase(n, r, v, MAX_BODY));
  const janusWs = new SocketPool(u.wsUrl, 'janus-protocol');
  const adminWs = new SocketPool(u.adminWsUrl, 'janus-admin-protocol');
  await janusWs.open(12);
  await adminWs.open(8);
  const result: HostileResult = { requests: 0, http5xx: 0, failed: 0, droppedSockets: 0, seconds: 0 };
  const fail = (why: string) => {
    result.failed++;
    result.firstFailure ??= why;
  };
  try {
    await pool(cases, CONCURRENCY, async (c) => {
      result.requests++;
      if (c.channel.startsWith('http')) {
        const out = await overHttp(u, c);
        if ('error' in out) fail(`#${c.n} ${c.channel} ${c.kind}: ${out.error}`);
        else if (out.status >= 500) result.http5xx++;
        return;
      }
      const answered = await (c.channel === 'ws-janus' ? janusWs : adminWs).send(c.body ?? '');
      if (!answered) fail(`#${c.n} ${c.channel} ${c.kind}: no reply`);
    });
  } finally {
    result.droppedSockets = janusWs.dropped + adminWs.dropped;
    await janusWs.close();
    await adminWs.close();
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}
