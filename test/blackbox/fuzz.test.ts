/**
 * 10,000 generated bad requests over HTTP and WebSocket, to both the Janus API and the Admin API,
 * with bounded concurrency. Every reply must be a Janus error with a fitting code (or a documented
 * HTTP status for path-level cases) — never a 5xx, a dropped connection or a hang. Afterwards the
 * server still answers, and the sessions, handles and settings are exactly as before.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { makeCase, type FuzzCase, type Victims } from './support/fuzz.js';
import {
  ADMIN_SECRET,
  get,
  JanusHttp,
  janusErrorSchema,
  pool,
  RawWs,
  rng,
  startSignallingStack,
  type JanusMsg,
} from './support/janus.js';

const TOTAL = Number(process.env.FUZZ_TOTAL ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20260702);
const MAX_BODY = 262_144;
const API_SECRET = 'fuzz-s3cret';
const REQUEST_TIMEOUT_MS = 15_000;

let stack: Stack;
let api: JanusHttp;

beforeAll(async () => {
  stack = await startSignallingStack({ API_SECRET, LOG_LEVEL: 'error' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl, { apisecret: API_SECRET });
});

afterAll(async () => {
  await stack?.stop();
});

/** A pool of WebSocket connections, each carrying one request at a time (replies match by order). */
class WsPool {
  private free: RawWs[] = [];
  private waiting: ((ws: RawWs) => void)[] = [];
  replaced = 0;

  constructor(
    private readonly url: string,
    private readonly protocol: string,
  ) {}

  async init(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.free.push(await RawWs.open(this.url, this.protocol));
  }

  private acquire(): Promise<RawWs> {
    const ws = this.free.pop();
    if (ws) return Promise.resolve(ws);
    return new Promise((r) => this.waiting.push(r));
  }

  private async release(ws: RawWs): Promise<void> {
    if (ws.closed || ws.ws.readyState !== WebSocket.OPEN) {
      this.replaced++;
      ws.ws.terminate();
      ws = await RawWs.open(this.url, this.protocol);
    }
    const w = this.waiting.shift();
    if (w) w(ws);
    else this.free.push(ws);
  }

  /** Sends one frame and waits for the next message (or a close / timeout). */
  async send(data: string | Uint8Array): Promise<{ msg?: JanusMsg; error?: string }> {
    const ws = await this.acquire();
    try {
      const from = ws.received.length;
      const reply = new Promise<{ msg?: JanusMsg; error?: string }>((resolve) => {
        const timer = setTimeout(() => resolve({ error: 'no reply (timeout)' }), REQUEST_TIMEOUT_MS);
        const onClose = (code: number) => {
          clearTimeout(timer);
          resolve({ error: `connection closed (${code})` });
        };
        ws.ws.once('close', onClose);
        void ws
          .waitFor((m) => ws.received.indexOf(m) >= from, REQUEST_TIMEOUT_MS + 1000)
          .then(
            (m) => {
              clearTimeout(timer);
              ws.ws.off('close', onClose);
              resolve({ msg: m });
            },
            () => undefined,
          );
      });
      if (typeof data === 'string') ws.ws.send(data);
      else ws.ws.send(Buffer.from(data), { binary: true });
      return await reply;
    } finally {
      await this.release(ws);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.free.map((w) => w.close()));
  }
}

function describeCase(c: FuzzCase): string {
  // JSON-escaped so control characters never reach the terminal.
  const body =
    c.body === undefined
      ? '(none)'
      : typeof c.body === 'string'
        ? JSON.stringify(c.body.slice(0, 160))
        : `<${c.body.length} bytes>`;
  return `#${c.n} ${c.channel} ${c.kind} ${c.method} ${c.path || '/'} body=${body}${typeof c.body === 'string' && c.body.length > 160 ? `… (${c.body.length} chars)` : ''}`;
}

/** Judges a Janus error message against the case; returns a problem or undefined. */
function judge(c: FuzzCase, msg: unknown): string | undefined {
  const p = janusErrorSchema.safeParse(msg);
  if (!p.success) return `not a Janus error: ${JSON.stringify(msg)?.slice(0, 300)}`;
  const code = p.data.error.code;
  if (c.codes.length > 0 && !c.codes.includes(code))
    return `code ${code} (${p.data.error.reason}), expected ${c.codes.join('|')}`;
  // Janus leaves the transaction out of some errors (envelope, path conflicts); it must never be a wrong one.
  if (p.data.transaction !== undefined && p.data.transaction !== c.tx)
    return `wrong transaction ${String(p.data.transaction)} (sent ${String(c.tx)})`;
  return undefined;
}

