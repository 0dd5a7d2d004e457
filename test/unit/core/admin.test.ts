import { describe, expect, it } from 'vitest';
import { OFFER, ShardHarness } from './harness.js';

describe('admin requests on one shard', () => {
  it('lists handles, reports handle_info, sets a session timeout and re-arms the alarm', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    expect(await t.admin.run({ kind: 'list_handles', sessionId: sid })).toEqual({ handles: [hid] });
    const info = await t.admin.run({ kind: 'handle_info', sessionId: sid, handleId: hid, pluginOnly: false });
    expect(info.info).toMatchObject({
      session_id: sid,
      handle_id: hid,
      session_timeout: 60,
      session_transport: 'janus.transport.http',
      webrtc: null,
      relay: null,
    });
    expect(await t.admin.run({ kind: 'set_session_timeout', sessionId: sid, timeout: 5 })).toEqual({ timeout: 5 });
    expect(t.storage.alarm).toBe(t.clock.now() + 5_000);
    await expect(t.admin.run({ kind: 'list_handles', sessionId: sid + 16 })).rejects.toMatchObject({ code: 458 });
    await expect(t.admin.run({ kind: 'detach_handle', sessionId: sid, handleId: hid + 1 })).rejects.toMatchObject({
      code: 459,
    });
  });

  it('hangup_webrtc and detach_handle release the PeerConnection and the handle once', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    await t.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'open' },
      jsep: { type: 'offer', sdp: OFFER },
    });
    const info = await t.admin.run({ kind: 'handle_info', sessionId: sid, handleId: hid, pluginOnly: false });
    expect(info.info).toMatchObject({ relay: 'relay-1', flags: { 'got-offer': true, ready: true } });
    expect(t.relays.ops('peer.info')).toHaveLength(1);
    await t.admin.run({ kind: 'hangup_webrtc', sessionId: sid, handleId: hid });
    await t.admin.run({ kind: 'detach_handle', sessionId: sid, handleId: hid });
    await t.settle();
    expect(t.relays.ops('peer.hangup')).toHaveLength(1);
    expect(t.plugin.count('hangup')).toBe(1);
    expect(t.plugin.count('destroy')).toBe(1);
    expect((await t.core.poll(sid, 5)).body).toEqual([
      { janus: 'hangup', session_id: sid, sender: hid, reason: 'Admin API' },
      { janus: 'detached', session_id: sid, sender: hid },
    ]);
  });

  it('a packet capture is kept on the handle, through eviction, and asked of each PeerConnection it gets', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create();
    const hid = await t.attach(sid);
    const start = { kind: 'capture', sessionId: sid, handleId: hid, capture: true, text: true, truncate: 8 } as const;
    await t.admin.run(start);
    await expect(t.admin.run({ ...start, text: false })).rejects.toMatchObject({
      code: 490,
      message: 'pcap already started',
    });
    expect(t.relays.ops('peer.capture')).toHaveLength(0); // no PeerConnection yet: nothing to ask
    const { info } = (await t.admin.run({ kind: 'handle_info', sessionId: sid, handleId: hid, pluginOnly: false })) as {
      info: Record<string, unknown>;
    };
    expect(info['dump-to-text2pcap']).toBe(true);
    expect(info['text2pcap-file']).toMatch(/^janus-text2pcap-\d+\.txt$/);
    t.clock.advance(1_200);
    await t.settle();
    const r = new ShardHarness({}, t.storage);
    r.clock.time = t.clock.time;
    await r.start();
    await r.request({
      janus: 'message',
      session_id: sid,
      handle_id: hid,
      body: { request: 'open' },
      jsep: { type: 'offer', sdp: OFFER },
    });
    await r.settle();
    expect(r.relays.ops('peer.capture')).toEqual([
      expect.objectContaining({ capture: true, text: true, truncate: 8, filename: info['text2pcap-file'] }),
    ]);
    await r.admin.run({ kind: 'capture', sessionId: sid, handleId: hid, capture: false, text: false });
    expect(r.relays.ops('peer.capture')).toHaveLength(2);
    await expect(
      r.admin.run({ kind: 'capture', sessionId: sid, handleId: hid, capture: false, text: false }),
    ).rejects.toMatchObject({ code: 490, message: 'Capture not started' });
  });

  it('events of a session whose WebSocket another shard holds are pushed to that shard', async () => {
    const t = await new ShardHarness().start();
    const sid = await t.create({ kind: 'ws', shard: 9, connId: 'far' });
    const hid = await t.attach(sid);
    await t.request({ janus: 'detach', session_id: sid, handle_id: hid });
    await t.request({ janus: 'destroy', session_id: sid });
    await t.settle();
    expect(t.peer(9).calls).toEqual(['push far', `forget far ${sid}`]);
  });
});
