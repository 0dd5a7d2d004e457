/**
 * Every way a session ends (§1.6): API `destroy`, Admin `destroy_session`, timeout and the source
 * WebSocket closing (RECLAIM_SESSION_TIMEOUT=0 → at once). Each must run the same path: one type-1
 * event (`destroyed`, or `timeout` for expiry) at the webhook, a type-2 `detached` per handle, and
 * the session gone from Admin `list_sessions`. Then a 1,000-session churn over all four paths, after
 * which the registry and the core `status: update` counts agree. Finally reclaim with
 * RECLAIM_SESSION_TIMEOUT=3: claimed in time it lives on, unclaimed it times out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import {
  JanusHttp,
  pool,
  RawWs,
  sleep,
  tx,
  waitUntil,
  Webhook,
  type HandlerEvent,
  startSignallingStack,
} from './support/janus.js';

const SESSION_TIMEOUT = 3;

interface Env {
  stack: Stack;
  hook: Webhook;
  api: JanusHttp;
}

async function startEnv(settings: Record<string, string>): Promise<Env> {
  const hook = await new Webhook().start();
  const stack = await startSignallingStack({ EVENTS_URL: hook.url, LOG_LEVEL: 'warn', ...settings });
  return { stack, hook, api: new JanusHttp(stack.httpUrl, stack.adminUrl) };
}

// Both stacks start up front (one after the other: concurrent starts race on the asset build).
let mainEnv: Env;
let reclaimEnv: Env;

beforeAll(async () => {
  mainEnv = await startEnv({
    SESSION_TIMEOUT: String(SESSION_TIMEOUT),
    RECLAIM_SESSION_TIMEOUT: '0',
    STATUS_PERIOD: '1',
    // each socket on a shard of its own, so claims and reclaims cross shards
    SHARD_FILL: '1',
  });
  reclaimEnv = await startEnv({ SESSION_TIMEOUT: '60', RECLAIM_SESSION_TIMEOUT: '3', SHARD_FILL: '1' });
}, 240_000);

afterAll(async () => {
  for (const e of [mainEnv, reclaimEnv]) {
    await e?.stack.stop();
    await e?.hook.stop();
  }
});

const sessionEnd = (hook: Webhook, sid: number) =>
  hook.find((e) => e.type === 1 && e.session_id === sid && e.event.name !== 'created');

/** Asserts the one termination path ran for `sid`: type-1 `name`, `detached` per handle, gone from the registry. */
async function expectEnded(
  env: Env,
  sid: number,
  handles: number[],
  name: 'destroyed' | 'timeout',
  timeoutMs = 8000,
): Promise<void> {
  const ev = await env.hook.waitFor(
    (e) => e.type === 1 && e.session_id === sid && e.event.name !== 'created',
    timeoutMs,
    `type-1 end event for ${sid}`,
  );
  expect(ev.event.name, `type-1 event for session ${sid}`).toBe(name);
  for (const hid of handles) {
    const d = await env.hook.waitFor(
      (e) => e.type === 2 && e.handle_id === hid && e.event.name === 'detached',
      5000,
      `detached for handle ${hid}`,
    );
    expect(d.session_id).toBe(sid);
    expect(d.event.plugin).toBe('janus.plugin.echotest');
  }
  expect(await env.api.listSessions()).not.toContain(sid);
  // Exactly one end event, never a second one from another path.
  await sleep(200);
  expect(sessionEnd(env.hook, sid)).toHaveLength(1);
}

async function wsCreate(ws: RawWs): Promise<number> {
  const r = await ws.request({ janus: 'create' });
  if (r.janus !== 'success') throw new Error(`ws create failed: ${JSON.stringify(r)}`);
  return (r.data as { id: number }).id;
}

async function wsAttach(ws: RawWs, sid: number): Promise<number> {
  const r = await ws.request({ janus: 'attach', session_id: sid, plugin: 'janus.plugin.echotest' });
  if (r.janus !== 'success') throw new Error(`ws attach failed: ${JSON.stringify(r)}`);
  return (r.data as { id: number }).id;
}

