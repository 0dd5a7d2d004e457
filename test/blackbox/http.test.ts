/**
 * The Janus REST transport (§1.2, §1.3) against the running stack: the create/attach/message/long-poll
 * flow, maxev framing, keepalive, info/ping, CORS preflight, path handling and its errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { get, JanusHttp, janusErrorSchema, post, tx, type JanusMsg, startSignallingStack } from './support/janus.js';

let stack: Stack;
let api: JanusHttp;

beforeAll(async () => {
  stack = await startSignallingStack({ LOG_LEVEL: 'warn' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
});

/** A Janus error with `code` (or one of several); a transaction, when present, must be the request's. */
function expectError(
  r: { status: number; body: JanusMsg },
  code: number | number[],
  transaction?: string,
  opts: { txOptional?: boolean } = {},
) {
  expect(r.status).toBe(200);
  const e = janusErrorSchema.parse(r.body);
  if (Array.isArray(code)) expect(code).toContain(e.error.code);
  else expect(e.error.code).toBe(code);
  if (transaction !== undefined && !(opts.txOptional && e.transaction === undefined))
    expect(e.transaction).toBe(transaction);
}

describe('REST flow', () => {
  it('create → attach → message (ack) → long poll delivers the plugin event', async () => {
    const t1 = tx();
    const created = await post(stack.httpUrl, { janus: 'create', transaction: t1 });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ janus: 'success', transaction: t1 });
    expect(created.body.session_id).toBeUndefined();
    const sid = (created.body.data as { id: number }).id;
    expect(Number.isSafeInteger(sid) && sid > 0).toBe(true);

    const t2 = tx();
    const attached = await post(`${stack.httpUrl}/${sid}`, {
      janus: 'attach',
      plugin: 'janus.plugin.echotest',
      transaction: t2,
      opaque_id: 'http-test',
    });
    expect(attached.body).toMatchObject({ janus: 'success', session_id: sid, transaction: t2 });
    const hid = (attached.body.data as { id: number }).id;
    expect(Number.isSafeInteger(hid) && hid > 0).toBe(true);

    // A poll already waiting is woken by the event.
    const poll = get(`${stack.httpUrl}/${sid}?maxev=1`);
    await new Promise((r) => setTimeout(r, 100));
    const t3 = tx();
    const ack = await post(`${stack.httpUrl}/${sid}/${hid}`, {
      janus: 'message',
      transaction: t3,
      body: { audio: true, video: true },
    });
    expect(ack.body).toMatchObject({ janus: 'ack', session_id: sid, transaction: t3 });
    const ev = await poll;
    expect(ev.status).toBe(200);
    expect(Array.isArray(ev.body)).toBe(false);
    expect(ev.body).toMatchObject({
      janus: 'event',
      session_id: sid,
      sender: hid,
      transaction: t3,
      plugindata: { plugin: 'janus.plugin.echotest', data: { echotest: 'event', result: 'ok' } },
    });

    // Queued events: maxev=1 returns one object, maxev>1 an array of what is queued.
    const ta = tx();
    const tb = tx();
    await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', transaction: ta, body: { audio: true } });
    await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', transaction: tb, body: { video: true } });
    await new Promise((r) => setTimeout(r, 200));
    const one = await get(`${stack.httpUrl}/${sid}?maxev=1`);
    expect(Array.isArray(one.body)).toBe(false);
    expect(one.body.transaction).toBe(ta);
    const many = await get<JanusMsg[]>(`${stack.httpUrl}/${sid}?maxev=10`);
    expect(Array.isArray(many.body)).toBe(true);
    expect(many.body.map((e) => e.transaction)).toEqual([tb]);

    // maxev > 1 is an array even with a single event; maxev < 1 behaves as 1.
    const tc = tx();
    await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', transaction: tc, body: {} });
    const arr = await get<JanusMsg[]>(`${stack.httpUrl}/${sid}?maxev=5`);
    expect(arr.body).toHaveLength(1);
    expect(arr.body[0]).toMatchObject({ janus: 'event', transaction: tc });
    const td = tx();
    await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', transaction: td, body: {} });
    const zero = await get(`${stack.httpUrl}/${sid}?maxev=0`);
    expect(Array.isArray(zero.body)).toBe(false);
    expect(zero.body.transaction).toBe(td);

    // detach → success, then a `detached` event on the poll.
    const det = await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'detach', transaction: tx() });
    expect(det.body).toMatchObject({ janus: 'success', session_id: sid });
    const detached = await get(`${stack.httpUrl}/${sid}`);
    expect(detached.body).toMatchObject({ janus: 'detached', session_id: sid, sender: hid });

    // destroy → success; the session is gone for polls and requests.
    const d = await post(`${stack.httpUrl}/${sid}`, { janus: 'destroy', transaction: tx() });
    expect(d.body).toMatchObject({ janus: 'success', session_id: sid });
    expect((await get(`${stack.httpUrl}/${sid}`)).status).toBe(404);
    expectError(await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', transaction: tx() }), 458);
  });

  it('keepalive is acknowledged (verbs are case-insensitive)', async () => {
    const sid = await api.create();
    const t = tx();
    const r = await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', transaction: t });
    expect(r.body).toEqual({ janus: 'ack', session_id: sid, transaction: t });
    const r2 = await post(`${stack.httpUrl}/${sid}`, { janus: 'KeepAlive', transaction: t });
    expect(r2.body).toMatchObject({ janus: 'ack', session_id: sid });
    // session_id in the body instead of the path works too.
    const r3 = await post(stack.httpUrl, { janus: 'keepalive', session_id: sid, transaction: t });
    expect(r3.body).toMatchObject({ janus: 'ack', session_id: sid });
    await api.destroy(sid);
  });

  it('a waiting long poll is released when its session is destroyed', async () => {
    const sid = await api.create();
    const poll = get(`${stack.httpUrl}/${sid}`);
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    await api.destroy(sid);
    const res = await poll;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.status).toBe(404);
  });
});

