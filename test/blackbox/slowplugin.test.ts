/**
 * A slow plugin must never stall the API for everyone else (§1.9, §7.3: in Janus a plugin blocking
 * in create_session/destroy_session/hangup_media blocks the single core thread). With
 * SHARD_COUNT=1 every session shares one coordinator; while `janus.plugin.slowtest` attaches,
 * handles messages, detaches and answers admin messages (each taking ~2 s), other sessions'
 * create, keepalive and Admin list_sessions/get_status must keep answering fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { get, JanusHttp, RawWs, sleep, tx, type JanusMsg, startSignallingStack } from './support/janus.js';

const FAST_MS = 500;
const SLOW = 'janus.plugin.slowtest';

let stack: Stack;
let api: JanusHttp;

beforeAll(async () => {
  stack = await startSignallingStack({ TEST_PLUGINS: 'true', SHARD_COUNT: '1', LOG_LEVEL: 'warn' });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
});

afterAll(async () => {
  await stack?.stop();
});

interface Probe {
  op: string;
  ms: number;
  ok: boolean;
  detail?: string;
}

/**
 * Runs other sessions' requests back to back (HTTP and WebSocket) until `until` settles, timing each.
 */
async function probeWhile(until: Promise<unknown>): Promise<Probe[]> {
  let done = false;
  void until.finally(() => (done = true));
  const probes: Probe[] = [];
  const ws = await RawWs.open(stack.wsUrl);
  const mine: number[] = [];
  const time = async (op: string, fn: () => Promise<JanusMsg>, expectJanus: string) => {
    const t0 = performance.now();
    const r = await fn();
    probes.push({
      op,
      ms: performance.now() - t0,
      ok: r.janus === expectJanus,
      detail: r.janus === expectJanus ? undefined : JSON.stringify(r),
    });
    return r;
  };
  try {
    while (!done) {
      const c = await time('http create', async () => (await api.janus('', { janus: 'create' })).body, 'success');
      const sid = (c.data as { id: number }).id;
      mine.push(sid);
      await time('http keepalive', async () => (await api.janus(`/${sid}`, { janus: 'keepalive' })).body, 'ack');
      await time('admin list_sessions', async () => (await api.admin({ janus: 'list_sessions' })).body, 'success');
      await time('admin get_status', async () => (await api.admin({ janus: 'get_status' })).body, 'success');
      const wc = await time('ws create', () => ws.request({ janus: 'create' }), 'success');
      const wsid = (wc.data as { id: number }).id;
      await time('ws keepalive', () => ws.request({ janus: 'keepalive', session_id: wsid }), 'ack');
      await time(
        'ws attach echotest',
        () => ws.request({ janus: 'attach', session_id: wsid, plugin: 'janus.plugin.echotest' }),
        'success',
      );
      await time('http info', async () => (await get(`${stack.httpUrl}/info`)).body, 'server_info');
    }
  } finally {
    await ws.close();
    for (const s of mine) await api.destroy(s);
  }
  return probes;
}

function expectAllFast(probes: Probe[]): void {
  expect(probes.length).toBeGreaterThan(8);
  const bad = probes.filter((p) => !p.ok || p.ms >= FAST_MS);
  const worst = [...probes]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3)
    .map((p) => `${p.op} ${p.ms.toFixed(0)}ms`);
  expect(
    bad.map((p) => `${p.op}: ${p.ms.toFixed(0)} ms ${p.detail ?? ''}`),
    `worst: ${worst.join(', ')}`,
  ).toEqual([]);
}

