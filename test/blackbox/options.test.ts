/**
 * Issue 11 on the wire: options are done as Janus does them or refused, never accepted and ignored.
 * The real edge in workerd (no relays), a webhook for the event handler's `events` mask and
 * `grouping`, and the Admin API requests that read or change runtime settings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventType } from '../../shared/janus/events.js';
import type { Stack } from '../support/stack.js';
import { JanusHttp, startSignallingStack, waitUntil, Webhook } from './support/janus.js';

let stack: Stack;
let hook: Webhook;
let api: JanusHttp;

beforeAll(async () => {
  hook = await new Webhook().start();
  stack = await startSignallingStack({
    EVENTS_URL: hook.url,
    EVENTS_MASK: 'sessions,core,external',
    EVENTS_GROUPING: 'false',
    SHARD_COUNT: '4',
  });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
  await hook?.stop();
});

const evh = 'janus.eventhandler.sampleevh';

describe('event handler: events mask and grouping', () => {
  it('posts only the configured types, one object per POST without grouping; a tweak changes both on every shard', async () => {
    const s1 = await api.create();
    await api.attach(s1);
    await waitUntil(
      () => hook.events.some((e) => e.session_id === s1 && e.type === EventType.SESSION),
      5_000,
      'created',
    );
    // Handle events are outside the mask: give them time to (not) arrive.
    await new Promise((r) => setTimeout(r, 300));
    expect(hook.events.filter((e) => e.session_id === s1).map((e) => e.type)).toEqual([EventType.SESSION]);
    const posted = hook.posts.filter((p) => p.status === 200);
    expect(posted.length).toBeGreaterThan(0);
    for (const p of posted) expect(Array.isArray(p.body), 'grouping = false: one object per POST').toBe(false);

    const tweak = await api.admin({
      janus: 'query_eventhandler',
      handler: evh,
      request: { request: 'tweak', events: 'handles', grouping: true },
    });
    expect(tweak.body).toMatchObject({ janus: 'success', response: { result: 200 } });
    const before = hook.posts.length;
    const sessions = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => api.create()));
    for (const s of sessions) await api.attach(s);
    await waitUntil(
      () => sessions.every((s) => hook.events.some((e) => e.session_id === s && e.type === EventType.HANDLE)),
      5_000,
      'attached events from every shard',
    );
    await new Promise((r) => setTimeout(r, 300));
    const after = hook.posts.slice(before).filter((p) => p.status === 200);
    for (const p of after) expect(Array.isArray(p.body), 'grouping = true: arrays').toBe(true);
    expect(hook.events.filter((e) => sessions.includes(e.session_id!) && e.type === EventType.SESSION)).toEqual([]);
  });

  it('query_eventhandler: unknown handler 460, handler errors inside the response', async () => {
    const bad = await api.admin({ janus: 'query_eventhandler', handler: 'nope', request: {} });
    expect(bad.body).toMatchObject({ janus: 'error', error: { code: 460, reason: 'Invalid event handler' } });
    const unknown = await api.admin({ janus: 'query_eventhandler', handler: evh, request: { request: 'x' } });
    expect(unknown.body).toMatchObject({
      janus: 'success',
      response: { error_code: 411, error: "Unknown request 'x'" },
    });
  });
});

describe('admin settings requests', () => {
  it('set_log_level changes what get_status reports; out of range is 467 and changes nothing', async () => {
    const status = async () =>
      ((await api.admin({ janus: 'get_status' })).body?.status ?? {}) as Record<string, unknown>;
    expect((await status()).log_level).toBe(3); // LOG_LEVEL=warn
    expect((await api.admin({ janus: 'set_log_level', level: 2 })).body).toMatchObject({ janus: 'success', level: 2 });
    expect((await status()).log_level).toBe(2);
    const bad = await api.admin({ janus: 'set_log_level', level: 9 });
    expect(bad.body).toMatchObject({
      janus: 'error',
      error: { code: 467, reason: 'Invalid element type (level should be between 0 and 7)' },
    });
    expect((await status()).log_level).toBe(2);
    await api.admin({ janus: 'set_log_level', level: 3 });
  });

  it('loops_info, resolve_address and test_stun answer in Janus shapes', async () => {
    expect((await api.admin({ janus: 'loops_info' })).body).toMatchObject({ janus: 'success', loops: [] });
    const resolved = await api.admin({ janus: 'resolve_address', address: 'localhost' });
    expect(resolved.body).toMatchObject({ janus: 'success', ip: '127.0.0.1' });
    expect(typeof resolved.body?.elapsed).toBe('number');
    expect((await api.admin({ janus: 'resolve_address' })).body).toMatchObject({
      error: { code: 456, reason: 'Missing mandatory element (address)' },
    });
    const stun = await api.admin({ janus: 'test_stun', address: '127.0.0.1', port: 3478 });
    expect(stun.body).toMatchObject({ janus: 'error', error: { code: 490 } });
  });

  it('server_info lists the dependencies the edge is built on', async () => {
    const info = await api.admin({ janus: 'info' });
    expect(info.body?.dependencies).toMatchObject({
      hono: expect.any(String) as unknown,
      zod: expect.any(String) as unknown,
    });
  });
});

describe('VideoRoom: no silent acceptance', () => {
  it('create with require_e2ee: true is refused with 430 and the room does not exist; list reports no unnegotiated extension', async () => {
    const s = await api.create();
    const h = await api.attach(s, 'janus.plugin.videoroom');
    const msg = async (body: Record<string, unknown>) =>
      (
        (await api.janus(`/${s}/${h}`, { janus: 'message', body })).body?.plugindata as {
          data: Record<string, unknown>;
        }
      ).data;
    expect(await msg({ request: 'create', room: 4242, require_e2ee: true })).toMatchObject({
      videoroom: 'event',
      error_code: 430,
      error: 'Invalid element (require_e2ee: end-to-end encrypted rooms are not supported)',
    });
    expect(await msg({ request: 'exists', room: 4242 })).toMatchObject({ exists: false });
    expect(await msg({ request: 'create', room: 4243 })).toMatchObject({ videoroom: 'created' });
    const list = (await msg({ request: 'list' })).list as Array<Record<string, unknown>>;
    expect(list.find((r) => r.room === 4243)).toMatchObject({
      videoorient_ext: false,
      playoutdelay_ext: false,
      transport_wide_cc_ext: false,
    });
  });
});
