import { env as testEnv, runDurableObjectAlarm, abortAllDurableObjects } from 'cloudflare:test';
import type { Env } from '../../edge/env.js';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../edge/core/ids.js';
import { Stubs } from '../../edge/stubs.js';
import { admin, attach, createSession, janus, listSessions } from './api.js';

const env = testEnv as unknown as Env;
const SHARDS = 16;
const stubs = new Stubs(env, SHARDS);
const shardFor = (sessionId: number) => stubs.shardOfSession(sessionId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('session coordinators inside workerd', () => {
  it('routes a session id to its shard without a lookup and keeps ids safe integers', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => createSession()));
    for (const id of ids) {
      expect(Number.isSafeInteger(id)).toBe(true);
      expect(id).toBeGreaterThan(0);
      const r = await janus(`/janus/${id}`, { janus: 'keepalive' });
      expect(r.janus).toBe('ack');
    }
    // Past SHARD_FILL (8 here) sessions go on to the next shard: more than one is in use, the
    // lowest first, so the registry really is spread.
    const used = [...new Set(ids.map((id) => shardOf(id, SHARDS)))].sort((a, b) => a - b);
    expect(used.length).toBeGreaterThan(1);
    expect(used).toEqual(used.map((_, i) => i));
    const listed = await listSessions();
    for (const id of ids) expect(listed).toContain(id);
  });

  it('expires a session through the alarm and runs the termination path', async () => {
    const sid = await createSession();
    const hid = await attach(sid);
    expect((await admin({ janus: 'list_handles', session_id: sid })).handles).toEqual([hid]);
    const set = await admin({ janus: 'set_session_timeout', session_id: sid, timeout: 1 });
    expect(set).toMatchObject({ janus: 'success', timeout: 1, session_id: sid });
    // Only the shard's alarm expires sessions: either it already fired on time, or we run it now.
    await sleep(1100);
    await runDurableObjectAlarm(shardFor(sid));
    expect(await listSessions()).not.toContain(sid);
    const gone = await janus(`/janus/${sid}`, { janus: 'keepalive' });
    expect(gone.error.code).toBe(458);
    const counts = await shardFor(sid).counts();
    expect(counts.sessions).toBe((await shardFor(sid).listSessions()).length);
  });

  it('keeps a session alive while it is active and a per-session 0 disables its timeout', async () => {
    const sid = await createSession();
    await admin({ janus: 'set_session_timeout', session_id: sid, timeout: 0 });
    await sleep(50);
    await runDurableObjectAlarm(shardFor(sid));
    expect(await listSessions()).toContain(sid);
    await janus(`/janus/${sid}`, { janus: 'destroy' });
  });

  it('survives eviction: sessions, handles and timeouts carry on in a restarted coordinator', async () => {
    const sid = await createSession();
    const hid = await attach(sid);
    const other = await createSession();
    // Records are written behind (a session once it is a second old, changes within 100 ms); an
    // eviction happens only after idling.
    await sleep(1300);
    await janus(`/janus/${other}`, { janus: 'keepalive' });
    await admin({ janus: 'set_session_timeout', session_id: other, timeout: 1 });
    await sleep(200);
    await abortAllDurableObjects();
    // A fresh instance restores from storage.
    expect(await listSessions()).toEqual(expect.arrayContaining([sid, other]));
    expect((await admin({ janus: 'list_handles', session_id: sid })).handles).toEqual([hid]);
    const info = await admin({ janus: 'handle_info', session_id: sid, handle_id: hid });
    expect(info.info.plugin).toBe('janus.plugin.echotest');
    const msg = await janus(`/janus/${sid}/${hid}`, { janus: 'message', body: { audio: true } });
    expect(msg.janus).toBe('ack');
    // The restored per-session timeout still expires the other session.
    await sleep(1100);
    await runDurableObjectAlarm(shardFor(other));
    const listed = await listSessions();
    expect(listed).toContain(sid);
    expect(listed).not.toContain(other);
  });

  it('keeps runtime settings across eviction and pushes them to every shard', async () => {
    expect((await admin({ janus: 'accept_new_sessions', accept: false })).accept).toBe(false);
    await sleep(150);
    await abortAllDurableObjects();
    const refused = await janus('/janus', { janus: 'create' });
    expect(refused.error.code).toBe(472);
    await admin({ janus: 'accept_new_sessions', accept: true });
    expect(typeof (await createSession())).toBe('number');
  });

  it('derives counts from the registry after a churn ended by destroy, admin destroy and timeout', async () => {
    const before = await listSessions();
    const ids = await Promise.all(Array.from({ length: 60 }, () => createSession()));
    await Promise.all(ids.map((id) => attach(id)));
    await Promise.all(
      ids.map((id, i) => {
        if (i % 3 === 0) return janus(`/janus/${id}`, { janus: 'destroy' });
        if (i % 3 === 1) return admin({ janus: 'destroy_session', session_id: id });
        return admin({ janus: 'set_session_timeout', session_id: id, timeout: 1 });
      }),
    );
    await sleep(1100);
    for (let shard = 0; shard < SHARDS; shard++) await runDurableObjectAlarm(stubs.shard(shard));
    const after = await listSessions();
    for (const id of ids) expect(after).not.toContain(id);
    expect(after.length).toBeLessThanOrEqual(before.length);
    const core = stubs.core();
    const counts = await core.counts();
    expect(counts.sessions).toBe(after.length);
  });
});
