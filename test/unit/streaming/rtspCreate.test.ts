import { describe, expect, it } from 'vitest';
import { relayA } from '../videoroom/harness.js';
import { av } from './harness.js';
import { rtspHarness } from './rtspHarness.js';

const rtsp = { type: 'rtsp', url: 'rtsp://cam.example:8554/live', audio: true, video: true };

describe('Streaming admin_key (janus.plugin.streaming.jcfg general.admin_key)', () => {
  it('when set, create needs it: 453 missing, 454 not a string, 457 wrong, for every type; nothing reaches a relay', async () => {
    const h = rtspHarness();
    h.adminKey = 'supersecret';
    expect(await h.code('create', { type: 'rtp', id: 1, media: av })).toBe(453);
    expect(await h.code('create', { type: 'rtp', id: 1, media: av, admin_key: 5 })).toBe(454);
    expect(await h.code('create', { type: 'rtp', id: 1, media: av, admin_key: 'wrong' })).toBe(457);
    expect(await h.code('create', { ...rtsp, id: 2, admin_key: 'wrong' })).toBe(457);
    expect(await h.code('create', { ...rtsp, id: 2 })).toBe(453);
    expect(h.relays.sent).toEqual([]);
    expect(await h.code('create', { type: 'rtp', id: 1, media: av, admin_key: 'supersecret' })).toBe('ok');
    expect(await h.code('create', { ...rtsp, id: 2, admin_key: 'supersecret' })).toBe('ok');
    // other requests do not need it
    expect(await h.code('info', { id: 1 })).toBe('ok');
    expect(await h.code('destroy', { id: 1 })).toBe('ok');
  });

  it('unset, create needs none and an admin_key given is ignored, as Janus', async () => {
    const h = rtspHarness();
    expect(await h.code('create', { type: 'rtp', id: 1, media: av, admin_key: 'anything' })).toBe('ok');
  });
});

describe('Streaming rtsp mountpoints (create over an in-memory host)', () => {
  it('asks the relay to be the RTSP client with Janus’s options and answers as Janus', async () => {
    const h = rtspHarness();
    const created = await h.streaming.sync(
      'create',
      {
        ...rtsp,
        id: 7,
        rtsp_user: 'u',
        rtsp_pwd: 'p',
        rtsp_reconnect_delay: 2,
        rtsp_session_timeout: 30,
        rtsp_quirk: true,
        videofmtp: 'x=1',
        videopt: 100,
        rtspiface: 'lo',
      },
      relayA,
    );
    expect(created).toEqual({
      streaming: 'created',
      created: '7',
      permanent: false,
      stream: { id: 7, type: 'live', description: '7', is_private: false },
    });
    expect(h.relays.of('streaming.rtsp')[0]!.cmd).toMatchObject({
      url: 'rtsp://cam.example:8554/live',
      user: 'u',
      password: 'p',
      quirk: true,
      reconnectDelay: 2,
      sessionTimeout: 30,
      iface: 'lo',
      audio: {},
      video: {},
    });
    const info = (await h.streaming.sync('info', { id: 7 })).info as Record<string, unknown>;
    expect(info).toMatchObject({ rtsp: true, url: 'rtsp://cam.example:8554/live', type: 'live' });
    expect(info.media).toMatchObject([
      { mindex: 0, type: 'audio', mid: 'a', label: 'RTSP audio', pt: 111, codec: 'opus', fmtp: 'sprop-stereo=1' },
      { mindex: 1, type: 'video', mid: 'v', label: 'RTSP video', pt: 100, codec: 'vp8', fmtp: 'x=1' },
    ]);
    expect(h.stored.get(7)!.rtsp).toEqual({ url: 'rtsp://cam.example:8554/live' });
    // destroy goes to the relay as for any mountpoint (its source sends TEARDOWN there)
    await h.streaming.sync('destroy', { id: 7 });
    expect(h.relays.of('streaming.destroy')).toHaveLength(1);
  });

  it('refuses what it cannot do before anything changes: 456 and 454 as Janus', async () => {
    const h = rtspHarness();
    expect(await h.code('create', { type: 'rtsp', url: 'rtsp://x/y' })).toBe(456); // no audio or video
    expect(await h.code('create', { type: 'rtsp', video: true })).toBe(456); // no url
    expect(await h.code('create', { type: 'rtsp', video: true, url: 'http://x/y' })).toBe(456);
    expect(await h.code('create', { ...rtsp, rtsp_reconnect_delay: -1 })).toBe(454);
    expect(await h.code('create', { ...rtsp, rtsp_user: 5 })).toBe(454);
    expect(await h.code('create', { ...rtsp, media: av })).toBe(456);
    // rtspiface: a string (454); an empty one names no interface (456, as Janus's lookup fails)
    expect(await h.code('create', { ...rtsp, rtspiface: 5 })).toBe(454);
    expect(await h.code('create', { ...rtsp, rtspiface: '' })).toBe(456);
    // without the server's SDP the creator must describe each track
    expect(await h.code('create', { ...rtsp, rtsp_failcheck: false })).toBe(456);
    expect(await h.code('create', { ...rtsp, rtsp_failcheck: false, videopt: 96 })).toBe(456);
    expect(await h.code('create', { ...rtsp, rtsp_transport: 'quic' })).toBe(454);
    expect(h.relays.sent).toEqual([]);
    expect(h.stored.size).toBe(0);
  });

  it('a server the relay cannot reach answers 456 and leaves nothing', async () => {
    const h = rtspHarness();
    h.relays.failing.set('streaming.rtsp', 470);
    expect(await h.code('create', { ...rtsp, id: 9 })).toBe(456);
    expect(h.stored.size).toBe(0);
    expect(await h.code('info', { id: 9 })).toBe(455);
  });
});
