/**
 * Authentication (§1.7): the API secret, stored tokens managed through the Admin API, HMAC-signed
 * tokens (TOKEN_AUTH_SECRET) and the admin secret — over HTTP, the HTTP long poll and WebSocket.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import {
  get,
  JanusHttp,
  janusErrorSchema,
  post,
  RawWs,
  tx,
  type HttpReply,
  type JanusMsg,
  startSignallingStack,
} from './support/janus.js';

const ECHO = 'janus.plugin.echotest';
const SLOW = 'janus.plugin.slowtest';

const API_SECRET = 'apis3cret';
const ADMIN = 'adm1n-s3cret';
const SIGN_SECRET = 'hmac-s3cret';

// Three stacks, started one after the other (concurrent starts race on the stack's asset build).
let secretStack: Stack;
let storedStack: Stack;
let signedStack: Stack;

beforeAll(async () => {
  secretStack = await startSignallingStack({ API_SECRET, ADMIN_SECRET: ADMIN });
  storedStack = await startSignallingStack({ TOKEN_AUTH: 'true', TEST_PLUGINS: 'true' });
  signedStack = await startSignallingStack({
    TOKEN_AUTH: 'true',
    TOKEN_AUTH_SECRET: SIGN_SECRET,
    TEST_PLUGINS: 'true',
  });
}, 240_000);

afterAll(async () => {
  await Promise.all([secretStack?.stop(), storedStack?.stop(), signedStack?.stop()]);
});

function code(r: HttpReply | JanusMsg): number | undefined {
  const body = 'status' in r && 'body' in r ? (r as HttpReply).body : (r as JanusMsg);
  const p = janusErrorSchema.safeParse(body);
  return p.success ? p.data.error.code : undefined;
}

describe('API secret (API_SECRET) and admin secret (ADMIN_SECRET)', () => {
  let stack: Stack;
  let open: JanusHttp;

  beforeAll(() => {
    stack = secretStack;
    open = new JanusHttp(stack.httpUrl, stack.adminUrl, { apisecret: API_SECRET, admin_secret: ADMIN });
  });

  it('create needs the secret: missing or wrong → 403', async () => {
    const t = tx();
    const missing = await post(stack.httpUrl, { janus: 'create', transaction: t });
    expect(code(missing)).toBe(403);
    expect(missing.body.transaction).toBe(t);
    expect(code(await post(stack.httpUrl, { janus: 'create', transaction: t, apisecret: 'wrong' }))).toBe(403);
    expect(
      code(await post(stack.httpUrl, { janus: 'create', transaction: t, apisecret: API_SECRET.slice(0, -1) })),
    ).toBe(403);
    expect(code(await post(stack.httpUrl, { janus: 'create', transaction: t, apisecret: '' }))).toBe(403);
    const ok = await post(stack.httpUrl, { janus: 'create', transaction: t, apisecret: API_SECRET });
    expect(ok.body.janus).toBe('success');
    await open.destroy((ok.body.data as { id: number }).id);
  });

  it('session and handle requests need the secret too; info and ping do not', async () => {
    const sid = await open.create();
    const hid = await open.attach(sid);
    expect(code(await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', transaction: tx() }))).toBe(403);
    expect(
      code(
        await post(`${stack.httpUrl}/${sid}`, { janus: 'attach', plugin: ECHO, transaction: tx(), apisecret: 'nope' }),
      ),
    ).toBe(403);
    expect(code(await post(`${stack.httpUrl}/${sid}/${hid}`, { janus: 'message', body: {}, transaction: tx() }))).toBe(
      403,
    );
    expect(code(await post(`${stack.httpUrl}/${sid}`, { janus: 'destroy', transaction: tx() }))).toBe(403);
    expect((await open.janus(`/${sid}`, { janus: 'keepalive' })).body.janus).toBe('ack');
    // info / ping are answered without a secret
    const info = await get(`${stack.httpUrl}/info`);
    expect(info.body).toMatchObject({ janus: 'server_info', api_secret: true, auth_token: false });
    expect((await post(stack.httpUrl, { janus: 'ping', transaction: tx() })).body.janus).toBe('pong');
    await open.destroy(sid);
  });

  it('long poll: HTTP 403 with an empty body without the query-string secret', async () => {
    const sid = await open.create();
    const hid = await open.attach(sid);
    const denied = await get(`${stack.httpUrl}/${sid}`);
    expect(denied.status).toBe(403);
    expect(denied.text).toBe('');
    expect((await get(`${stack.httpUrl}/${sid}?apisecret=wrong`)).status).toBe(403);
    const t = tx();
    await open.janus(`/${sid}/${hid}`, { janus: 'message', body: {}, transaction: t });
    const ok = await get(`${stack.httpUrl}/${sid}?apisecret=${API_SECRET}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ janus: 'event', transaction: t });
    await open.destroy(sid);
  });

  it('WebSocket requests need the secret', async () => {
    const ws = await RawWs.open(stack.wsUrl);
    try {
      expect(code(await ws.request({ janus: 'create' }))).toBe(403);
      expect(code(await ws.request({ janus: 'create', apisecret: 'x' }))).toBe(403);
      const ok = await ws.request({ janus: 'create', apisecret: API_SECRET });
      expect(ok.janus).toBe('success');
      const sid = (ok.data as { id: number }).id;
      expect(code(await ws.request({ janus: 'keepalive', session_id: sid }))).toBe(403);
      expect((await ws.request({ janus: 'destroy', session_id: sid, apisecret: API_SECRET })).janus).toBe('success');
    } finally {
      await ws.close();
    }
  });

  it('admin: wrong or missing admin_secret → 403 (HTTP and WebSocket); info and ping need none', async () => {
    for (const secret of [undefined, 'janusoverlord', 'wrong', '', ADMIN + 'x']) {
      const body: Record<string, unknown> = { janus: 'list_sessions', transaction: tx() };
      if (secret !== undefined) body.admin_secret = secret;
      expect(code(await post(stack.adminUrl, body)), `admin_secret=${String(secret)}`).toBe(403);
    }
    // The API secret is not the admin secret.
    expect(code(await post(stack.adminUrl, { janus: 'get_status', transaction: tx(), admin_secret: API_SECRET }))).toBe(
      403,
    );
    expect(
      code(
        await post(stack.adminUrl, {
          janus: 'destroy_session',
          session_id: 1,
          transaction: tx(),
          admin_secret: 'wrong',
        }),
      ),
    ).toBe(403);
    const ok = await post(stack.adminUrl, { janus: 'list_sessions', transaction: tx(), admin_secret: ADMIN });
    expect(ok.body.janus).toBe('success');
    expect((await post(stack.adminUrl, { janus: 'ping', transaction: tx() })).body.janus).toBe('pong');
    expect((await post(stack.adminUrl, { janus: 'info', transaction: tx() })).body.janus).toBe('server_info');

    const ws = await RawWs.open(stack.adminWsUrl, 'janus-admin-protocol');
    try {
      expect(code(await ws.request({ janus: 'list_sessions', admin_secret: 'wrong' }))).toBe(403);
      expect(code(await ws.request({ janus: 'list_sessions' }))).toBe(403);
      expect((await ws.request({ janus: 'list_sessions', admin_secret: ADMIN })).janus).toBe('success');
    } finally {
      await ws.close();
    }
  });

  it('token admin verbs without token auth → 490', async () => {
    for (const janus of ['add_token', 'list_tokens', 'allow_token', 'disallow_token', 'remove_token']) {
      const r = await open.admin({ janus, token: 'x', plugins: [ECHO] });
      expect(code(r), janus).toBe(490);
    }
  });
});

describe('stored tokens (TOKEN_AUTH=true)', () => {
  let stack: Stack;
  let admin: JanusHttp;

  beforeAll(() => {
    stack = storedStack;
    admin = new JanusHttp(stack.httpUrl, stack.adminUrl);
  });

  it('nothing is allowed before a token is added', async () => {
    expect(code(await post(stack.httpUrl, { janus: 'create', transaction: tx() }))).toBe(403);
    expect(code(await post(stack.httpUrl, { janus: 'create', transaction: tx(), token: 'unknown' }))).toBe(403);
    const info = await get(`${stack.httpUrl}/info`);
    expect(info.body).toMatchObject({ auth_token: true, api_secret: false });
  });

  it('allow_token / disallow_token without plugins, or with none, are 467 and change nothing', async () => {
    const token = `tok-${tx()}`;
    await admin.admin({ janus: 'add_token', token, plugins: [ECHO] });
    for (const janus of ['allow_token', 'disallow_token']) {
      for (const plugins of [undefined, []]) {
        const res = await admin.admin({ janus, token, ...(plugins ? { plugins } : {}) });
        expect(res.body.error, janus).toEqual({
          code: 467,
          reason: 'Invalid element type (plugins should be a non-empty array)',
        });
      }
    }
    const listed = (await admin.admin({ janus: 'list_tokens' })).body.data as { tokens: unknown[] };
    expect(listed.tokens).toContainEqual({ token, allowed_plugins: [ECHO] });
    expect((await admin.admin({ janus: 'remove_token', token })).body.janus).toBe('success');
  });

  it('token names are data: constructor, valueOf, __proto__, toString behave like any other name', async () => {
    const tokenNames = async () =>
      ((await admin.admin({ janus: 'list_tokens' })).body.data as { tokens: { token: string }[] }).tokens.map(
        (x) => x.token,
      );
    const other = `tok-${tx()}`;
    expect((await admin.admin({ janus: 'add_token', token: other, plugins: [ECHO] })).body.janus).toBe('success');
    for (const token of ['constructor', 'valueOf', '__proto__', 'toString', 'hasOwnProperty']) {
      // Not there yet: 470 everywhere, nothing opens with it (as Janus answers for any unknown token).
      expect(code(await admin.admin({ janus: 'allow_token', token, plugins: [ECHO] })), token).toBe(470);
      expect(code(await admin.admin({ janus: 'disallow_token', token, plugins: [ECHO] })), token).toBe(470);
      expect(code(await admin.admin({ janus: 'remove_token', token })), token).toBe(470);
      expect(code(await post(stack.httpUrl, { janus: 'create', transaction: tx(), token })), token).toBe(403);
      expect(await tokenNames()).not.toContain(token);

      // Added: listed, opens what it allows and nothing else, and leaves the other tokens alone.
      const added = await admin.admin({ janus: 'add_token', token, plugins: [ECHO] });
      expect(added.body, token).toMatchObject({ janus: 'success', data: { plugins: [ECHO] } });
      const listed = (await admin.admin({ janus: 'list_tokens' })).body.data as { tokens: unknown[] };
      expect(listed.tokens, token).toContainEqual({ token, allowed_plugins: [ECHO] });
      expect(listed.tokens, token).toContainEqual({ token: other, allowed_plugins: [ECHO] });
      const api = new JanusHttp(stack.httpUrl, stack.adminUrl, { token });
      const sid = await api.create();
      await api.attach(sid, ECHO);
      expect(code(await api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW })), token).toBe(405);
      const allowed = await admin.admin({ janus: 'allow_token', token, plugins: [SLOW] });
      expect((allowed.body.data as { plugins: string[] }).plugins.sort(), token).toEqual([ECHO, SLOW].sort());
      expect((await api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW })).body.janus, token).toBe('success');
      const disallowed = await admin.admin({ janus: 'disallow_token', token, plugins: [ECHO, SLOW] });
      expect(disallowed.body, token).toMatchObject({ janus: 'success', data: { plugins: [] } });

      // Removed: gone, and a second removal is 470 again.
      expect((await admin.admin({ janus: 'remove_token', token })).body.janus, token).toBe('success');
      expect(await tokenNames()).not.toContain(token);
      expect(await tokenNames()).toContain(other);
      expect(code(await admin.admin({ janus: 'remove_token', token })), token).toBe(470);
      expect(code(await api.janus('', { janus: 'create' })), token).toBe(403);
      await admin.admin({ janus: 'destroy_session', session_id: sid });
    }
    expect((await admin.admin({ janus: 'remove_token', token: other })).body.janus).toBe('success');
  });

  it('add_token / list_tokens / allow_token / disallow_token / remove_token govern create and attach', async () => {
    const token = `tok-${tx()}`;
    const added = await admin.admin({ janus: 'add_token', token, plugins: [ECHO] });
    expect(added.body).toMatchObject({ janus: 'success', data: { plugins: [ECHO] } });
    const listed = await admin.admin({ janus: 'list_tokens' });
    expect(listed.body.janus).toBe('success');
    expect((listed.body.data as { tokens: unknown[] }).tokens).toContainEqual({ token, allowed_plugins: [ECHO] });

    const api = new JanusHttp(stack.httpUrl, stack.adminUrl, { token });
    const sid = await api.create();
    const hid = await api.attach(sid, ECHO);
    // A plugin the token may not use → 405.
    expect(code(await api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW }))).toBe(405);
    // Another valid-looking token does not work on this session.
    expect(
      code(await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', transaction: tx(), token: token + 'x' })),
    ).toBe(403);
    // Long poll takes the token from the query string.
    expect((await get(`${stack.httpUrl}/${sid}`)).status).toBe(403);
    const t = tx();
    await api.janus(`/${sid}/${hid}`, { janus: 'message', body: {}, transaction: t });
    const polled = await get(`${stack.httpUrl}/${sid}?token=${encodeURIComponent(token)}`);
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ janus: 'event', transaction: t });

    // allow_token adds a plugin.
    const allowed = await admin.admin({ janus: 'allow_token', token, plugins: [SLOW] });
    expect(allowed.body).toMatchObject({ janus: 'success' });
    expect((allowed.body.data as { plugins: string[] }).plugins.sort()).toEqual([ECHO, SLOW].sort());
    expect((await api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW })).body.janus).toBe('success');

    // disallow_token removes one.
    const disallowed = await admin.admin({ janus: 'disallow_token', token, plugins: [ECHO] });
    expect(disallowed.body).toMatchObject({ janus: 'success', data: { plugins: [SLOW] } });
    expect(code(await api.janus(`/${sid}`, { janus: 'attach', plugin: ECHO }))).toBe(405);

    // Unknown tokens → 470; an empty plugin list is refused.
    expect(code(await admin.admin({ janus: 'allow_token', token: 'nope', plugins: [ECHO] }))).toBe(470);
    expect(code(await admin.admin({ janus: 'disallow_token', token: 'nope', plugins: [ECHO] }))).toBe(470);
    expect(code(await admin.admin({ janus: 'remove_token', token: 'nope' }))).toBe(470);
    expect(code(await admin.admin({ janus: 'allow_token', token, plugins: [] }))).toBeDefined();

    // remove_token: the token no longer opens anything.
    expect((await admin.admin({ janus: 'remove_token', token })).body.janus).toBe('success');
    expect(
      ((await admin.admin({ janus: 'list_tokens' })).body.data as { tokens: { token: string }[] }).tokens.map(
        (x) => x.token,
      ),
    ).not.toContain(token);
    expect(code(await api.janus('', { janus: 'create' }))).toBe(403);
    expect(code(await api.janus(`/${sid}`, { janus: 'keepalive' }))).toBe(403);
    expect(code(await api.janus(`/${sid}/${hid}`, { janus: 'message', body: {} }))).toBe(403);
    await admin.admin({ janus: 'destroy_session', session_id: sid });
  });

  it('add_token without plugins allows every plugin; tokens work over WebSocket', async () => {
    const token = `all-${tx()}`;
    const added = await admin.admin({ janus: 'add_token', token });
    expect(added.body.janus).toBe('success');
    const every = Object.keys((await get(`${stack.httpUrl}/info`)).body.plugins as object);
    expect(every).toEqual(expect.arrayContaining([ECHO, SLOW]));
    expect((added.body.data as { plugins: string[] }).plugins.sort()).toEqual(every.sort());
    const ws = await RawWs.open(stack.wsUrl);
    try {
      expect(code(await ws.request({ janus: 'create' }))).toBe(403);
      const c = await ws.request({ janus: 'create', token });
      expect(c.janus).toBe('success');
      const sid = (c.data as { id: number }).id;
      expect((await ws.request({ janus: 'attach', session_id: sid, plugin: ECHO, token })).janus).toBe('success');
      expect(code(await ws.request({ janus: 'attach', session_id: sid, plugin: ECHO }))).toBe(403);
      expect((await ws.request({ janus: 'destroy', session_id: sid, token })).janus).toBe('success');
    } finally {
      await ws.close();
    }
    await admin.admin({ janus: 'remove_token', token });
  });
});

describe('signed tokens (TOKEN_AUTH_SECRET)', () => {
  const SECRET = SIGN_SECRET;
  let stack: Stack;
  let admin: JanusHttp;

  const sign = (payload: string, secret = SECRET) =>
    `${payload}:${createHmac('sha1', secret).update(payload).digest('base64')}`;
  const future = () => Math.floor(Date.now() / 1000) + 3600;

  beforeAll(() => {
    stack = signedStack;
    admin = new JanusHttp(stack.httpUrl, stack.adminUrl);
  });

  it('a valid token opens create/attach for the plugins it names only', async () => {
    const token = sign(`${future()},janus,${ECHO}`);
    const api = new JanusHttp(stack.httpUrl, stack.adminUrl, { token });
    const sid = await api.create();
    await api.attach(sid, ECHO);
    expect(code(await api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW }))).toBe(405);
    // A token with no plugin data may create sessions but attach nowhere.
    const bare = new JanusHttp(stack.httpUrl, stack.adminUrl, { token: sign(`${future()},janus`) });
    const sid2 = await bare.create();
    expect(code(await bare.janus(`/${sid2}`, { janus: 'attach', plugin: ECHO }))).toBe(405);
    await api.destroy(sid);
    await bare.destroy(sid2);
  });

  it('expired, wrong realm, bad signature and malformed tokens → 403', async () => {
    const exp = future();
    const bad: Record<string, string> = {
      expired: sign(`${Math.floor(Date.now() / 1000) - 10},janus,${ECHO}`),
      'wrong realm': sign(`${exp},janus.plugin.videoroom,${ECHO}`),
      'other secret': sign(`${exp},janus,${ECHO}`, 'not-the-secret'),
      'tampered data': sign(`${exp},janus,${ECHO}`).replace(ECHO, SLOW),
      'tampered expiry': sign(`${exp},janus,${ECHO}`).replace(String(exp), String(exp + 1)),
      'no signature': `${exp},janus,${ECHO}`,
      'empty signature': `${exp},janus,${ECHO}:`,
      'not a token': 'hello',
      empty: '',
    };
    for (const [what, token] of Object.entries(bad)) {
      expect(code(await post(stack.httpUrl, { janus: 'create', transaction: tx(), token })), what).toBe(403);
    }
    // Also on an existing session and on the long poll.
    const good = new JanusHttp(stack.httpUrl, stack.adminUrl, { token: sign(`${exp},janus,${ECHO}`) });
    const sid = await good.create();
    expect(
      code(await post(`${stack.httpUrl}/${sid}`, { janus: 'keepalive', transaction: tx(), token: bad.expired })),
    ).toBe(403);
    expect((await get(`${stack.httpUrl}/${sid}?token=${encodeURIComponent(bad['other secret']!)}`)).status).toBe(403);
    await good.destroy(sid);
  });

  it('stored-token admin verbs are refused with 490', async () => {
    for (const janus of ['add_token', 'list_tokens', 'allow_token', 'disallow_token', 'remove_token']) {
      expect(code(await admin.admin({ janus, token: 'x', plugins: [ECHO] })), janus).toBe(490);
    }
  });
});
