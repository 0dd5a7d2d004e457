import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { sendCloseNotify, sendRemb } from '../../relay/peer/werift.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
let edge: TestEdge;
let relay: Relay;
let link: RelayLink;
let nextHandle = 1;
const SESSION = 1000;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '41000',
    RELAY_ICE_PORT_MAX: '41099',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

async function call(client: EchoClient, opts: { trickle?: boolean } = {}) {
  const handleId = nextHandle++;
  const offer = await client.createOffer(!opts.trickle);
  const res = await link.call({
    op: 'peer.create',
    sessionId: SESSION,
    handleId,
    plugin: 'janus.plugin.echotest',
    offer: { sdp: offer },
    options: { trickle: opts.trickle ?? false },
  });
  if (!('answer' in res)) throw new Error('expected an answer');
  return { handleId, answer: res.answer.sdp };
}

describe('EchoTest media through the relay', () => {
  it('echoes audio and video RTP back on the same mids', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const { handleId, answer } = await call(client);
    expect(answer).toMatch(/a=candidate:.* 127\.0\.0\.1 (410\d\d) typ host/);
    expect(answer).toMatch(/a=setup:passive/); // the relay is the DTLS server when the offer allows it
    const port = Number(/a=candidate:\S+ \d \S+ \d+ 127\.0\.0\.1 (\d+)/.exec(answer)![1]);
    expect(port).toBeGreaterThanOrEqual(41000);
    expect(port).toBeLessThanOrEqual(41099);
    await client.acceptAnswer(answer);
    await client.connected();
    await link.waitEvent(SESSION, handleId, 'webrtcup');
    client.startSending(audio, 20);
    client.startSending(video, 30);
    await waitFor(
      () => client.echoedTags.audio.size >= 20 && client.echoedTags.video.size >= 20,
      10_000,
      'echoed packets',
    );
    for (const tag of client.echoedTags.audio) expect(client.sentTags.audio.has(tag)).toBe(true);
    for (const tag of client.echoedTags.video) expect(client.sentTags.video.has(tag)).toBe(true);
    // Audio came back on the audio mid and video on the video mid.
    const mids = client.pc.getTransceivers().map((t) => t.mid);
    expect(client.receivedByMid.get(mids[0]!)).toBeGreaterThan(0);
    expect(client.receivedByMid.get(mids[1]!)).toBeGreaterThan(0);
    await link.waitEvent(SESSION, handleId, 'media', (e) => e.media === 'audio' && e.receiving);
    await link.waitEvent(SESSION, handleId, 'media', (e) => e.media === 'video' && e.receiving);

    const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId });
    expect(info.iceState).toBe('connected');
    expect(info.dtlsState).toBe('connected');
    expect(info.selectedPair?.local.port).toBe(port);
    const a = info.counters.find((c) => c.media === 'audio')!;
    expect(a.packetsIn).toBeGreaterThanOrEqual(20);
    expect(a.packetsOut).toBeGreaterThanOrEqual(20);
    const v = info.counters.find((c) => c.media === 'video')!;
    expect(v.plisOut).toBeGreaterThanOrEqual(1); // keyframe requested when the echo started

    // audio toggle: audio stops coming back, video continues
    await link.call({ op: 'echo.configure', sessionId: SESSION, handleId, audio: false });
    await new Promise((r) => setTimeout(r, 200));
    const before = client.received.audio;
    const beforeVideo = client.received.video;
    await new Promise((r) => setTimeout(r, 400));
    expect(client.received.audio).toBe(before);
    expect(client.received.video).toBeGreaterThan(beforeVideo);

    // bitrate -> REMB to the client's video sender
    const state = await link.call({ op: 'echo.configure', sessionId: SESSION, handleId, bitrate: 300_000 });
    expect(state).toMatchObject({ audio: false, video: true, bitrate: 300_000 });
    const videoSender = client.pc.getTransceivers()[1]!.sender;
    await waitFor(() => videoSender.receiverEstimatedMaxBitrate === 300_000n, 3000, 'REMB at the client');

    // the client stops sending video -> media receiving=false for the video mid
    client.stopSending(video);
    const off = await link.waitEvent(SESSION, handleId, 'media', (e) => e.media === 'video' && !e.receiving, 5000);
    expect(off.mid).toBe(mids[1]);
    client.startSending(video, 30);
    await waitFor(
      () =>
        link.eventsFor(SESSION, handleId).filter((e) => e.kind === 'media' && e.media === 'video' && e.receiving)
          .length >= 2,
      5000,
      'media resumed',
    );

    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    const hangup = await link.waitEvent(SESSION, handleId, 'hangup');
    expect(hangup.reason).toBe('Janus API');
    // The relay told the client with a DTLS close_notify, like Janus does.
    await waitFor(
      () => client.pc.connectionState === 'closed' || client.pc.dtlsTransports[0]?.state === 'closed',
      5000,
      'client sees the close',
    );
    await client.close();
    expect(relay.registry.size).toBe(0);
  });

  it('trickles candidates both ways', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const { handleId, answer } = await call(client, { trickle: true });
    expect(answer).not.toMatch(/a=candidate:/);
    // the relay's candidates arrive as events after the reply, then completed
    const relayCandidate = await link.waitEvent(SESSION, handleId, 'candidate', (e) => 'candidate' in e.candidate);
    await link.waitEvent(SESSION, handleId, 'candidate', (e) => 'completed' in e.candidate);
    await client.acceptAnswer(answer);
    for (const e of link.eventsFor(SESSION, handleId)) {
      if (e.kind === 'candidate' && 'candidate' in e.candidate) {
        await client.pc.addIceCandidate({
          candidate: e.candidate.candidate,
          sdpMid: e.candidate.sdpMid ?? undefined,
          sdpMLineIndex: e.candidate.sdpMLineIndex ?? undefined,
        });
      }
    }
    expect('candidate' in relayCandidate.candidate && relayCandidate.candidate.candidate).toMatch(
      / 127\.0\.0\.1 410\d\d typ host/,
    );
    // and the client's candidates go to the relay with peer.trickle
    await waitFor(() => client.candidates.length > 0, 5000, 'client candidates');
    for (const c of client.candidates) {
      await link.call({ op: 'peer.trickle', sessionId: SESSION, handleId, candidate: c });
    }
    await link.call({ op: 'peer.trickle', sessionId: SESSION, handleId, candidate: { completed: true } });
    await client.connected();
    await link.waitEvent(SESSION, handleId, 'webrtcup');
    client.startSending(audio, 20);
    await waitFor(() => client.echoedTags.audio.size >= 5, 5000, 'echo after trickle');
    await client.close();
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
  });

  it('renegotiates: a video track added later is echoed on its new mid', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const { handleId, answer } = await call(client);
    await client.acceptAnswer(answer);
    await client.connected();
    client.startSending(audio, 20);
    await waitFor(() => client.echoedTags.audio.size >= 3, 5000, 'audio echo');

    const video = client.addMedia('video');
    const offer2 = await client.createOffer();
    const res = await link.call({ op: 'peer.offer', sessionId: SESSION, handleId, sdp: offer2 });
    expect(res.answer.sdp).toMatch(/m=video/);
    await client.acceptAnswer(res.answer.sdp);
    client.startSending(video, 30);
    await waitFor(() => client.echoedTags.video.size >= 5, 8000, 'video echo after renegotiation');
    const videoMid = client.pc.getTransceivers()[1]!.mid!;
    expect(client.receivedByMid.get(videoMid)).toBeGreaterThan(0);
    const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId });
    expect(info.counters.map((c) => c.media).sort()).toEqual(['audio', 'video']);
    // audio kept flowing across the renegotiation
    const a = client.echoedTags.audio.size;
    await waitFor(() => client.echoedTags.audio.size > a + 3, 3000, 'audio still echoed');
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });

  it('hangs up when the client closes (DTLS alert) and reports it to the edge', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const { handleId, answer } = await call(client);
    await client.acceptAnswer(answer);
    await client.connected();
    client.startSending(audio, 20);
    await waitFor(() => client.echoedTags.audio.size >= 3, 5000, 'audio echo');
    // what a browser does on pc.close(): a DTLS close_notify, then silence
    await sendCloseNotify(client.pc.dtlsTransports[0]!);
    await new Promise((r) => setTimeout(r, 20));
    await client.close();
    const hangup = await link.waitEvent(SESSION, handleId, 'hangup', () => true, 5000);
    expect(hangup.reason).toBe('DTLS alert');
    await waitFor(() => relay.registry.get(`${SESSION}:${handleId}`) === undefined, 2000, 'peer removed');
    const reply = await link.request({ op: 'peer.info', sessionId: SESSION, handleId });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(459);
  });

  it('makes the offer itself when none is given, and echoes data channel messages', async () => {
    const handleId = nextHandle++;
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId,
      plugin: 'janus.plugin.echotest',
      options: {},
    });
    if (!('offer' in res)) throw new Error('expected an offer');
    expect(res.offer.sdp).toMatch(/m=audio[\s\S]*m=video[\s\S]*m=application/);
    const client = new EchoClient();
    const channel = new Promise<import('werift').RTCDataChannel>((r) => client.pc.onDataChannel.subscribe(r));
    const answer = await client.acceptOffer(res.offer.sdp);
    await link.call({ op: 'peer.answer', sessionId: SESSION, handleId, sdp: answer });
    await client.connected();
    await link.waitEvent(SESSION, handleId, 'webrtcup');
    const dc = await channel;
    const got: string[] = [];
    dc.onMessage.subscribe((m) => got.push(m.toString()));
    if (dc.readyState !== 'open') await dc.stateChanged.watch((s) => s === 'open', 5000);
    dc.send('hello relay');
    await waitFor(() => got.includes('hello relay'), 5000, 'data echo');
    // a second answer is unexpected now
    const again = await link.request({ op: 'peer.answer', sessionId: SESSION, handleId, sdp: answer });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe(469);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });

  it('applies the relay-wide slowlink_threshold the edge sends (admin set_slowlink_threshold) to peers without their own', async () => {
    const client = new EchoClient();
    const video = client.addMedia('video');
    const handleId = nextHandle++;
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await client.createOffer() },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();
    link.sendRaw({ type: 'settings', slowlinkThreshold: 2 });
    const timer = setInterval(() => client.sendOne(video, 3), 20); // 3 of every 4 packets "lost"
    try {
      const down = await link.waitEvent(SESSION, handleId, 'slowlink', (e) => !e.uplink, 5000);
      expect(down.lost).toBeGreaterThan(2);
    } finally {
      clearInterval(timer);
      link.sendRaw({ type: 'settings', slowlinkThreshold: 0 });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId });
      await client.close();
    }
  });

  it('reports slowlink when the client loses packets (NACKs above the threshold)', async () => {
    const client = new EchoClient();
    const video = client.addMedia('video');
    const handleId = nextHandle++;
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await client.createOffer() },
      options: { slowlinkThreshold: 2 },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();
    const timer = setInterval(() => client.sendOne(video, 3), 20); // 3 of every 4 packets "lost"
    try {
      // we NACK the client's gaps (uplink=false) and, since the echo carries the same gaps, the
      // client NACKs ours (uplink=true)
      const down = await link.waitEvent(SESSION, handleId, 'slowlink', (e) => !e.uplink, 5000);
      expect(down).toMatchObject({ media: 'video', uplink: false });
      expect(down.lost).toBeGreaterThan(2);
      const up = await link.waitEvent(SESSION, handleId, 'slowlink', (e) => e.uplink, 5000);
      expect(up.lost).toBeGreaterThan(2);
      const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId });
      expect(info.counters[0]!.nacksOut).toBeGreaterThan(0);
      expect(info.counters[0]!.nacksIn).toBeGreaterThan(0);
      // Janus's handle_info slowlink_count: every slowlink the peer reported.
      expect(info.slowlinkCount).toBeGreaterThanOrEqual(2);
      // Janus's echotest peer-bitrate: the client's REMB about the echo.
      expect(info.peerBitrate).toBe(0);
      const receiver = client.pc.getTransceivers()[0]!.receiver;
      const echoSsrc = receiver.tracks[0]?.ssrc;
      if (echoSsrc === undefined) throw new Error('no echoed video track');
      await sendRemb(receiver, 256_000, [echoSsrc]);
      let peerBitrate = 0;
      for (let i = 0; i < 50 && peerBitrate === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        peerBitrate = (await link.call({ op: 'peer.info', sessionId: SESSION, handleId })).peerBitrate ?? 0;
      }
      expect(peerBitrate).toBe(256_000);
    } finally {
      clearInterval(timer);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
      await client.close();
    }
  });
});
