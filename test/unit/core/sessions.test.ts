import { describe, expect, it } from 'vitest';
import { OFFER, SHARD, SHARDS, ShardHarness, TestSocket } from './harness.js';

describe('session core on an in-memory host', () => {
  it('creates, attaches, messages and detaches; the registry counts what exists', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    expect(sid % SHARDS).toBe(SHARD);
    const hid = await t.attach(sid);
    expect(t.plugin.calls).toEqual([`create ${hid}`]);
    const r = await t.request({ janus: 'message', session_id: sid, handle_id: hid, body: { x: 1 } });
    expect(r).toMatchObject({
      janus: 'success',
      session_id: sid,
      sender: hid,
      plugindata: { data: { echo: { x: 1 } } },
    });
    expect(t.core.counts()).toEqual({ sessions: 1, handles: 1, peerconnections: 0 });

    const d = await t.request({ janus: 'detach', session_id: sid, handle_id: hid });
    expect(d.janus).toBe('success');
    await t.settle();
    expect(t.plugin.count('destroy')).toBe(1);
    // No PeerConnection: the plugin is not told of a hang-up.
    expect(t.plugin.count('hangup')).toBe(0);
    expect(t.core.counts()).toEqual({ sessions: 1, handles: 0, peerconnections: 0 });
    const poll = await t.core.poll(sid, 10);
    expect(poll).toEqual({ status: 200, body: [{ janus: 'detached', session_id: sid, sender: hid }] });
  });

  it('answers path, verb and body errors as Janus does', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    const code = async (body: Record<string, unknown>) =>
      ((await t.request(body)).error as { code: number } | undefined)?.code;
    expect(await code({ janus: 'attach' })).toBe(457);
    expect(await code({ janus: 'bogus', session_id: sid })).toBe(453);
    expect(await code({ janus: 'attach', session_id: sid })).toBe(456);
    expect(await code({ janus: 'attach', session_id: sid, handle_id: hid, plugin: 'x' })).toBe(457);
    expect(await code({ janus: 'message', session_id: sid })).toBe(457);
    expect(await code({ janus: 'message', session_id: sid, handle_id: hid })).toBe(456);
    expect(await code({ janus: 'message', session_id: sid, handle_id: hid, body: {}, jsep: 3 })).toBe(455);
    expect(await code({ janus: 'trickle', session_id: sid, handle_id: hid })).toBe(456);
    expect(await code({ janus: 'keepalive', session_id: sid + SHARDS })).toBe(458);
    expect(await code({ janus: 'KeepAlive', session_id: sid, handle_id: hid })).toBeUndefined();
    // A create asking for a taken id answers 468 with that id.
    expect(await t.request({ janus: 'create', id: sid })).toMatchObject({
      janus: 'error',
      session_id: sid,
      error: { code: 468 },
    });
  });

  it('keepalive acknowledges and moves the deadline', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    expect(t.storage.alarm).toBe(t.clock.now() + 60_000);
    t.clock.advance(50_000);
    expect(await t.request({ janus: 'keepalive', session_id: sid })).toMatchObject({ janus: 'ack', session_id: sid });
    t.clock.advance(20_000);
    t.core.expire();
    expect(t.core.listSessions()).toEqual([sid]);
    // The alarm moved to the new deadline.
    expect(t.storage.alarm).toBe(t.clock.now() + 40_000);
  });

  it('claim moves the session to the claiming transport; its old shard forgets it', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create({ kind: 'ws', shard: 7, connId: 'c-old' });
    const r = await t.request({ janus: 'claim', session_id: sid });
    expect(r).toMatchObject({ janus: 'success', session_id: sid });
    await t.settle();
    expect(t.peer(7).calls).toEqual([`forget c-old ${sid}`]);
    const hid = await t.attach(sid);
    await t.request({ janus: 'detach', session_id: sid, handle_id: hid });
    // Events now queue for HTTP long polls.
    expect((await t.core.poll(sid, 1)).body).toMatchObject({ janus: 'detached', sender: hid });
  });

  it('delivers events to a waiting long poll, and answers keepalive when none come', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    const waiting = t.core.poll(sid, 1);
    await t.request({ janus: 'message', session_id: sid, handle_id: hid, body: { request: 'later' } });
    expect(await waiting).toEqual({
      status: 200,
      body: {
        janus: 'event',
        session_id: sid,
        transaction: expect.any(String),
        sender: hid,
        plugindata: { plugin: 'janus.plugin.echotest', data: { result: 'done' } },
      },
    });
    const idle = t.core.poll(sid, 2);
    await t.settle();
    t.clock.advance(29_999);
    await t.settle();
    let answered = false;
    void idle.then(() => (answered = true));
    await t.settle();
    expect(answered).toBe(false);
    t.clock.advance(1);
    expect(await idle).toEqual({ status: 200, body: [{ janus: 'keepalive' }] });
    expect(await t.core.poll(sid + SHARDS, 1)).toEqual({ status: 404 });
  });

  it('over the session own WebSocket, a message reply goes out before the events it caused', async () => {
    const t = await new ShardHarness().start();
    const sock = new TestSocket();
    t.ws.accept(sock, SHARD, undefined, '127.0.0.1');
    await t.ws.message(sock, JSON.stringify({ janus: 'create', transaction: 'c' }));
    const sid = (sock.sent[0]?.data as { id: number }).id;
    await t.ws.message(
      sock,
      JSON.stringify({ janus: 'attach', transaction: 'a', session_id: sid, plugin: 'janus.plugin.echotest' }),
    );
    const hid = (sock.sent[1]?.data as { id: number }).id;
    await t.ws.message(
      sock,
      JSON.stringify({
        janus: 'message',
        transaction: 'm',
        session_id: sid,
        handle_id: hid,
        body: { request: 'later' },
      }),
    );
    expect(sock.sent.slice(2).map((m) => m.janus)).toEqual(['ack', 'event']);
    expect(sock.sent.at(-1)).toMatchObject({ transaction: 'm', sender: hid });
  });

  it('places a PeerConnection, forwards candidates and hangs up once', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    await t.request({
      janus: 'trickle',
      session_id: sid,
      handle_id: hid,
      candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0' },
    });
    const r = await t.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'open' },
      jsep: { type: 'offer', sdp: OFFER },
    });
    expect(r).toMatchObject({ janus: 'success', jsep: { type: 'answer' } });
    await t.settle();
    expect(t.relays.ops('peer.create')).toHaveLength(1);
    // The candidate that came first was kept and sent once the peer existed.
    expect(t.relays.ops('peer.trickle')).toHaveLength(1);
    expect(t.core.counts().peerconnections).toBe(1);
    expect(
      (
        await t.request({
          janus: 'trickle',
          session_id: sid,
          handle_id: hid,
          candidate: { candidate: 'c', sdpMid: '9' },
        })
      ).error,
    ).toMatchObject({ code: 466 });
    await t.request({ janus: 'hangup', session_id: sid, handle_id: hid });
    await t.request({ janus: 'hangup', session_id: sid, handle_id: hid });
    await t.settle();
    expect(t.relays.ops('peer.hangup')).toHaveLength(1);
    expect(t.plugin.count('hangup')).toBe(1);
    expect(t.core.counts().peerconnections).toBe(0);
    expect((await t.core.poll(sid, 5)).body).toEqual([
      { janus: 'hangup', session_id: sid, sender: hid, reason: 'Janus API' },
    ]);
  });

  it('a relay hangup that arrives while the PeerConnection is being created still ends it: client told, plugin told, nothing counted', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    // The relay rejects the peer at once (ICE failed) and its event overtakes the reply to peer.create.
    t.relays.during = (cmd) => {
      if (cmd.op === 'peer.create') t.core.relayEvent(sid, hid, 'link-1', { kind: 'hangup', reason: 'ICE failed' });
    };
    const r = await t.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'open' },
      jsep: { type: 'offer', sdp: OFFER },
    });
    expect(r).toMatchObject({ janus: 'success', jsep: { type: 'answer' } });
    t.clock.advance(1);
    await t.settle();
    expect(t.core.counts().peerconnections).toBe(0);
    expect(t.plugin.count('hangup')).toBe(1);
    // The relay link forgets the peer it recorded when peer.create answered.
    expect(t.relays.ops('peer.hangup')).toHaveLength(1);
    expect((await t.core.poll(sid, 5)).body).toEqual([
      { janus: 'hangup', session_id: sid, sender: hid, reason: 'ICE failed' },
    ]);
    // The handle takes a new offer afterwards.
    t.relays.during = undefined;
    const again = await t.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'open' },
      jsep: { type: 'offer', sdp: OFFER },
    });
    expect(again).toMatchObject({ janus: 'success', jsep: { type: 'answer' } });
    expect(t.core.counts().peerconnections).toBe(1);
  });

  it('once the relay answered a hangup (its echo stays in the link), a hangup event while the next peer opens ends that peer', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    const offer = { janus: 'message', session_id: sid, handle_id: hid, body: { request: 'open' } };
    await t.request({ ...offer, jsep: { type: 'offer', sdp: OFFER } });
    await t.request({ janus: 'hangup', session_id: sid, handle_id: hid });
    await t.settle();
    t.relays.during = (cmd) => {
      if (cmd.op === 'peer.create') t.core.relayEvent(sid, hid, 'link-1', { kind: 'hangup', reason: 'ICE failed' });
    };
    await t.request({ ...offer, jsep: { type: 'offer', sdp: OFFER } });
    t.clock.advance(1);
    await t.settle();
    expect(t.core.counts().peerconnections).toBe(0);
    expect((await t.core.poll(sid, 5)).body).toEqual([
      { janus: 'hangup', session_id: sid, sender: hid, reason: 'Janus API' },
      { janus: 'hangup', session_id: sid, sender: hid, reason: 'ICE failed' },
    ]);
  });

  it('writes records behind: a short-lived session costs no write, a restarted shard restores the rest', async () => {
    const t = await new ShardHarness().start();
    const brief = await t.create();
    await t.request({ janus: 'destroy', session_id: brief });
    const sid = await t.create();
    const hid = await t.attach(sid);
    t.clock.advance(500);
    await t.settle();
    expect([...t.storage.data.keys()].filter((k) => k.startsWith('s:'))).toEqual([]);
    t.clock.advance(700);
    await t.settle();
    expect([...t.storage.data.keys()].filter((k) => k.startsWith('s:'))).toEqual([`s:${sid}`]);

    const restarted = await new ShardHarness({}, t.storage).start();
    expect(restarted.core.listSessions()).toEqual([sid]);
    expect(restarted.core.counts()).toEqual({ sessions: 1, handles: 1, peerconnections: 0 });
    expect(restarted.storage.alarm).toBeDefined();
    expect(await restarted.request({ janus: 'detach', session_id: sid, handle_id: hid })).toMatchObject({
      janus: 'success',
    });
  });
});
