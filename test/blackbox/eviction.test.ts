/**
 * Deadlines survive eviction. workerd evicts a Durable Object after about 10 s without requests, as
 * production does; the shard's alarm then wakes a fresh instance that restores its sessions from
 * storage. With SESSION_TIMEOUT=30 and RECLAIM_SESSION_TIMEOUT=25, sessions are created (over HTTP,
 * over a WebSocket that stays open, over WebSockets that close at once) and the whole edge is left
 * without a single request well past eviction and every deadline. Then each session must be gone
 * from `list_sessions`, with one type-1 `timeout` each and `{janus:"timeout"}` on the open socket;
 * and an event queued for a long poll before the silence must still be delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack.js';
import { JanusHttp, RawWs, sleep, startSignallingStack, Webhook } from './support/janus.js';

const SESSION_TIMEOUT = 30;
const RECLAIM = 25;

let stack: Stack;
let hook: Webhook;
let api: JanusHttp;

beforeAll(async () => {
  hook = await new Webhook().start();
  stack = await startSignallingStack({
    EVENTS_URL: hook.url,
    LOG_LEVEL: 'warn',
    SESSION_TIMEOUT: String(SESSION_TIMEOUT),
    RECLAIM_SESSION_TIMEOUT: String(RECLAIM),
  });
  api = new JanusHttp(stack.httpUrl, stack.adminUrl);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await hook?.stop();
});

async function wsCreate(ws: RawWs): Promise<number> {
  const r = await ws.request({ janus: 'create' });
  if (r.janus !== 'success') throw new Error(`ws create failed: ${JSON.stringify(r)}`);
  return (r.data as { id: number }).id;
}

describe('timeouts across eviction (SESSION_TIMEOUT=30, RECLAIM_SESSION_TIMEOUT=25)', () => {
  it('idle sessions expire on time although every shard was evicted meanwhile', async () => {
    const started = Date.now();
    const http = await Promise.all(Array.from({ length: 12 }, () => api.create()));
    const open = await RawWs.open(stack.wsUrl);
    const openSid = await wsCreate(open);
    const reclaimed: number[] = [];
    for (let i = 0; i < 6; i++) {
      const ws = await RawWs.open(stack.wsUrl);
      for (let j = 0; j < 3; j++) reclaimed.push(await wsCreate(ws));
      await ws.close();
    }
    // A long-poll session that outlives the others, with an event nobody polls for yet.
    const queued = await api.create();
    const handle = await api.attach(queued);
    expect((await api.admin({ janus: 'set_session_timeout', session_id: queued, timeout: 120 })).body.janus).toBe(
      'success',
    );
    const msg = await api.janus(`/${queued}/${handle}`, { janus: 'message', body: { audio: true } });
    expect(msg.body.janus).toBe('ack');
    const all = [...http, openSid, ...reclaimed];
    const listed = await api.listSessions();
    for (const sid of [...all, queued]) expect(listed).toContain(sid);

    // No request at all: the shards idle past eviction (~10 s) and past every deadline.
    await sleep(SESSION_TIMEOUT * 1000 + 8000 - (Date.now() - started));

    const after = await api.listSessions();
    const left = all.filter((sid) => after.includes(sid));
    expect(left, `${left.length} of ${all.length} sessions still listed`).toEqual([]);
    expect(after).toContain(queued);
    const timeout = await open.waitFor((m) => m.janus === 'timeout', 1000, '{janus:"timeout"}');
    expect(timeout.session_id).toBe(openSid);
    for (const sid of all) {
      const ends = hook.find((e) => e.type === 1 && e.session_id === sid && e.event.name !== 'created');
      expect(
        ends.map((e) => e.event.name),
        `type-1 end of ${sid}`,
      ).toEqual(['timeout']);
    }
    await open.close();

    // The event queued before the silence is still there for the long poll.
    const polled = await fetch(`${stack.httpUrl}/${queued}?maxev=5`);
    const events = (await polled.json()) as { janus: string; sender?: number }[];
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ janus: 'event', sender: handle })]));
    await api.destroy(queued);
  }, 90_000);
});