async function runHttp(c: FuzzCase): Promise<string | undefined> {
  const base = c.channel === 'http-admin' ? stack.adminUrl : stack.httpUrl;
  let res: Response;
  try {
    res = await fetch(base + c.path, {
      method: c.method,
      body: c.body === undefined ? undefined : (c.body as BodyInit),
      headers: c.body === undefined ? undefined : { 'content-type': 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    return `request failed: ${String(err)}`;
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    return `reading the reply failed: ${String(err)}`;
  }
  if (res.status >= 500) return `HTTP ${res.status}: ${text.slice(0, 200)}`;
  if (c.statuses.includes(res.status)) return undefined;
  if (res.status !== 200)
    return `HTTP ${res.status} (allowed: 200${c.statuses.map((s) => `|${s}`).join('')}): ${text.slice(0, 200)}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `HTTP 200 with a non-JSON body: ${text.slice(0, 200)}`;
  }
  return judge(c, json);
}

describe('fuzz', () => {
  it(`${TOTAL.toLocaleString('en')} bad requests over HTTP and WebSocket (Janus + Admin) get Janus errors; nothing changes`, async () => {
    // Victims: live sessions with handles that many destructive-but-invalid requests aim at.
    const sessions: number[] = [];
    const handles: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await api.create();
      sessions.push(s);
      handles.push(await api.attach(s));
    }
    const victims: Victims = { apisecret: API_SECRET, adminSecret: ADMIN_SECRET, sessions, handles };
    const before = (await api.listSessions()).sort();
    const handlesBefore = await Promise.all(sessions.map((s) => api.listHandles(s)));
    const statusBefore = (await api.admin({ janus: 'get_status' })).body.status;

    const r = rng(SEED);
    const cases: FuzzCase[] = [];
    for (let n = 0; n < TOTAL; n++) cases.push(makeCase(n, r, victims, MAX_BODY));

    const janusWs = new WsPool(stack.wsUrl, 'janus-protocol');
    const adminWs = new WsPool(stack.adminWsUrl, 'janus-admin-protocol');
    await janusWs.init(12);
    await adminWs.init(8);

    const failures: string[] = [];
    const kinds = new Map<string, number>();
    const failedKinds = new Map<string, number>();
    const timeByChannel = new Map<string, number>();
    const timeByKind = new Map<string, number>();
    const started = Date.now();
    await pool(cases, 32, async (c) => {
      const k = `${c.channel} ${c.kind.split(':')[0]}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      let problem: string | undefined;
      const t0 = performance.now();
      if (c.channel.startsWith('http')) problem = await runHttp(c);
      else {
        const p = c.channel === 'ws-janus' ? janusWs : adminWs;
        const res = await p.send(c.body ?? '');
        problem = res.error ?? judge(c, res.msg);
      }
      if (problem) {
        failures.push(`${describeCase(c)} → ${problem}`);
        const fk = `${c.channel} ${c.kind}`;
        failedKinds.set(fk, (failedKinds.get(fk) ?? 0) + 1);
      }
      const ms = performance.now() - t0;
      timeByChannel.set(c.channel, (timeByChannel.get(c.channel) ?? 0) + ms);
      timeByKind.set(c.kind.split(':')[0]!, (timeByKind.get(c.kind.split(':')[0]!) ?? 0) + ms);
    });
    if (process.env.FUZZ_STATS) console.log({ timeByChannel, timeByKind });
    const elapsed = Date.now() - started;
    await janusWs.close();
    await adminWs.close();

    // Coverage of the generator: every channel saw every family.
    for (const ch of ['http-janus', 'http-admin', 'ws-janus', 'ws-admin']) {
      for (const fam of [
        'wrong-type',
        'missing',
        'unknown-verb',
        'semantic',
        'secret',
        'binary',
        'invalid-json',
        'non-object',
      ]) {
        expect(kinds.get(`${ch} ${fam}`) ?? 0, `${ch} ${fam}`).toBeGreaterThan(10);
      }
    }
    expect(cases.filter((c) => c.kind === 'huge').length).toBeGreaterThanOrEqual(20);

    const byKind = [...failedKinds].map(([k, n]) => `${k}: ${n}`).join('; ');
    expect(
      failures.slice(0, 40),
      `${failures.length} of ${TOTAL} cases failed (seed ${SEED}, ${elapsed} ms) — by kind: ${byKind}`,
    ).toEqual([]);
    expect(janusWs.replaced + adminWs.replaced, 'WebSocket connections dropped by the server').toBe(0);

    // The server still answers, and nothing changed.
    const info = await get(`${stack.httpUrl}/info`);
    expect(info.status).toBe(200);
    expect(info.body.janus).toBe('server_info');
    const ws = await RawWs.open(stack.wsUrl);
    try {
      expect((await ws.request({ janus: 'info' })).janus).toBe('server_info');
    } finally {
      await ws.close();
    }
    expect((await api.listSessions()).sort()).toEqual(before);
    expect(await Promise.all(sessions.map((s) => api.listHandles(s)))).toEqual(handlesBefore);
    expect((await api.admin({ janus: 'get_status' })).body.status).toEqual(statusBefore);
    const fresh = await api.create();
    expect((await api.destroy(fresh)).body.janus).toBe('success');
    for (const s of sessions) await api.destroy(s);
  }, 200_000);
});
