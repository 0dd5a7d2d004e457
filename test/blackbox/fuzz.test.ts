/**
 * 9,000 generated bad requests over HTTP and WebSocket, to both the Janus API and the Admin API,
 * with bounded concurrency. Every reply must be a Janus error with a fitting code (or a documented
 * HTTP status for path-level cases) — never a 5xx, a dropped connection or a hang. Afterwards the
 * server still answers, and the sessions, handles and settings are exactly as before.
 *
 * Then hostile SDPs (support/sdpFuzz.ts, after Janus's SDP fuzzer corpora) as `jsep` offers to
 * EchoTest handles and VideoRoom publishers, through the relay: each gets an ack and an event or a
 * Janus error, the relay keeps serving and releases every PeerConnection, and `list_sessions`,
 * `list_handles`, VideoRoom `list` and `listparticipants` show exactly what the test left open.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { makeCase, type FuzzCase, type Victims } from './support/fuzz.js';
import { makeSdpCase, SDP_FAMILIES, type SdpCase } from './support/sdpFuzz.js';
import {
  ADMIN_SECRET,
  get,
  JanusHttp,
  janusErrorSchema,
  pool,
  RawWs,
  rng,
  startSignallingStack,
  tx,
  waitUntil,
  type Json,
  type JanusMsg,
} from './support/janus.js';

const TOTAL = Number(process.env.FUZZ_TOTAL ?? 9_000);
const SDP_TOTAL = Number(process.env.FUZZ_SDP_TOTAL ?? 480);
const SEED = Number(process.env.FUZZ_SEED ?? 20260702);
const MAX_BODY = 262_144;
const API_SECRET = 'fuzz-s3cret';
const REQUEST_TIMEOUT_MS = 15_000;

let stack: Stack;
let api: JanusHttp;

beforeAll(async () => {
  // One relay, for the SDP cases that get as far as a PeerConnection.
  stack = await startSignallingStack({ API_SECRET, LOG_LEVEL: 'error', RELAY_REGIONS: 'local' });
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
    return `request failed: ${String(err)} (${String((err as { cause?: unknown }).cause)})`;
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

  it(`${SDP_TOTAL} hostile SDPs to EchoTest and VideoRoom publishers; afterwards sessions and rooms are exactly what the test left open`, async () => {
    const ECHO = 'janus.plugin.echotest';
    const VIDEOROOM = 'janus.plugin.videoroom';
    const before = (await api.listSessions()).sort();
    const ws = await RawWs.open(stack.wsUrl);
    const request = (body: Json, timeoutMs = REQUEST_TIMEOUT_MS) =>
      ws.request({ apisecret: API_SECRET, ...body }, { timeoutMs });
    const data = (m: JanusMsg) => (m.plugindata as { data: Record<string, unknown> } | undefined)?.data ?? {};
    const session = ((await request({ janus: 'create' })).data as { id: number }).id;
    const attach = async (plugin: string) =>
      ((await request({ janus: 'attach', session_id: session, plugin })).data as { id: number }).id;
    const echo: number[] = [];
    const publishers: number[] = [];
    for (let i = 0; i < 4; i++) echo.push(await attach(ECHO));
    for (let i = 0; i < 4; i++) publishers.push(await attach(VIDEOROOM));
    /** A synchronous VideoRoom request on the first publisher's handle. */
    const roomRequest = async (body: Json) =>
      data(await request({ janus: 'message', session_id: session, handle_id: publishers[0], body }));
    const room = 70_000_000 + Math.floor(Math.random() * 1e6);
    expect(await roomRequest({ request: 'create', room, publishers: 10 })).toMatchObject({ videoroom: 'created' });
    const ids = publishers.map((_, i) => 100 + i);
    for (const [i, h] of publishers.entries()) {
      const t = tx();
      await request({
        janus: 'message',
        session_id: session,
        handle_id: h,
        transaction: t,
        body: { request: 'join', ptype: 'publisher', room, id: ids[i] },
      });
      const joined = await ws.waitFor((m) => m.transaction === t && m.janus === 'event', REQUEST_TIMEOUT_MS, 'joined');
      expect(data(joined)).toMatchObject({ videoroom: 'joined', id: ids[i] });
    }

    const r = rng(SEED + 1);
    const cases: SdpCase[] = [];
    for (let n = 0; n < SDP_TOTAL; n++) cases.push(makeSdpCase(n, r));
    const targets = [...echo.map((h) => ({ h, plugin: ECHO })), ...publishers.map((h) => ({ h, plugin: VIDEOROOM }))];
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    const families = new Map<string, number>();
    // One case at a time per handle (a handle negotiates one offer at a time), the handles in parallel.
    await Promise.all(
      targets.map(async ({ h, plugin }, ti) => {
        for (let k = ti; k < cases.length; k += targets.length) {
          const c = cases[k]!;
          families.set(c.family.replace(/^jsep:/, ''), (families.get(c.family.replace(/^jsep:/, '')) ?? 0) + 1);
          const what = `#${c.n} ${c.family} → ${plugin}`;
          const t = tx();
          const body =
            plugin === ECHO ? { audio: true, video: true } : { request: 'configure', audio: true, video: true };
          let reply: JanusMsg;
          try {
            reply = await request({
              janus: 'message',
              session_id: session,
              handle_id: h,
              transaction: t,
              body,
              jsep: c.jsep,
            });
          } catch (err) {
            problems.push(`${what}: ${String(err).slice(0, 200)}`);
            continue;
          }
          if (reply.janus === 'error') {
            if (!janusErrorSchema.safeParse(reply).success)
              problems.push(`${what}: malformed error ${JSON.stringify(reply)}`);
            count(`error ${(reply.error as { code: number }).code}`);
            continue;
          }
          if (reply.janus !== 'ack') {
            problems.push(`${what}: neither ack nor error: ${JSON.stringify(reply).slice(0, 200)}`);
            continue;
          }
          let event: JanusMsg;
          try {
            event = await ws.waitFor(
              (m) => m.transaction === t && m.janus === 'event',
              REQUEST_TIMEOUT_MS,
              `${what} event`,
            );
          } catch (err) {
            problems.push(`${what}: ${String(err).slice(0, 200)}`);
            continue;
          }
          if (!event.jsep) {
            count('event without jsep');
            continue;
          }
          // The relay took it: hang the PeerConnection up before the next offer to this handle.
          count('answered');
          const hung = await request({ janus: 'hangup', session_id: session, handle_id: h });
          if (hung.janus !== 'success') problems.push(`${what}: hangup answered ${JSON.stringify(hung)}`);
        }
      }),
    );
    if (process.env.FUZZ_STATS) console.log({ outcomes, families });
    expect(ws.closed, 'the WebSocket was dropped').toBe(false);
    for (const f of SDP_FAMILIES) expect(families.get(f) ?? 0, f).toBeGreaterThanOrEqual(Math.floor(SDP_TOTAL / 40));
    expect(
      problems.slice(0, 40),
      `${problems.length} of ${SDP_TOTAL} SDP cases failed (seed ${SEED + 1}); outcomes ${JSON.stringify([...outcomes])}`,
    ).toEqual([]);

    // The relay keeps serving and holds no PeerConnection once every handle is hung up.
    for (const h of [...echo, ...publishers]) await request({ janus: 'hangup', session_id: session, handle_id: h });
    const relayHealth = async () =>
      (await (await fetch(`${stack.relays[0]!.httpUrl}/health`)).json()) as { status: string; peers: number };
    await waitUntil(async () => (await relayHealth()).peers === 0, 15_000, 'the relay to release every PeerConnection');
    expect((await relayHealth()).status).toBe('ok');

    // Exactly what the test left open: its session with its eight handles, its room with four
    // participants, none of them publishing now.
    expect((await api.listSessions()).sort()).toEqual([...before, session].sort());
    expect((await api.listHandles(session))?.sort()).toEqual([...echo, ...publishers].sort());
    const listed = (
      (await roomRequest({ request: 'list' })).list as { room: number; num_participants: number }[]
    ).filter((x) => x.room === room);
    expect(listed).toMatchObject([{ room, num_participants: 4 }]);
    await waitUntil(
      async () => {
        const ps = (await roomRequest({ request: 'listparticipants', room })).participants as {
          id: number;
          publisher: boolean;
        }[];
        return ps.length === 4 && ps.every((p) => !p.publisher);
      },
      15_000,
      'every participant unpublished',
    );
    const participants = (await roomRequest({ request: 'listparticipants', room })).participants as { id: number }[];
    expect(participants.map((p) => p.id).sort()).toEqual(ids);

    // And closing it leaves nothing behind.
    expect(await roomRequest({ request: 'destroy', room })).toMatchObject({ videoroom: 'destroyed' });
    expect((await request({ janus: 'destroy', session_id: session })).janus).toBe('success');
    await ws.close();
    expect((await api.listSessions()).sort()).toEqual(before);
    const rooms = await api.admin({ janus: 'message_plugin', plugin: VIDEOROOM, request: { request: 'list' } });
    expect(((rooms.body.response as { list: { room: number }[] }).list ?? []).map((x) => x.room)).not.toContain(room);
  }, 200_000);
});
