import { describe, expect, it } from 'vitest';
import type { EnvVars } from '../../../edge/config.js';
import { EventType } from '../../../shared/janus/events.js';
import type { SessionRecord } from '../../../edge/core/session.js';
import { SHARD, ShardHarness, TestSocket } from './harness.js';

/**
 * Deadlines survive eviction: a restarted shard (a new SessionCore over the same storage, its clock
 * where the old one stopped) expires sessions at their original deadline, at most 10% of the window
 * early, never with a fresh window; the `timeout` event and the type-1 event go out as without a restart.
 */
async function restart(t: ShardHarness, vars: EnvVars = {}): Promise<ShardHarness> {
  const r = new ShardHarness(vars, t.storage);
  r.clock.time = t.clock.time;
  // Hibernated WebSockets outlive the object.
  r.sockets.push(...t.sockets);
  return r.start();
}

/** Runs the alarm when it falls due (as workerd does, waking an evicted object). */
function runAlarm(t: ShardHarness): number {
  const at = t.storage.alarm ?? Infinity;
  expect(Number.isFinite(at)).toBe(true);
  t.clock.advance(Math.max(0, at - t.clock.now()));
  t.core.expire();
  return at;
}

const ended = (t: ShardHarness, sid: number) =>
  t.events.filter((e) => e.type === EventType.SESSION && e.opts?.sessionId === sid && e.event.name !== 'created');

