import { describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { EchoClient, waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { AB, joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { PlainRtpVoice, WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46200, 46299], { env: { RELAY_REMOTE_PORT_MIN: '36200', RELAY_REMOTE_PORT_MAX: '36201' } });

type Create = Extract<CommandInput, { op: 'peer.create' }>;
type RtpJoin = Extract<CommandInput, { op: 'ab.rtpJoin' }>;

function create(handleId: number, options: Record<string, unknown>, offer?: string): Create {
  return {
    op: 'peer.create',
    sessionId: SESSION,
    handleId,
    plugin: AB,
    ...(offer ? { offer: { sdp: offer } } : {}),
    options: { mixer: 'ab:n', mixerSettings: mixerSettings(9), participant: handleId, ...options },
  } as Create;
}

function rtpJoin(handleId: number, extra: Record<string, unknown> = {}): RtpJoin {
  return {
    op: 'ab.rtpJoin',
    sessionId: SESSION,
    handleId,
    mixer: 'ab:rtp',
    mixerSettings: mixerSettings(10),
    participant: handleId,
    rtp: {},
    ...extra,
  } as RtpJoin;
}

const nothingLeft = () => {
  expect(fx.relay.audiobridge.mixerCount).toBe(0);
  expect(fx.relay.audiobridge.participantCount).toBe(0);
  expect(fx.relay.registry.size).toBe(0);
};

describe('AudioBridge negotiation', () => {
  it('answers one sendrecv audio m-line with the client payload type; video and data are rejected', async () => {
    const client = fx.track(new EchoClient());
    client.addMedia('audio');
    client.addMedia('video');
    client.addDataChannel();
    const offer = await client.createOffer();
    const res = await fx.link.call(create(1, {}, offer));
    if (!('answer' in res)) throw new Error('expected an answer');
    const sdp = res.answer.sdp;
    const offeredPt = /a=rtpmap:(\d+) opus\/48000/i.exec(offer)![1];
    expect(sdp).toMatch(new RegExp(`^m=audio \\d+ \\S+ ${offeredPt}\\r?$`, 'm'));
    expect(sdp).toMatch(/^m=video 0 /m);
    expect(sdp).toMatch(/^m=application 0 /m);
    expect(sdp).not.toMatch(/PCMU/);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1 });
    nothingLeft();
  });

  it('answers G.711 when the participant joins with pcmu', async () => {
    const client = fx.track(new EchoClient());
    client.addMedia('audio');
    const res = await fx.link.call(create(2, { codec: 'pcmu' }, await client.createOffer()));
    if (!('answer' in res)) throw new Error('expected an answer');
    expect(res.answer.sdp).toMatch(/^m=audio \d+ \S+ 0\r?$/m);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 2 });
    nothingLeft();
  });

  it('offers (generate_offer) one Opus m-line and mixes once answered', async () => {
    const a = fx.track(new WebRtcVoice(440));
    await joinWebRtc(fx.link, a, 3, 'ab:n', { room: 9 });
    const b = fx.track(new WebRtcVoice(880));
    const res = await fx.link.call(create(4, {}));
    if (!('offer' in res)) throw new Error('expected an offer');
    expect(res.offer.sdp).toMatch(/^m=audio \d+ \S+ 111\r?$/m);
    expect(res.offer.sdp).toMatch(/a=fmtp:111 .*useinbandfec=1/);
    const answer = await b.answer(res.offer.sdp);
    await fx.link.call({ op: 'peer.answer', sessionId: SESSION, handleId: 4, sdp: answer });
    await b.connected();
    b.start();
    await waitFor(() => b.level(440) > 1500 && a.level(880) > 1500, 8000, 'both hear each other');
    for (const h of [3, 4]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    nothingLeft();
  });

  it('pans voices in a spatial room: a stereo mix, each voice at its position', async () => {
    const spatial = { spatial: true };
    const left = fx.track(new WebRtcVoice(440));
    const right = fx.track(new WebRtcVoice(880));
    const listener = fx.track(new WebRtcVoice(undefined, 0, 2));
    await joinWebRtc(fx.link, left, 5, 'ab:s', { room: 11, mixer: spatial, settings: { spatialPosition: 0 } });
    await joinWebRtc(fx.link, right, 6, 'ab:s', { room: 11, mixer: spatial, settings: { spatialPosition: 100 } });
    await joinWebRtc(fx.link, listener, 7, 'ab:s', { room: 11, mixer: spatial });
    await waitFor(
      () => listener.channelLevel('left', 440) > 1500 && listener.channelLevel('right', 880) > 1500,
      8000,
      'each tone on its side',
    );
    expect(listener.channelLevel('right', 440)).toBeLessThan(300);
    expect(listener.channelLevel('left', 880)).toBeLessThan(300);
    for (const h of [5, 6, 7]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    nothingLeft();
  });

  it('emits ab.talking from the decoded energy when no audio-level extension was negotiated', async () => {
    const talking = { packets: 10, average: 40 };
    const v = fx.track(new WebRtcVoice(440));
    const other = fx.track(new WebRtcVoice(undefined));
    await joinWebRtc(fx.link, v, 8, 'ab:t', { room: 12, mixer: { talking } });
    await joinWebRtc(fx.link, other, 9, 'ab:t', { room: 12, mixer: { talking } });
    const on = await fx.link.waitEvent(SESSION, 8, 'ab.talking', (e) => e.talking, 5000);
    expect(on).toMatchObject({ room: 12, participant: 8, talking: true });
    expect(on.level).toBeLessThan(40);
    v.quiet = true;
    const off = await fx.link.waitEvent(SESSION, 8, 'ab.talking', (e) => !e.talking, 5000);
    expect(off.level).toBeGreaterThan(40);
    expect(fx.link.eventsFor(SESSION, 9).some((e) => e.kind === 'ab.talking')).toBe(false);
    for (const h of [8, 9]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    nothingLeft();
  });
});

describe('AudioBridge talking from the audio-level extension', () => {
  it('averages the levels plain RTP carries; packets marked silent leave the mix', async () => {
    const talking = { packets: 10, average: 40 };
    const v = fx.track(new PlainRtpVoice(660, 8000, 3));
    const listener = fx.track(new WebRtcVoice(undefined));
    await joinWebRtc(fx.link, listener, 30, 'ab:rtp', { room: 10, mixer: { talking } });
    const port = await v.bind();
    const res = await fx.link.call(
      rtpJoin(31, {
        codec: 'pcmu',
        rtp: { ip: '127.0.0.1', port, audioLevelExt: 3 },
        mixerSettings: mixerSettings(10),
      }),
    );
    v.sendTo(res.ip, res.port);
    v.start();
    const on = await fx.link.waitEvent(SESSION, 31, 'ab.talking', (e) => e.talking, 5000);
    expect(on).toMatchObject({ room: 10, participant: 31, talking: true, level: 20 });
    await waitFor(() => listener.level(660) > 1500, 5000, 'the listener hears the RTP participant');
    v.markSilent = true; // the tone still plays, but the packets say 127: Janus leaves them out of the mix
    const off = await fx.link.waitEvent(SESSION, 31, 'ab.talking', (e) => !e.talking, 5000);
    expect(off.level).toBe(127);
    await waitFor(() => listener.level(660) < 300, 5000, 'packets marked silent are not mixed');
    for (const h of [30, 31]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    nothingLeft();
  });
});

describe('AudioBridge bad input changes nothing', () => {
  it('refuses unknown mixer settings and unknown codecs', async () => {
    const client = fx.track(new EchoClient());
    client.addMedia('audio');
    const offer = await client.createOffer();
    const unknown = await fx.link.request(create(20, { mixerSettings: { ...mixerSettings(9), echo: true } }, offer));
    expect(unknown.ok).toBe(false);
    const codec = await fx.link.request(create(20, { codec: 'g722' }, offer));
    expect(codec.ok).toBe(false);
    const rate = await fx.link.request(create(20, { mixerSettings: { room: 9, samplingRate: 44100 } }, offer));
    expect(rate.ok).toBe(false);
    nothingLeft();
  });

  it('refuses an offer without the participant codec with 465', async () => {
    const client = fx.track(new EchoClient());
    client.addMedia('audio');
    const reply = await fx.link.request(create(21, { codec: 'pcma' }, await client.createOffer()));
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(465);
    nothingLeft();
  });

  it('answers 459 to ops on a participant that does not exist', async () => {
    for (const cmd of [
      { op: 'ab.configure', sessionId: SESSION, handleId: 22, settings: { muted: true } },
      { op: 'ab.resetDecoder', sessionId: SESSION, handleId: 22 },
      { op: 'ab.move', sessionId: SESSION, handleId: 22, mixer: 'x', mixerSettings: mixerSettings(1), participant: 1 },
      { op: 'peer.hangup', sessionId: SESSION, handleId: 22 },
    ] as CommandInput[]) {
      const reply = await fx.link.request(cmd);
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe(459);
    }
    nothingLeft();
  });

  it('answers 499 when the media port range has no free port, and frees the ports on hangup', async () => {
    const rtp = fx.track(new PlainRtpVoice(undefined));
    await rtp.bind();
    const first = await fx.link.call(rtpJoin(23));
    const second = await fx.link.call(rtpJoin(24, { codec: 'pcma' }));
    expect(new Set([first.port, second.port])).toEqual(new Set([36200, 36201]));
    const third = await fx.link.request(rtpJoin(25));
    expect(third.ok).toBe(false);
    if (!third.ok) expect(third.error.code).toBe(499);
    expect(fx.relay.audiobridge.participantCount).toBe(2);
    const twice = await fx.link.request(rtpJoin(23));
    expect(twice.ok).toBe(false);
    for (const h of [23, 24]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    nothingLeft();
    expect(fx.relay.remotePorts.inUse).toBe(0);
    const again = await fx.link.call(rtpJoin(25));
    expect(again.port).toBeGreaterThanOrEqual(36200);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 25 });
    nothingLeft();
  });
});