describe('a slow plugin does not block other sessions (SHARD_COUNT=1)', () => {
  it('while slow attaches are in flight, other sessions’ requests answer fast', async () => {
    const sessions = await Promise.all([api.create(), api.create(), api.create()]);
    const t0 = performance.now();
    const attaches = Promise.all(sessions.map((s) => api.janus(`/${s}`, { janus: 'attach', plugin: SLOW })));
    const probes = await probeWhile(attaches);
    const replies = await attaches;
    const attachMs = performance.now() - t0;
    for (const r of replies) expect(r.body.janus).toBe('success');
    // The slow work really was in flight the whole time, and the three attaches ran side by side.
    expect(attachMs).toBeGreaterThanOrEqual(1800);
    expect(attachMs).toBeLessThan(5000);
    expectAllFast(probes);
    for (const s of sessions) await api.destroy(s);
  });

  it('while slow messages, admin message_plugin, detach and destroy are in flight, other sessions’ requests answer fast', async () => {
    const sid = await api.create();
    const handles: number[] = [];
    const attached = await Promise.all([0, 1, 2].map(() => api.janus(`/${sid}`, { janus: 'attach', plugin: SLOW })));
    for (const a of attached) handles.push((a.body.data as { id: number }).id);
    const other = await api.create();
    const otherHandle = (await api.janus(`/${other}`, { janus: 'attach', plugin: SLOW })).body.data as { id: number };

    const slowWork = (async () => {
      // Messages are acked at once; their events come ~2 s later.
      const txs = [tx(), tx(), tx()];
      const acks = await Promise.all(
        txs.map((t, i) =>
          api.janus(`/${sid}/${handles[0]}`, { janus: 'message', transaction: t, body: { delay_ms: 1500 + i * 200 } }),
        ),
      );
      for (const a of acks) {
        expect(a.body.janus).toBe('ack');
        expect(a.ms).toBeLessThan(FAST_MS);
      }
      const sync = await api.janus(`/${sid}/${handles[0]}`, { janus: 'message', body: { request: 'sync' } });
      expect(sync.body).toMatchObject({ janus: 'success', plugindata: { plugin: SLOW, data: { slowtest: 'ok' } } });
      // Admin message_plugin takes ~2 s in the plugin.
      const adminMsg = api.admin({ janus: 'message_plugin', plugin: SLOW, request: { hello: 'world' } });
      // Detach and hangup (plugin destroy/hangup take ~2 s) must not hold their own replies either.
      const det = await api.janus(`/${sid}/${handles[1]}`, { janus: 'detach' });
      expect(det.body.janus).toBe('success');
      expect(det.ms).toBeLessThan(FAST_MS);
      const hang = await api.janus(`/${sid}/${handles[2]}`, { janus: 'hangup' });
      expect(hang.body.janus).toBe('success');
      // Destroying a session whose handle's plugin is slow to destroy.
      const d = await api.destroy(other);
      expect(d.body.janus).toBe('success');
      expect(d.ms).toBeLessThan(FAST_MS);
      const events: JanusMsg[] = [];
      while (events.filter((e) => e.janus === 'event').length < 3) {
        const p = await get<JanusMsg[]>(`${stack.httpUrl}/${sid}?maxev=10`);
        expect(p.status).toBe(200);
        events.push(...p.body.filter((e) => e.janus !== 'keepalive'));
      }
      const evs = events.filter((e) => e.janus === 'event');
      expect(evs.map((e) => e.transaction).sort()).toEqual([...txs].sort());
      for (const e of evs)
        expect(e).toMatchObject({
          sender: handles[0],
          plugindata: { plugin: SLOW, data: { slowtest: 'event', result: 'done' } },
        });
      expect(events.some((e) => e.janus === 'detached' && e.sender === handles[1])).toBe(true);
      const am = await adminMsg;
      expect(am.body).toMatchObject({ janus: 'success', response: { slowtest: 'admin', echo: { hello: 'world' } } });
      expect(am.ms).toBeGreaterThanOrEqual(1800);
    })();
    const probes = await probeWhile(slowWork);
    await slowWork;
    expectAllFast(probes);
    expect(await api.listHandles(sid)).toEqual(expect.arrayContaining([handles[0], handles[2]]));
    expect(await api.listSessions()).not.toContain(other);
    void otherHandle;
    await api.destroy(sid);
    await sleep(100);
  });
});