describe('timeouts across eviction', () => {
  it('an idle HTTP session expires at its original deadline in a restored shard', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const created = t.clock.now();
    t.clock.advance(1_200);
    await t.settle();
    expect(t.storage.data.has(`s:${sid}`)).toBe(true);
    // Evicted after idling; woken later (by its alarm, or a request to another session).
    t.clock.advance(30_000);
    const r = await restart(t);
    expect(r.core.listSessions()).toEqual([sid]);
    expect(r.storage.alarm).toBe(created + 60_000);
    // A second restart before the deadline changes nothing.
    r.clock.advance(20_000);
    const again = await restart(r);
    expect(again.storage.alarm).toBe(created + 60_000);
    expect(runAlarm(again)).toBe(created + 60_000);
    expect(again.core.listSessions()).toEqual([]);
    expect(ended(again, sid).map((e) => e.event.name)).toEqual(['timeout']);
    again.clock.advance(200);
    await again.settle();
    expect(again.storage.data.has(`s:${sid}`)).toBe(false);
  });

  it("a plugin still reads a restored handle's state when the session expires (a VideoRoom participant leaves)", async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    const state = { room: 1234, role: 'publisher', id: 7 };
    await t.request({ janus: 'message', session_id: sid, handle_id: hid, body: { request: 'remember', state } });
    t.clock.advance(1_200);
    await t.settle();
    // Evicted while idle; its alarm wakes a fresh instance, whose contexts were never asked for state.
    t.clock.advance(30_000);
    const r = await restart(t);
    runAlarm(r);
    await r.settle();
    expect(r.core.listSessions()).toEqual([]);
    expect(r.plugin.calls).toContain(`destroy ${hid}`);
    expect(r.plugin.statesAtDestroy.get(hid)).toEqual(state);
  });

  it('a restored shard reads the settings it kept instead of asking the coordinator again', async () => {
    const t = await new ShardHarness().start();
    expect(t.settingsAsked).toBe(1);
    await t.settle();
    const r = await restart(t);
    expect(r.settingsAsked).toBe(0);
    expect(r.core.settings).toEqual(t.settings);
    // A change pushed later still applies over the kept copy.
    expect(r.core.applySettings({ ...t.settings, version: 2, sessionTimeout: 30 })).toBe(true);
  });

  it('a busy session stores its activity lazily, bounded by a tenth of the window', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const puts = () => t.storage.data.get(`s:${sid}`) as SessionRecord | undefined;
    let writes = 0;
    let last: number | undefined;
    for (let i = 0; i < 300; i++) {
      t.clock.advance(500);
      await t.request({ janus: 'keepalive', session_id: sid });
      t.clock.advance(150);
      await t.settle();
      const stored = puts()?.lastActivity;
      if (stored !== undefined && stored !== last) writes++;
      last = stored;
      if (i > 2) expect(t.clock.now() - (stored ?? 0)).toBeLessThanOrEqual(6_000 + 650);
    }
    // 300 keepalives over 195 s: about one write per 6 s, not one per request.
    expect(writes).toBeLessThan(40);
    const real = t.core.sessions.get(sid)?.lastActivity ?? 0;
    const r = await restart(t);
    const at = runAlarm(r);
    expect(at).toBeLessThanOrEqual(real + 60_000);
    expect(at).toBeGreaterThanOrEqual(real + 60_000 - 6_000);
    expect(ended(r, sid).map((e) => e.event.name)).toEqual(['timeout']);
  });

  it('a WebSocket session with a live socket is sent `timeout` by the restored shard', async () => {
    const t = await new ShardHarness().start();
    const sock = new TestSocket();
    t.ws.accept(sock, SHARD, undefined, '127.0.0.1');
    const connId = (sock.deserializeAttachment() as { connId: string }).connId;
    const sid = await t.create({ kind: 'ws', shard: SHARD, connId });
    const created = t.clock.now();
    t.clock.advance(1_200);
    await t.settle();
    t.clock.advance(15_000);
    const r = await restart(t);
    expect(runAlarm(r)).toBe(created + 60_000);
    expect(sock.sent).toContainEqual({ janus: 'timeout', session_id: sid });
    expect(ended(r, sid).map((e) => e.event.name)).toEqual(['timeout']);
  });

  it('after a crash (no socket survives), a restored shard ends the sessions of the lost sockets at once', async () => {
    const t = await new ShardHarness().start();
    const lost = new TestSocket();
    const kept = new TestSocket();
    t.ws.accept(lost, SHARD, undefined, '127.0.0.1');
    t.ws.accept(kept, SHARD, undefined, '127.0.0.1');
    const connOf = (s: TestSocket) => (s.deserializeAttachment() as { connId: string }).connId;
    const lostSid = await t.create({ kind: 'ws', shard: SHARD, connId: connOf(lost) });
    const keptSid = await t.create({ kind: 'ws', shard: SHARD, connId: connOf(kept) });
    // A session of shard 5 whose socket shard 5 held: shard 5 is asked, and says it is gone.
    t.clock.advance(1_200);
    await t.settle();
    const r = new ShardHarness({}, t.storage);
    r.clock.time = t.clock.time;
    r.sockets.push(...t.sockets.filter((s) => s.ws === kept));
    await r.start();
    expect(r.core.listSessions()).toEqual([keptSid]);
    expect(ended(r, lostSid).map((e) => e.event.name)).toEqual(['destroyed']);
    expect(ended(r, keptSid)).toEqual([]);
  });

  it('a restored session whose socket another shard held asks that shard, and ends if it is gone', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create({ kind: 'ws', shard: 5, connId: 'c-remote' });
    const other = await t.create({ kind: 'ws', shard: 5, connId: 'c-alive' });
    t.clock.advance(1_200);
    await t.settle();
    const r = new ShardHarness({}, t.storage);
    r.clock.time = t.clock.time;
    r.peer(5).dead.add('c-remote');
    await r.start();
    await r.settle();
    expect(r.peer(5).calls).toContain('alive? c-remote,c-alive');
    expect(r.core.listSessions()).toEqual([other]);
    expect(ended(r, sid).map((e) => e.event.name)).toEqual(['destroyed']);
  });

  it('a reclaim window runs on in a restored shard', async () => {
    const vars = { RECLAIM_SESSION_TIMEOUT: '20' };
    const t = await new ShardHarness(vars).start();
    const sock = new TestSocket();
    t.ws.accept(sock, SHARD, undefined, '127.0.0.1');
    const connId = (sock.deserializeAttachment() as { connId: string }).connId;
    const sid = await t.create({ kind: 'ws', shard: SHARD, connId });
    t.clock.advance(3_000);
    await t.request({ janus: 'keepalive', session_id: sid }, { kind: 'ws', shard: SHARD, connId });
    const active = t.clock.now();
    t.ws.closed(sock);
    t.clock.advance(200);
    await t.settle();
    expect((t.storage.data.get(`s:${sid}`) as SessionRecord).transportGoneAt).toBeDefined();
    t.clock.advance(12_000);
    const r = await restart(t, vars);
    expect(r.core.listSessions()).toEqual([sid]);
    const at = runAlarm(r);
    expect(at).toBeLessThanOrEqual(active + 20_000);
    expect(at).toBeGreaterThanOrEqual(active + 20_000 - 2_000);
    expect(r.core.listSessions()).toEqual([]);
    expect(ended(r, sid).map((e) => e.event.name)).toEqual(['timeout']);
  });

  it('events queued for a long poll survive eviction; those a poll takes at once are never stored', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    // Taken by a waiting poll: no queue write.
    const waiting = t.core.poll(sid, 5);
    await t.settle();
    await t.request({ janus: 'message', session_id: sid, handle_id: hid, body: { request: 'later' } });
    expect((await waiting).status).toBe(200);
    t.clock.advance(2_000);
    await t.settle();
    expect(t.storage.data.has(`q:${sid}`)).toBe(false);
    // Nobody polls: stored once it lingered.
    await t.request({ janus: 'message', session_id: sid, handle_id: hid, body: { request: 'later' } });
    t.clock.advance(1_200);
    await t.settle();
    expect(t.storage.data.has(`q:${sid}`)).toBe(true);
    t.clock.advance(20_000);
    const r = await restart(t);
    const polled = await r.core.poll(sid, 5);
    expect(polled).toMatchObject({ status: 200, body: [{ janus: 'event', session_id: sid, sender: hid }] });
    r.clock.advance(200);
    await r.settle();
    expect(r.storage.data.has(`q:${sid}`)).toBe(false);
  });
  it('an alarm that was never delivered is set again by the next activity, so the session still expires', async () => {
    const t = await new ShardHarness().start();
    const first = await t.create();
    const due = t.storage.alarm!;
    // The runtime loses the alarm (this instance never runs it) and time passes beyond it.
    t.storage.alarm = undefined;
    t.clock.advance(due - t.clock.now() + 1_000);
    const second = await t.create();
    expect(t.storage.alarm).toBeDefined();
    expect(t.storage.alarm!).toBeLessThanOrEqual(t.clock.now());
    runAlarm(t);
    expect(t.core.listSessions()).toEqual([second]);
    expect(ended(t, first).map((e) => e.event.name)).toEqual(['timeout']);
    expect(t.storage.alarm).toBe(t.clock.now() + 60_000);
  });
});
