import { describe, expect, it } from 'vitest';
import { EventType } from '../../../shared/janus/events.js';
import { OFFER, SHARD, ShardHarness, TestSocket } from './harness.js';

/**
 * Every way a session ends runs the one termination path: handles released once (relay told once,
 * plugin told once), the type-1 event emitted, the record removed from storage, counts derived.
 */
async function sessionWithPeer(t: ShardHarness, origin?: Parameters<ShardHarness['create']>[0]) {
  const sid = await t.create(origin);
  const hid = await t.attach(sid);
  const plain = await t.attach(sid);
  const r = await t.request({
    janus: 'message',
    session_id: sid,
    handle_id: hid,
    body: { request: 'open' },
    jsep: { type: 'offer', sdp: OFFER },
  });
  expect(r.janus).toBe('success');
  // Old enough to be written, then flushed.
  t.clock.advance(1_100);
  await t.settle();
  expect(t.storage.data.has(`s:${sid}`)).toBe(true);
  expect(t.core.counts()).toEqual({ sessions: 1, handles: 2, peerconnections: 1 });
  return { sid, hid, plain };
}

async function expectEnded(t: ShardHarness, sid: number, hid: number, plain: number, cause: 'destroyed' | 'timeout') {
  t.clock.advance(200);
  await t.settle();
  expect(t.core.listSessions()).not.toContain(sid);
  expect(t.core.counts()).toEqual({ sessions: 0, handles: 0, peerconnections: 0 });
  expect(t.relays.ops('peer.hangup')).toHaveLength(1);
  expect(t.plugin.calls.filter((c) => c === `hangup ${hid} Detach`)).toHaveLength(1);
  expect(t.plugin.count(`hangup ${plain}`)).toBe(0);
  expect(t.plugin.count(`destroy ${hid}`)).toBe(1);
  expect(t.plugin.count(`destroy ${plain}`)).toBe(1);
  expect(
    t.events.filter((e) => e.type === EventType.SESSION && e.event.name === cause && e.opts?.sessionId === sid),
  ).toHaveLength(1);
  expect(t.storage.data.has(`s:${sid}`)).toBe(false);
  // Ending again changes nothing.
  const again = await t.request({ janus: 'destroy', session_id: sid });
  expect(again.error).toMatchObject({ code: 458 });
}

describe('the one termination path', () => {
  it('API destroy', async () => {
    const t = await new ShardHarness().start();
    const { sid, hid, plain } = await sessionWithPeer(t);
    expect(await t.request({ janus: 'destroy', session_id: sid })).toMatchObject({ janus: 'success', session_id: sid });
    await expectEnded(t, sid, hid, plain, 'destroyed');
  });

  it('admin destroy_session', async () => {
    const t = await new ShardHarness().start();
    const { sid, hid, plain } = await sessionWithPeer(t);
    expect(await t.admin.run({ kind: 'destroy_session', sessionId: sid })).toEqual({});
    await expectEnded(t, sid, hid, plain, 'destroyed');
    await expect(t.admin.run({ kind: 'destroy_session', sessionId: sid })).rejects.toMatchObject({ code: 458 });
  });

  it('timeout alarm: `timeout` sent to a waiting long poll', async () => {
    const t = await new ShardHarness().start();
    const { sid, hid, plain } = await sessionWithPeer(t);
    const waiting = t.core.poll(sid, 5);
    await t.settle();
    t.clock.advance(60_000);
    t.core.expire();
    expect(await waiting).toEqual({ status: 200, body: [{ janus: 'timeout', session_id: sid }] });
    await expectEnded(t, sid, hid, plain, 'timeout');
  });

  it('reclaim window after its WebSocket closed', async () => {
    const t = await new ShardHarness({ RECLAIM_SESSION_TIMEOUT: '5' }).start();
    const sock = new TestSocket();
    t.ws.accept(sock, SHARD, undefined, '127.0.0.1');
    const connId = (sock.deserializeAttachment() as { connId: string }).connId;
    const { sid, hid, plain } = await sessionWithPeer(t, { kind: 'ws', shard: SHARD, connId });
    const lastActivity = t.core.sessions.get(sid)?.lastActivity ?? 0;
    t.ws.closed(sock);
    expect(sock.closedWith).toBe(1000);
    // The window runs from the session's last activity (Janus's watchdog rule).
    expect(t.storage.alarm).toBe(lastActivity + 5_000);
    t.clock.advance(3_000);
    t.core.expire();
    expect(t.core.listSessions()).toContain(sid);
    t.clock.advance(1_000);
    t.core.expire();
    await expectEnded(t, sid, hid, plain, 'timeout');
  });

  it('WebSocket close with reclaim 0, and the sessions of other shards it sourced are told', async () => {
    const t = await new ShardHarness().start();
    const sock = new TestSocket();
    t.ws.accept(sock, SHARD, undefined, '127.0.0.1');
    const connId = (sock.deserializeAttachment() as { connId: string }).connId;
    const { sid, hid, plain } = await sessionWithPeer(t, { kind: 'ws', shard: SHARD, connId });
    // A create routed to another shard over this socket makes that session ours to report.
    await t.ws.message(sock, JSON.stringify({ janus: 'create', transaction: 'x', id: 16 * 5 + 7 }));
    t.ws.closed(sock);
    t.ws.closed(sock);
    await expectEnded(t, sid, hid, plain, 'destroyed');
    expect(t.peer(7).calls).toEqual(['janus create', `gone ${16 * 5 + 7} ${connId} ${SHARD}`]);
    expect(
      t.events.filter(
        (e) => e.type === EventType.TRANSPORT && (e.event.data as { event: string }).event === 'disconnected',
      ),
    ).toHaveLength(1);
  });
});