describe('info and ping', () => {
  it('GET /janus/info returns server_info', async () => {
    const r = await get(`${stack.httpUrl}/info`);
    expect(r.status).toBe(200);
    expect(r.body.janus).toBe('server_info');
    expect(r.body).toMatchObject({
      'session-timeout': 60,
      'reclaim-session-timeout': 0,
      api_secret: false,
      auth_token: false,
    });
    expect(Object.keys(r.body.plugins as object)).toContain('janus.plugin.echotest');
    // POST info works too.
    const p = await post(stack.httpUrl, { janus: 'info', transaction: 'i1' });
    expect(p.body).toMatchObject({ janus: 'server_info', transaction: 'i1' });
  });

  it('GET /janus/ping returns pong', async () => {
    const r = await get(`${stack.httpUrl}/ping`);
    expect(r.status).toBe(200);
    expect(r.body.janus).toBe('pong');
    const p = await post(stack.httpUrl, { janus: 'ping', transaction: 'p1' });
    expect(p.body).toEqual({ janus: 'pong', transaction: 'p1' });
  });
});

describe('CORS', () => {
  it('OPTIONS preflight is answered 200 with access-control headers', async () => {
    for (const path of ['', '/123', '/123/456']) {
      const r = await fetch(stack.httpUrl + path, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      await r.arrayBuffer();
      expect(r.status, `OPTIONS ${path || '/'}`).toBe(200);
      expect(r.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/app\.example)$/);
      expect(r.headers.get('access-control-allow-methods') ?? '').toMatch(/POST/);
      expect((r.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toMatch(/content-type/);
    }
  });

  it('ordinary replies carry access-control-allow-origin', async () => {
    const r = await post(
      stack.httpUrl,
      { janus: 'ping', transaction: tx() },
      { headers: { origin: 'https://app.example', 'content-type': 'application/json' } },
    );
    expect(r.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/app\.example)$/);
  });
});

describe('paths', () => {
  it('a body id that conflicts with the path id is 457', async () => {
    const sid = await api.create();
    const hid = await api.attach(sid);
    const t = tx();
    // janus_http.c answers the conflict itself, without the transaction.
    expectError(
      await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', session_id: sid + 1, transaction: t }),
      457,
      t,
      { txOptional: true },
    );
    expectError(
      await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', handle_id: hid + 1, body: {}, transaction: t }),
      457,
      t,
      { txOptional: true },
    );
    // The same id in both places is fine.
    const ok = await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', session_id: sid, transaction: t });
    expect(ok.body.janus).toBe('ack');
    await api.destroy(sid);
  });

  it('GET /janus/{session}/{handle} redirects to /janus/{session}', async () => {
    const sid = await api.create();
    const hid = await api.attach(sid);
    const r = await fetch(`${stack.httpUrl}/${sid}/${hid}`, { redirect: 'manual' });
    await r.arrayBuffer();
    expect(r.status).toBe(302);
    const loc = new URL(r.headers.get('location')!, `${stack.httpUrl}/${sid}/${hid}`);
    expect(loc.pathname).toBe(`/janus/${sid}`);
    await api.destroy(sid);
  });

  it('too many path components is 404', async () => {
    const sid = await api.create();
    for (const method of ['GET', 'POST']) {
      const r = await fetch(`${stack.httpUrl}/${sid}/1/2`, {
        method,
        body: method === 'POST' ? JSON.stringify({ janus: 'keepalive', transaction: 'x' }) : undefined,
      });
      await r.arrayBuffer();
      expect(r.status, method).toBe(404);
    }
    await api.destroy(sid);
  });

  it('a long poll on an unknown session is 404', async () => {
    const r = await get(`${stack.httpUrl}/123456789`);
    expect(r.status).toBe(404);
    const r2 = await get(`${stack.httpUrl}/not-a-number`);
    expect(r2.status).toBe(404);
  });

  it('session verbs at /janus and create at a session path are 457; unknown verbs 453', async () => {
    expectError(await post(stack.httpUrl, { janus: 'attach', plugin: 'janus.plugin.echotest', transaction: 'a' }), 457);
    expectError(await post(stack.httpUrl, { janus: 'keepalive', transaction: 'a' }), 457);
    const sid = await api.create();
    const hid = await api.attach(sid);
    expectError(await post(`${stack.httpUrl}/${sid}`, { janus: 'frobnicate', transaction: 'a' }), 453);
    expectError(
      await post(`${stack.httpUrl}/${sid}/${hid}`, {
        janus: 'attach',
        plugin: 'janus.plugin.echotest',
        transaction: 'a',
      }),
      457,
    );
    expectError(await post(`${stack.httpUrl}/${sid}`, { janus: 'message', body: {}, transaction: 'a' }), 457);
    expectError(
      await post(`${stack.httpUrl}/${sid}/${hid + 1}`, { janus: 'message', body: {}, transaction: 'a' }),
      459,
    );
    await api.destroy(sid);
  });

  it('a handle_id ≤ 0 is 459 on the Janus API (the Admin API answers 458)', async () => {
    const sid = await api.create();
    await api.attach(sid);
    for (const hid of [0, -1]) {
      const t = tx();
      expectError(
        await post(`${stack.httpUrl}/${sid}`, { janus: 'message', handle_id: hid, body: {}, transaction: t }),
        459,
        t,
      );
    }
    // A handle id that is present but not a usable integer is "Invalid handle" too (janus.c: `h && handle_id < 1`).
    expectError(await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', handle_id: 0, transaction: tx() }), 459);
    const admin = await api.admin({ janus: 'handle_info', session_id: sid, handle_id: 0 });
    expect(admin.body).toMatchObject({ janus: 'error', error: { code: 458 } });
    await api.destroy(sid);
  });

  it('malformed bodies: not JSON is 454, an array 455, missing fields 456, wrong types 467', async () => {
    expectError(await post(stack.httpUrl, '{"janus": "create",'), 454);
    expectError(await post(stack.httpUrl, '[1,2,3]'), 455);
    // jansson takes only an object or an array at top level, so a scalar is a JSON error.
    expectError(await post(stack.httpUrl, '"create"'), [454, 455]);
    expectError(await post(stack.httpUrl, '42'), [454, 455]);
    expectError(await post(stack.httpUrl, { transaction: 'x' }), 456);
    expectError(await post(stack.httpUrl, { janus: 'create' }), 456);
    expectError(await post(stack.httpUrl, { janus: 7, transaction: 'x' }), 467);
    expectError(await post(stack.httpUrl, { janus: 'create', transaction: 7 }), 467);
  });

  it('other methods are a Janus 450 error, never a 5xx', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(stack.httpUrl, { method, body: '{}' });
      const text = await r.text();
      expect(r.status, method).toBeLessThan(500);
      expect(janusErrorSchema.parse(JSON.parse(text)).error.code).toBe(450);
    }
  });
});