describe('termination paths (SESSION_TIMEOUT=3, RECLAIM_SESSION_TIMEOUT=0)', () => {
  let env: Env;

  beforeAll(() => {
    env = mainEnv;
  });

  it('API destroy', async () => {
    const sid = await env.api.create();
    const handles = [await env.api.attach(sid), await env.api.attach(sid)];
    await env.hook.waitFor((e) => e.type === 1 && e.session_id === sid && e.event.name === 'created');
    const r = await env.api.destroy(sid);
    expect(r.body).toMatchObject({ janus: 'success', session_id: sid });
    await expectEnded(env, sid, handles, 'destroyed');
  });

  it('Admin destroy_session', async () => {
    const sid = await env.api.create();
    const handles = [await env.api.attach(sid)];
    const r = await env.api.admin({ janus: 'destroy_session', session_id: sid });
    expect(r.body).toMatchObject({ janus: 'success', session_id: sid });
    await expectEnded(env, sid, handles, 'destroyed');
    const again = await env.api.janus(`/${sid}`, { janus: 'keepalive' });
    expect(again.body).toMatchObject({ janus: 'error', error: { code: 458 } });
  });

  it('timeout: the alarm expires idle sessions; a WebSocket client receives {janus:"timeout"}', async () => {
    const ws = await RawWs.open(env.stack.wsUrl);
    try {
      const started = Date.now();
      const wsSid = await wsCreate(ws);
      const wsHandle = await wsAttach(ws, wsSid);
      const httpSid = await env.api.create();
      const httpHandle = await env.api.attach(httpSid);
      const msg = await ws.waitFor((m) => m.janus === 'timeout', (SESSION_TIMEOUT + 6) * 1000, '{janus:"timeout"}');
      const elapsed = Date.now() - started;
      expect(msg.session_id).toBe(wsSid);
      expect(msg.transaction).toBeUndefined();
      expect(elapsed).toBeGreaterThanOrEqual(SESSION_TIMEOUT * 1000 - 250);
      await expectEnded(env, wsSid, [wsHandle], 'timeout');
      await expectEnded(env, httpSid, [httpHandle], 'timeout');
      // The client only learns of it through `timeout`, not a `detached` per handle.
      const after = await ws.request({ janus: 'keepalive', session_id: wsSid });
      expect(after).toMatchObject({ janus: 'error', error: { code: 458 } });
    } finally {
      await ws.close();
    }
  });

  it('keepalives keep a session past the timeout', async () => {
    const sid = await env.api.create();
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      expect((await env.api.janus(`/${sid}`, { janus: 'keepalive' })).body.janus).toBe('ack');
    }
    expect(await env.api.listSessions()).toContain(sid);
    expect(sessionEnd(env.hook, sid)).toHaveLength(0);
    await env.api.destroy(sid);
    await expectEnded(env, sid, [], 'destroyed');
  });

  it('WebSocket close destroys its sessions at once (RECLAIM_SESSION_TIMEOUT=0)', async () => {
    const ws = await RawWs.open(env.stack.wsUrl);
    // Several sessions with handles, all sourced by the one socket.
    const sessions: { sid: number; handles: number[] }[] = [];
    for (let i = 0; i < 6; i++) {
      const sid = await wsCreate(ws);
      sessions.push({ sid, handles: [await wsAttach(ws, sid), await wsAttach(ws, sid)] });
    }
    const listed = await env.api.listSessions();
    for (const s of sessions) expect(listed).toContain(s.sid);
    await ws.close();
    const closedAt = Date.now();
    await waitUntil(
      async () => {
        const l = await env.api.listSessions();
        return sessions.every((s) => !l.includes(s.sid));
      },
      3000,
      'sessions gone after close',
    );
    expect(Date.now() - closedAt).toBeLessThan(SESSION_TIMEOUT * 1000);
    for (const s of sessions) await expectEnded(env, s.sid, s.handles, 'destroyed');
  });

  it('a session claimed by another connection survives the first connection closing', async () => {
    const ws1 = await RawWs.open(env.stack.wsUrl);
    const ws2 = await RawWs.open(env.stack.wsUrl);
    const sid = await wsCreate(ws1);
    const hid = await wsAttach(ws1, sid);
    const claim = await ws2.request({ janus: 'claim', session_id: sid });
    // ws2 was sent on to another shard (SHARD_FILL=1): the claim crossed shards.
    expect(claim).toMatchObject({ janus: 'success', session_id: sid });
    await ws1.close();
    await sleep(500);
    expect(await env.api.listSessions()).toContain(sid);
    expect(sessionEnd(env.hook, sid)).toHaveLength(0);
    // Events now go to the claiming connection.
    const t = tx();
    await ws2.request({ janus: 'message', session_id: sid, handle_id: hid, body: {}, transaction: t });
    await ws2.waitFor((m) => m.janus === 'event' && m.transaction === t, 5000, 'event after claim');
    await ws2.close();
    await expectEnded(env, sid, [hid], 'destroyed', 3000);
  });

  it('churn: 1,000 sessions ended by all four paths leave nothing behind; status update agrees with list_sessions', async () => {
    type Path = 'api' | 'admin' | 'timeout' | 'ws';
    const paths: Path[] = [];
    for (const p of ['api', 'admin', 'timeout', 'ws'] as const) for (let i = 0; i < 250; i++) paths.push(p);
    // Interleave the paths deterministically.
    for (let i = paths.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [paths[i], paths[j]] = [paths[j]!, paths[i]!];
    }
    const created: { sid: number; hid: number; path: Path }[] = [];
    const failures: string[] = [];
    const started = Date.now();
    await pool(paths, 24, async (path) => {
      try {
        if (path === 'ws') {
          const ws = await RawWs.open(env.stack.wsUrl);
          try {
            const sid = await wsCreate(ws);
            const hid = await wsAttach(ws, sid);
            created.push({ sid, hid, path });
          } finally {
            await ws.close();
          }
          return;
        }
        const sid = await env.api.create();
        const hid = await env.api.attach(sid);
        created.push({ sid, hid, path });
        if (path === 'api') {
          const r = await env.api.destroy(sid);
          if (r.body?.janus !== 'success') failures.push(`api destroy ${sid}: ${r.text}`);
        } else if (path === 'admin') {
          const r = await env.api.admin({ janus: 'destroy_session', session_id: sid });
          if (r.body?.janus !== 'success') failures.push(`admin destroy ${sid}: ${r.text}`);
        }
      } catch (err) {
        failures.push(`${path}: ${String(err)}`);
      }
    });
    const churnMs = Date.now() - started;
    expect(failures, `churn took ${churnMs} ms`).toEqual([]);
    expect(created).toHaveLength(1000);
    const ids = new Set(created.map((c) => c.sid));
    expect(ids.size).toBe(1000);

    // All of them end: the timeout quarter after SESSION_TIMEOUT.
    await waitUntil(
      async () => {
        const l = await env.api.listSessions();
        return !l.some((s) => ids.has(s));
      },
      (SESSION_TIMEOUT + 10) * 1000,
      'churned sessions gone from list_sessions',
      250,
    );

    // Each got exactly one end event, of the right name, and its handle a detached event.
    await waitUntil(
      () => created.every((c) => sessionEnd(env.hook, c.sid).length > 0),
      15_000,
      'end events for all churned sessions',
      200,
    );
    const byName: Record<string, number> = {};
    const wrong: string[] = [];
    const ends = new Map<number, HandlerEvent[]>();
    for (const e of env.hook.events) {
      if (e.type === 1 && e.session_id !== undefined && e.event.name !== 'created' && ids.has(e.session_id)) {
        ends.set(e.session_id, [...(ends.get(e.session_id) ?? []), e]);
      }
    }
    const detached = new Set(
      env.hook.events.filter((e) => e.type === 2 && e.event.name === 'detached').map((e) => e.handle_id),
    );
    for (const c of created) {
      const list = ends.get(c.sid) ?? [];
      const want = c.path === 'timeout' ? 'timeout' : 'destroyed';
      byName[`${c.path}:${list.map((e) => String(e.event.name)).join('+')}`] =
        (byName[`${c.path}:${list.map((e) => String(e.event.name)).join('+')}`] ?? 0) + 1;
      if (list.length !== 1 || list[0]!.event.name !== want)
        wrong.push(`${c.path} ${c.sid}: ${JSON.stringify(list.map((e) => e.event.name))}`);
      if (!detached.has(c.hid)) wrong.push(`${c.path} ${c.sid}: no detached for handle ${c.hid}`);
    }
    expect(wrong.slice(0, 20), JSON.stringify(byName)).toEqual([]);

    // Quiet now: the next status update must report what the registry says.
    const quietAt = Date.now();
    const sessions = await env.api.listSessions();
    let handles = 0;
    for (const s of sessions) handles += (await env.api.listHandles(s))?.length ?? 0;
    const update = await env.hook.waitFor(
      (e) => e.type === 256 && e.event.status === 'update' && e.timestamp / 1000 > quietAt + 50,
      10_000,
      'core status update',
    );
    const info = update.event.info as {
      sessions: number;
      handles: number;
      peerconnections: number;
      'stats-period': number;
    };
    expect(info.sessions).toBe(sessions.length);
    expect(info.handles).toBe(handles);
    expect(typeof info.peerconnections).toBe('number');
    expect(info['stats-period']).toBe(1);
    expect(await env.api.listSessions()).toEqual(sessions);
  }, 180_000);
});

