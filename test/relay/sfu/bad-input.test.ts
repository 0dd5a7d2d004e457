import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCRtpCodecParameters } from 'werift';
import type { Relay } from '../../../relay/relay.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { handleId, PubClient, publish, SubClient, subscribe, VIDEOROOM } from './support.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 7100;

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '42100',
    RELAY_ICE_PORT_MAX: '42199',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

const err = async (cmd: Record<string, unknown>) => {
  const r = await link.request(cmd);
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(cmd).slice(0, 200)}`);
  return r.error;
};

describe('VideoRoom SFU: bad input', () => {
  it('an unknown feedKey or mid yields an inactive stream (and a valid offer)', async () => {
    const pub = new PubClient(20, { audio: false });
    const p = await publish(link, SESSION, pub);
    const sub = new SubClient();
    try {
      const s = await subscribe(link, SESSION, sub, [
        { feedId: 1, feedKey: '999:999', feedMid: '0', type: 'video' },
        { feedId: 2, feedKey: p.key, feedMid: 'nope', type: 'video' },
        { feedId: 3, feedKey: p.key, feedMid: p.streams[0]!.mid, type: 'audio' }, // wrong type
        { feedId: 4, feedKey: p.key, feedMid: p.streams[0]!.mid, type: 'video' },
      ]);
      expect(s.streams.map((x) => [x.feedId, x.active])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ]);
      const sections = s.offer.split('\r\nm=').slice(1);
      expect(sections.map((x) => /a=(sendonly|inactive)/.exec(x)?.[1])).toEqual([
        'inactive',
        'inactive',
        'inactive',
        'sendonly',
      ]);
      // switching to an unknown feed is refused, the m-line keeps its source
      const e = await err({
        op: 'sfu.switch',
        sessionId: SESSION,
        handleId: s.handle,
        changes: [{ sub_mid: s.streams[3]!.mid, feedKey: '999:1', mid: '0' }],
      });
      expect(e.code).toBe(466);
      const e2 = await err({
        op: 'sfu.switch',
        sessionId: SESSION,
        handleId: s.handle,
        changes: [{ sub_mid: 'zz', feedKey: p.key, mid: '0' }],
      });
      expect(e2.code).toBe(466);
      // subscriber ops on a publisher, publisher offers on a subscriber
      expect((await err({ op: 'sfu.update', sessionId: SESSION, handleId: p.handle, add: [] })).code).toBe(471);
      expect(
        (
          await err({
            op: 'peer.offer',
            sessionId: SESSION,
            handleId: s.handle,
            sdp: await new SubClient().answer(s.offer).catch(() => 'v=0'),
          })
        ).code,
      ).toBeGreaterThan(400);
      expect((await err({ op: 'peer.answer', sessionId: SESSION, handleId: p.handle, sdp: p.answer })).code).toBe(469);
      // an answer when no offer is pending
      expect((await err({ op: 'peer.answer', sessionId: SESSION, handleId: s.handle, sdp: s.offer })).code).toBe(469);
      // echo.configure is not a VideoRoom op
      expect((await err({ op: 'echo.configure', sessionId: SESSION, handleId: s.handle, audio: false })).code).toBe(
        471,
      );
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      await sub.close();
      await pub.close();
    }
  });

  it('rejects malformed commands with Janus error codes', async () => {
    const h = handleId();
    const base = { sessionId: SESSION, handleId: h };
    // wrong schema
    expect(
      (await err({ op: 'peer.create', ...base, plugin: VIDEOROOM, options: { role: 'subscriber', streams: 'x' } }))
        .code,
    ).toBe(467);
    expect(
      (
        await err({
          op: 'peer.create',
          ...base,
          plugin: VIDEOROOM,
          options: { role: 'subscriber', streams: [{ feedKey: '1:2', feedMid: '0', type: 'video' }] },
        })
      ).code,
    ).toBe(467);
    expect(
      (
        await err({
          op: 'peer.create',
          ...base,
          plugin: VIDEOROOM,
          options: { role: 'subscriber', streams: [{ feedId: 1, feedKey: '1:2', feedMid: '0', type: 'smell' }] },
        })
      ).code,
    ).toBe(467);
    expect((await err({ op: 'peer.create', ...base, plugin: VIDEOROOM, options: {} })).code).toBe(456);
    expect((await err({ op: 'sfu.update', ...base, add: 'x' })).code).toBe(467);
    expect((await err({ op: 'sfu.switch', ...base })).code).toBe(456);
    expect((await err({ op: 'sfu.configure', ...base, streams: [{ substream: 1 }] })).code).toBe(456);
    // unknown peer
    expect((await err({ op: 'sfu.pause', ...base })).code).toBe(459);
    expect((await err({ op: 'sfu.update', ...base, add: [], remove: [] })).code).toBe(459);
    // a publisher without an offer (a subscriber's own offer is answered: subscriberOffer.test.ts)
    expect((await err({ op: 'peer.create', ...base, plugin: VIDEOROOM, options: { role: 'publisher' } })).code).toBe(
      456,
    );
    expect(
      (
        await err({
          op: 'peer.create',
          ...base,
          plugin: VIDEOROOM,
          offer: { sdp: 'v=0\r\nbogus' },
          options: { role: 'publisher' },
        })
      ).code,
    ).toBe(465);
    expect(relay.sfu.size).toBe(0);
    expect(relay.ports.inUse).toBe(0);
  });

  it('an m-line without an allowed codec is rejected (port 0, out of BUNDLE, disabled)', async () => {
    const pub = new PubClient(22);
    // the client only offers H.264 video; the room allows VP8 only
    pub.video!.codecs = [
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: 102,
        parameters: 'profile-level-id=42e01f;packetization-mode=1',
      }),
    ];
    try {
      // (not connected: werift as a client cannot set up a rejected, unbundled m-line; browsers can)
      const p = await publish(link, SESSION, pub, { videocodec: 'vp8', audiocodec: 'opus' }, false);
      const video = p.streams.find((s) => s.type === 'video')!;
      expect(video).toMatchObject({ disabled: true });
      expect(video.codec).toBeUndefined();
      expect(p.streams.find((s) => s.type === 'audio')).toMatchObject({ codec: 'opus' });
      expect(p.answer).toMatch(
        new RegExp(`m=video 0 UDP/TLS/RTP/SAVPF 102\\r\\nc=IN IP4 0.0.0.0\\r\\na=mid:${video.mid}\\r\\na=inactive`),
      );
      expect(/a=group:BUNDLE (.*)/.exec(p.answer)![1]!.split(' ')).not.toContain(video.mid);
      // subscribing to the disabled stream gives an inactive m-line
      const sub = new SubClient();
      const s = await subscribe(link, SESSION, sub, [{ feedId: 1, feedKey: p.key, feedMid: video.mid, type: 'video' }]);
      expect(s.streams[0]!.active).toBe(false);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
      await sub.close();
    } finally {
      await pub.close();
    }
  });

  it('H.264 is accepted when the room allows it', async () => {
    const pub = new PubClient(23, { audio: false });
    pub.video!.codecs = [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 }),
      new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: 102,
        parameters: 'profile-level-id=42e01f;packetization-mode=1',
      }),
    ];
    try {
      const p = await publish(link, SESSION, pub, { videocodec: 'h264,vp8' });
      expect(p.streams[0]).toMatchObject({ type: 'video', codec: 'h264' });
      expect(p.answer).toMatch(/m=video 9 UDP\/TLS\/RTP\/SAVPF 102\r\n/);
      const sub = new SubClient();
      const s = await subscribe(link, SESSION, sub, [
        { feedId: 1, feedKey: p.key, feedMid: p.streams[0]!.mid, type: 'video' },
      ]);
      expect(s.offer).toMatch(/a=rtpmap:102 H264\/90000/);
      expect(s.offer).not.toMatch(/VP8/);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
      await sub.close();
    } finally {
      await pub.close();
    }
  });
});
