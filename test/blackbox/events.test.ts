/**
 * Event handlers (§4) through the webhook (EVENTS_URL), as Janus's sample HTTP handler does it:
 * events grouped into JSON arrays of at most 100 per POST, retried when the backend fails, never
 * holding up the API when the backend hangs, and Admin `custom_event` delivered as type 4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { JanusHttp, pool, tx, waitUntil, Webhook, startSignallingStack } from './support/janus.js';

let stack: Stack;
let hook: Webhook;
let api: JanusHttp;

beforeAll(async () => {
  hook = await new Webhook().start();
  // One shard, so a burst of sessions lands in one event queue and batching is visible.
  stack = await startSignallingStack({ EVENTS_URL: hook.url, SHARD_COUNT: '1', LOG_LEVEL: 'error' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
  await hook?.stop();
});

function expectWellFormedPosts(): void {
  expect(hook.invalid, 'events that do not match the event-handler envelope').toEqual([]);
  for (const p of hook.posts) {
    if (p.status !== 200) continue;
    expect(Array.isArray(p.body), 'grouped POST body is an array').toBe(true);
    const n = (p.body as unknown[]).length;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(100);
  }
}

describe('event webhook', () => {
  it('a burst of sessions arrives grouped (arrays of ≤100 per POST), each event well formed', async () => {
    const startedUs = Date.now() * 1000;
    const postsBefore = hook.posts.length;
    const ids = await pool(Array.from({ length: 300 }), 32, () => api.create());
    await waitUntil(
      () =>
        ids.every((id) => hook.events.some((e) => e.type === 1 && e.session_id === id && e.event.name === 'created')),
      15_000,
      '300 created events',
    );
    expectWellFormedPosts();
    const posts = hook.posts.slice(postsBefore).filter((p) => p.status === 200);
    const sizes = posts.map((p) => (p.body as unknown[]).length);
    expect(Math.max(...sizes), `POST sizes ${sizes.join(',')}`).toBeGreaterThan(1);
    expect(posts.length).toBeLessThan(300);

    const created = hook.find((e) => e.type === 1 && e.event.name === 'created' && ids.includes(e.session_id!));
    expect(created).toHaveLength(300); // once each
    for (const e of created) {
      expect(e.emitter).toBe('janus-edge');
      expect(e.subtype).toBeUndefined();
      expect(e.timestamp).toBeGreaterThanOrEqual(startedUs - 5_000_000);
      expect(e.timestamp).toBeLessThanOrEqual(Date.now() * 1000 + 5_000_000);
      expect(e.event.transport).toMatchObject({ transport: 'janus.transport.http' });
    }
    await pool(ids, 32, (id) => api.destroy(id));
    await waitUntil(
      () =>
        ids.every((id) => hook.events.some((e) => e.type === 1 && e.session_id === id && e.event.name === 'destroyed')),
      15_000,
      '300 destroyed events',
    );
    expectWellFormedPosts();
  });

  it('handle events carry plugin, opaque_id and the handle id; plugin events are type 64', async () => {
    const sid = await api.create();
    const hid = await api.attach(sid, 'janus.plugin.echotest', { opaque_id: 'opaque-ev' });
    const attached = await hook.waitFor((e) => e.type === 2 && e.handle_id === hid && e.event.name === 'attached');
    expect(attached).toMatchObject({
      session_id: sid,
      opaque_id: 'opaque-ev',
      event: { name: 'attached', plugin: 'janus.plugin.echotest', opaque_id: 'opaque-ev' },
    });
    await api.janus(`/${sid}/${hid}`, { janus: 'message', body: { audio: true } });
    const pluginEv = await hook.waitFor((e) => e.type === 64 && e.handle_id === hid);
    expect(pluginEv).toMatchObject({ session_id: sid, event: { plugin: 'janus.plugin.echotest' } });
    await api.janus(`/${sid}/${hid}`, { janus: 'detach' });
    await hook.waitFor((e) => e.type === 2 && e.handle_id === hid && e.event.name === 'detached');
    await api.destroy(sid);
  });

  it('custom_event is delivered as type 4 {schema, data}', async () => {
    const schema = `test.schema.${tx()}`;
    const r = await api.admin({ janus: 'custom_event', schema, data: { answer: 42, nested: { ok: true } } });
    expect(r.body.janus).toBe('success');
    const ev = await hook.waitFor((e) => e.type === 4 && e.event.schema === schema, 10_000, 'type-4 event');
    expect(ev.event).toEqual({ schema, data: { answer: 42, nested: { ok: true } } });
    expect(ev.session_id).toBeUndefined();
    expect(ev.handle_id).toBeUndefined();
    // data must be an object, schema a string
    expect((await api.admin({ janus: 'custom_event', schema, data: 'x' })).body).toMatchObject({
      janus: 'error',
      error: { code: 467 },
    });
    expect((await api.admin({ janus: 'custom_event', data: {} })).body).toMatchObject({
      janus: 'error',
      error: { code: 456 },
    });
  });

  it('when the webhook fails (500) the events are retried and still arrive', async () => {
    const failsBefore = hook.posts.filter((p) => p.status === 500).length;
    hook.failNext = 3;
    const schema = `retry.${tx()}`;
    expect((await api.admin({ janus: 'custom_event', schema, data: { n: 1 } })).body.janus).toBe('success');
    const sid = await api.create();
    await hook.waitFor((e) => e.type === 4 && e.event.schema === schema, 15_000, 'custom event after retries');
    await hook.waitFor(
      (e) => e.type === 1 && e.session_id === sid && e.event.name === 'created',
      15_000,
      'created event after retries',
    );
    expect(hook.posts.filter((p) => p.status === 500).length - failsBefore).toBe(3);
    expect(hook.failNext).toBe(0);
    // Delivered once, not once per attempt.
    expect(hook.find((e) => e.type === 4 && e.event.schema === schema)).toHaveLength(1);
    expectWellFormedPosts();
    await api.destroy(sid);
  });

  it('a hanging webhook never slows the API', async () => {
    hook.mode = 'hang';
    const ids: number[] = [];
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        ids.push(await api.create());
        latencies.push(performance.now() - t0);
        const k = await api.janus(`/${ids[i]}`, { janus: 'keepalive' });
        expect(k.body.janus).toBe('ack');
        latencies.push(k.ms);
      }
      const r = await api.admin({ janus: 'custom_event', schema: 'during-hang', data: {} });
      expect(r.body.janus).toBe('success');
      latencies.push(r.ms);
      // Concurrent creates too.
      const burst = await pool(Array.from({ length: 50 }), 16, async () => {
        const t0 = performance.now();
        const id = await api.create();
        latencies.push(performance.now() - t0);
        return id;
      });
      ids.push(...burst);
      expect(hook.hungCount, 'the webhook really was hanging requests').toBeGreaterThan(0);
      const worst = Math.max(...latencies);
      expect(worst, `latencies while the webhook hangs: worst ${worst.toFixed(0)} ms`).toBeLessThan(500);
    } finally {
      hook.mode = 'ok';
      await pool(ids, 16, (id) => api.destroy(id));
    }
  });

  it('events flow again once a webhook that hung answers (a hung POST must not stall the queue forever)', async () => {
    // Make sure one POST is hanging (it stays unanswered, as a dead backend's would).
    hook.mode = 'hang';
    const hungBefore = hook.hungCount;
    const first = await api.create();
    await waitUntil(() => hook.hungCount > hungBefore || hook.hungCount > 0, 5000, 'a hung webhook POST');
    hook.mode = 'ok';
    const second = await api.create();
    // Janus's sample handler gives up on a request after its 10 s curl timeout, then retries.
    await waitUntil(
      () =>
        [first, second].every((id) =>
          hook.events.some((e) => e.type === 1 && e.session_id === id && e.event.name === 'created'),
        ),
      15_000,
      'events created during and after the hang delivered once the webhook answers',
      250,
    );
    await api.destroy(first);
    await api.destroy(second);
  }, 30_000);
});