describe('reclaim (RECLAIM_SESSION_TIMEOUT=3)', () => {
  let env: Env;

  beforeAll(() => {
    env = reclaimEnv;
  });

  it('a closed connection’s session is claimed by a new WebSocket within the window and gets events again', async () => {
    const ws1 = await RawWs.open(env.stack.wsUrl);
    const sid = await wsCreate(ws1);
    const hid = await wsAttach(ws1, sid);
    await ws1.close();
    await sleep(1000);
    expect(await env.api.listSessions()).toContain(sid);

    const ws2 = await RawWs.open(env.stack.wsUrl);
    try {
      const claim = await ws2.request({ janus: 'claim', session_id: sid });
      expect(claim).toMatchObject({ janus: 'success', session_id: sid });
      const t = tx();
      const ack = await ws2.request({
        janus: 'message',
        session_id: sid,
        handle_id: hid,
        body: { audio: true },
        transaction: t,
      });
      expect(ack.janus).toBe('ack');
      const ev = await ws2.waitFor((m) => m.janus === 'event' && m.transaction === t, 5000, 'event after claim');
      expect(ev).toMatchObject({
        session_id: sid,
        sender: hid,
        plugindata: { data: { echotest: 'event', result: 'ok' } },
      });

      // Claimed: it outlives the reclaim window.
      await sleep(4500);
      expect(await env.api.listSessions()).toContain(sid);
      expect(sessionEnd(env.hook, sid)).toHaveLength(0);
    } finally {
      await ws2.close();
    }
    // The claiming connection is now the source: closing it starts a new window, then timeout.
    await expectEnded(env, sid, [hid], 'timeout', 9000);
  });

  it('an unclaimed session times out after the reclaim window (type-1 timeout)', async () => {
    const ws = await RawWs.open(env.stack.wsUrl);
    const sid = await wsCreate(ws);
    const hid = await wsAttach(ws, sid);
    await ws.close();
    const closedAt = Date.now();
    await sleep(1000);
    expect(await env.api.listSessions()).toContain(sid);
    await expectEnded(env, sid, [hid], 'timeout', 9000);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(2500);
    // Claiming after expiry fails.
    const ws2 = await RawWs.open(env.stack.wsUrl);
    try {
      const late = await ws2.request({ janus: 'claim', session_id: sid });
      expect(late).toMatchObject({ janus: 'error', error: { code: 458 } });
    } finally {
      await ws2.close();
    }
  });
});
