/**
 * The real Janus client library (janode) against the running stack over WebSocket: Janus API
 * (`janus-protocol`) session/handle lifecycle with the EchoTest plugin, getInfo, and the Admin API
 * over its own WebSocket subprotocol (`janus-admin-protocol`).
 */
import Janode, { type JanodeConnection } from 'janode';
import EchoTestPlugin, { type EchoTestHandle } from 'janode/plugins/echotest';
import VideoRoomPlugin, { type VideoRoomHandle } from 'janode/plugins/videoroom';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Stack } from '../support/stack.js';
import { ADMIN_SECRET, JanusHttp, RawWs, tx, waitUntil, startSignallingStack } from './support/janus.js';

let stack: Stack;
let http: JanusHttp;
const connections: JanodeConnection[] = [];

/** Every warning or error line janode printed (it logs them through console.warn/console.error). */
const janodeComplaints: string[] = [];

beforeAll(async () => {
  // janode says so when a reply surprises it ("transaction not found", "error while detaching"):
  // with Janus's exact shapes and order it must have nothing to say.
  Janode.Logger.setLevel('warning');
  for (const fn of ['warn', 'error'] as const)
    vi.spyOn(console, fn).mockImplementation((...args: unknown[]) => {
      janodeComplaints.push(args.map(String).join(' '));
    });
  stack = await startSignallingStack({ LOG_LEVEL: 'warn' });
  http = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterEach(() => {
  expect(janodeComplaints).toEqual([]);
});

afterAll(async () => {
  for (const c of connections) await c.close().catch(() => undefined);
  await stack?.stop();
  vi.restoreAllMocks();
});

async function connect(isAdmin = false): Promise<JanodeConnection> {
  const c = await Janode.connect({
    is_admin: isAdmin,
    address: { url: isAdmin ? stack.adminWsUrl : stack.wsUrl, ...(isAdmin ? { apisecret: ADMIN_SECRET } : {}) },
    max_retries: 1,
  });
  connections.push(c);
  return c;
}

describe('janode over the Janus WebSocket API', () => {
  it('create → attach echotest → message → event → detach → destroy', async () => {
    const conn = await connect();
    const session = await conn.create();
    expect(Number.isSafeInteger(session.id) && session.id > 0).toBe(true);
    expect(await http.listSessions()).toContain(session.id);

    const handle = await session.attach<EchoTestHandle>(EchoTestPlugin);
    expect(Number.isSafeInteger(handle.id) && handle.id > 0).toBe(true);
    expect(await http.listHandles(session.id)).toEqual([handle.id]);

    // janode resolves `message` with the plugin event that closes the transaction (after the ack).
    const results: unknown[] = [];
    handle.on(EchoTestPlugin.EVENT.ECHOTEST_RESULT, (d: unknown) => results.push(d));
    const reply = await handle.message({ audio: true, video: true });
    expect(reply.janus).toBe('event');
    expect(reply.session_id).toBe(session.id);
    expect(reply.sender).toBe(handle.id);
    expect(reply.plugindata).toEqual({ plugin: 'janus.plugin.echotest', data: { echotest: 'event', result: 'ok' } });

    let detachedEvent = false;
    handle.once(Janode.EVENT.HANDLE_DETACHED, () => (detachedEvent = true));
    await handle.detach(); // janode swallows detach errors, so check the server side too
    await waitUntil(() => detachedEvent, 5000, 'janode HANDLE_DETACHED');
    expect(await http.listHandles(session.id)).toEqual([]);

    let destroyedEvent = false;
    session.once(Janode.EVENT.SESSION_DESTROYED, () => (destroyedEvent = true));
    await session.destroy();
    expect(destroyedEvent).toBe(true);
    expect(await http.listSessions()).not.toContain(session.id);
  });

  it('detach over WebSocket answers success before the detached event, as Janus does (janode closes the transaction on detached)', async () => {
    const ws = await RawWs.open(stack.wsUrl);
    try {
      const idOf = (m: { [key: string]: unknown }) => (m.data as { id: number }).id;
      const sid = idOf(await ws.request({ janus: 'create' }));
      const hid = idOf(await ws.request({ janus: 'attach', session_id: sid, plugin: 'janus.plugin.echotest' }));
      const from = ws.received.length;
      await ws.request({ janus: 'detach', session_id: sid, handle_id: hid, transaction: 'detach-order' });
      await ws.waitFor((m) => m.janus === 'detached' && m.sender === hid, 5000, 'detached');
      const order = ws.received
        .slice(from)
        .filter((m) => m.transaction === 'detach-order' || m.janus === 'detached')
        .map((m) => m.janus);
      expect(order).toEqual(['success', 'detached']);
      await ws.request({ janus: 'destroy', session_id: sid });
    } finally {
      ws.ws.close();
    }
  });

  it("janode's VideoRoom wrapper: create, join as publisher, list, leave, destroy, detach", async () => {
    const conn = await connect();
    const session = await conn.create();
    const handle = await session.attach<VideoRoomHandle>(VideoRoomPlugin);
    const room = 4_400_000 + Math.floor(Math.random() * 100_000);
    expect(await handle.create({ room, description: 'janode', secret: 's' })).toMatchObject({ room });
    expect(await handle.exists({ room })).toMatchObject({ room, exists: true });
    const joined = await handle.joinPublisher({ room, feed: 7, display: 'jan' });
    expect(joined).toMatchObject({ room, feed: 7, display: 'jan', publishers: [] });
    const listed = await handle.listParticipants({ room });
    expect(listed.participants.map((p: { feed: number }) => p.feed)).toEqual([7]);
    expect((await handle.list()).list.map((r: { room: number }) => r.room)).toContain(room);
    expect(await handle.leave()).toMatchObject({ room, feed: 7 });
    expect(await handle.destroy({ room, secret: 's' })).toMatchObject({ room });
    await handle.detach();
    await session.destroy();
    expect(await http.listSessions()).not.toContain(session.id);
  });

  it('reports plugin errors as echotest error events (transaction closed with an error)', async () => {
    const conn = await connect();
    const session = await conn.create();
    const handle = await session.attach<EchoTestHandle>(EchoTestPlugin);
    await expect(handle.message({ audio: 'yes' })).rejects.toThrow(/413/);
    await session.destroy();
  });

  it('getInfo returns server_info with the echotest plugin and the WebSocket transport protocol', async () => {
    const conn = await connect();
    const info = await conn.getInfo();
    expect(info.janus).toBe('server_info');
    expect(typeof info.name).toBe('string');
    expect(typeof info.version).toBe('number');
    expect(typeof info.version_string).toBe('string');
    expect(info['session-timeout']).toBe(60);
    expect(Object.keys(info.plugins as object)).toContain('janus.plugin.echotest');
    expect(info.api_secret).toBe(false);
    expect(info.auth_token).toBe(false);
  });

  it('a janode session sends keepalives that the server acknowledges', async () => {
    const conn = await connect();
    const session = await conn.create(1); // keepalive every second
    const ws = await RawWs.open(stack.wsUrl);
    try {
      // The session is alive and answers keepalives from any connection too.
      const ka = await ws.request({ janus: 'keepalive', session_id: session.id });
      expect(ka).toMatchObject({ janus: 'ack', session_id: session.id });
    } finally {
      await ws.close();
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(await http.listSessions()).toContain(session.id);
    await session.destroy();
  });
});

describe('raw Janus WebSocket ordering', () => {
  it('an ack always reaches the client before the event it announces, on whichever shard the session lives', async () => {
    const ws = await RawWs.open(stack.wsUrl);
    try {
      // Several sessions in turn on the socket's shard.
      for (let i = 0; i < 6; i++) {
        const created = await ws.request({ janus: 'create' });
        const sid = (created.data as { id: number }).id;
        const attached = await ws.request({ janus: 'attach', session_id: sid, plugin: 'janus.plugin.echotest' });
        const hid = (attached.data as { id: number }).id;
        const txs = Array.from({ length: 20 }, () => tx());
        for (const t of txs)
          ws.send(
            JSON.stringify({
              janus: 'message',
              session_id: sid,
              handle_id: hid,
              transaction: t,
              body: { audio: true },
            }),
          );
        for (const t of txs) {
          await ws.waitFor((m) => m.janus === 'event' && m.transaction === t, 5000, `event ${t}`);
          const kinds = ws.received.filter((m) => m.transaction === t).map((m) => m.janus);
          expect(kinds).toEqual(['ack', 'event']);
        }
        await ws.request({ janus: 'destroy', session_id: sid });
      }
    } finally {
      await ws.close();
    }
  });
});

describe('Admin API over WebSocket (janus-admin-protocol)', () => {
  it('janode admin connection lists sessions and handles', async () => {
    const api = await connect();
    const session = await api.create();
    const handle = await session.attach({ id: 'janus.plugin.echotest' });

    const admin = await connect(true);
    const list = await admin.listSessions();
    expect(list.janus).toBe('success');
    expect(list.sessions).toContain(session.id);
    const handles = await admin.listHandles(session.id);
    expect(handles.handles).toEqual([handle.id]);
    const info = await admin.handleInfo(session.id, handle.id);
    expect(info).toMatchObject({ janus: 'success', session_id: session.id, handle_id: handle.id });
    expect((info.info as { plugin: string }).plugin).toBe('janus.plugin.echotest');
    await session.destroy();
    expect((await admin.listSessions()).sessions).not.toContain(session.id);
  });

  it('raw admin WebSocket negotiates janus-admin-protocol and enforces admin_secret', async () => {
    const ws = await RawWs.open(stack.adminWsUrl, 'janus-admin-protocol');
    try {
      expect(ws.protocol).toBe('janus-admin-protocol');
      const ok = await ws.request({ janus: 'get_status', admin_secret: ADMIN_SECRET, transaction: tx() });
      expect(ok.janus).toBe('success');
      expect((ok.status as Record<string, unknown>).session_timeout).toBe(60);
      const denied = await ws.request({ janus: 'list_sessions', admin_secret: 'wrong' });
      expect(denied).toMatchObject({ janus: 'error', error: { code: 403 } });
      const ping = await ws.request({ janus: 'ping' });
      expect(ping.janus).toBe('pong');
    } finally {
      await ws.close();
    }
  });

  it('admin WebSocket closes complete the handshake with 1000, after requests or without any', async () => {
    /** Closes with 1000 and resolves with the code the server closed with (1006: no close frame came back). */
    const closeCode = (ws: RawWs) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the close handshake did not complete in 5 s')), 5000);
        ws.ws.once('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        ws.ws.close(1000, 'bye');
      });
    const used = await RawWs.open(stack.adminWsUrl, 'janus-admin-protocol');
    expect((await used.request({ janus: 'ping' })).janus).toBe('pong');
    expect(await closeCode(used)).toBe(1000);
    const idle = await RawWs.open(stack.adminWsUrl, 'janus-admin-protocol');
    expect(await closeCode(idle)).toBe(1000);
    // workerd logs a close it had to cancel ("...detected that your Worker's code had hung"): none here.
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.output()).not.toMatch(/hung|canceled/i);
  });
});
