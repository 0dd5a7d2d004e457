import { env as testEnv, runDurableObjectAlarm, abortAllDurableObjects, SELF } from 'cloudflare:test';
import type { Env } from '../../edge/env.js';
import { describe, expect, it } from 'vitest';
import { Stubs } from '../../edge/stubs.js';
import { admin, attach, createSession, janus, listSessions } from './api.js';

const env = testEnv as unknown as Env;
const stubs = new Stubs(env, 16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Forced eviction (every Durable Object aborted, as workerd does to an idle one): a restored shard
 * keeps each session's deadline instead of granting a fresh window, and keeps queued long-poll events.
 */
describe('deadlines and queues across forced eviction', () => {
  it('an idle session expires at its original deadline after the shard was evicted', async () => {
    const started = Date.now();
    const sid = await createSession();
    await admin({ janus: 'set_session_timeout', session_id: sid, timeout: 3 });
    // Written behind once a second old.
    await sleep(1300);
    await abortAllDurableObjects();
    await sleep(Math.max(0, started + 3200 - Date.now()));
    // The alarm wakes a fresh instance, which restores the session and finds it due.
    await runDurableObjectAlarm(stubs.shardOfSession(sid));
    expect(await listSessions()).not.toContain(sid);
    expect((await janus(`/janus/${sid}`, { janus: 'keepalive' })).error.code).toBe(458);
  });

  it('an event queued for a long poll survives eviction', async () => {
    const sid = await createSession();
    const hid = await attach(sid);
    expect((await janus(`/janus/${sid}/${hid}`, { janus: 'message', body: { audio: true } })).janus).toBe('ack');
    await sleep(1300);
    await abortAllDurableObjects();
    const res = await SELF.fetch(`http://edge/janus/${sid}?maxev=5`);
    const events = (await res.json()) as { janus: string; sender?: number }[];
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ janus: 'event', sender: hid })]));
    await janus(`/janus/${sid}`, { janus: 'destroy' });
  });
});
