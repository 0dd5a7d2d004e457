import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

const ECHO = 'janus.plugin.echotest';

async function adminPost(stack: Stack, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(stack.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ transaction: 'a', admin_secret: 'janusoverlord', ...body }),
  });
  return res.json();
}

/** A werift client's offer through the edge to a relay and back: a full EchoTest call. */
async function call(stack: Stack, kinds: Array<'audio' | 'video'> = ['audio', 'video']) {
  const janus = await JanusWs.connect(stack.wsUrl);
  const sessionId = await janus.createSession();
  const handleId = await janus.attach(sessionId, ECHO);
  const client = new EchoClient();
  const keys = kinds.map((k) => client.addMedia(k));
  const offer = await client.createOffer();
  const ack = await janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true, video: true },
    jsep: { type: 'offer', sdp: offer },
  });
  expect(ack.janus).toBe('ack');
  const ev = await janus.waitEvent(
    (m) => m.janus === 'event' && m.transaction === ack.transaction,
    15_000,
    'echotest answer',
  );
  expect(ev.plugindata).toEqual({ plugin: ECHO, data: { echotest: 'event', result: 'ok' } });
  expect(ev.jsep.type).toBe('answer');
  await client.acceptAnswer(ev.jsep.sdp);
  await client.connected(15_000);
  await janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === handleId, 10_000, 'webrtcup');
  return { janus, sessionId, handleId, client, keys };
}

describe('EchoTest through edge and relay (werift client over real UDP)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ SESSION_TIMEOUT: '60' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('echoes audio and video, reports media state, shows the relay in handle_info, and hangs up', async () => {
    const { janus, sessionId, handleId, client, keys } = await call(stack);
    for (const key of keys) client.startSending(key, 20);
    await waitFor(
      () => client.echoedTags.audio.size > 20 && client.echoedTags.video.size > 20,
      10_000,
      'echoed packets',
    );
    for (const tag of [...client.echoedTags.video].slice(0, 20)) expect(client.sentTags.video.has(tag)).toBe(true);
    await janus.waitEvent(
      (m) => m.janus === 'media' && m.type === 'video' && m.receiving === true,
      10_000,
      'media receiving',
    );

    const info = await adminPost(stack, { janus: 'handle_info', session_id: sessionId, handle_id: handleId });
    expect(info.janus).toBe('success');
    expect(info.info.relay).toBe(stack.relays[0]!.id);
    expect(info.info.webrtc.iceState).toMatch(/connected|completed/);
    expect(info.info.webrtc.counters.some((c: any) => c.packetsIn > 0 && c.packetsOut > 0)).toBe(true);

    // The client stops sending: the relay notices within its no-media timer.
    for (const key of keys) client.stopSending(key);
    await janus.waitEvent((m) => m.janus === 'media' && m.receiving === false, 10_000, 'media receiving=false');

    const hangup = await janus.request({ janus: 'hangup', session_id: sessionId, handle_id: handleId });
    expect(hangup.janus).toBe('success');
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup event');
    const counts = (await (await fetch(`${stack.baseUrl}/health?counts=1`)).json()) as { peerconnections: number };
    expect(counts.peerconnections).toBe(0);
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);

  it('renegotiates (adds video to an audio call) and hangs up through admin hangup_webrtc', async () => {
    const { janus, sessionId, handleId, client, keys } = await call(stack, ['audio']);
    client.startSending(keys[0]!, 20);
    await waitFor(() => client.echoedTags.audio.size > 5, 10_000, 'audio echo');
    const video = client.addMedia('video');
    const ack = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { video: true },
      jsep: { type: 'offer', sdp: await client.createOffer() },
    });
    const ev = await janus.waitEvent(
      (m) => m.janus === 'event' && m.transaction === ack.transaction,
      15_000,
      'renegotiation answer',
    );
    expect(ev.jsep.type).toBe('answer');
    await client.acceptAnswer(ev.jsep.sdp);
    client.startSending(video, 20);
    await waitFor(() => client.echoedTags.video.size > 5, 10_000, 'video echo after renegotiation');
    const r = await adminPost(stack, { janus: 'hangup_webrtc', session_id: sessionId, handle_id: handleId });
    expect(r.janus).toBe('success');
    const hangup = await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup event');
    expect(hangup.reason).toBe('Admin API');
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);

  it('trickles client candidates to the relay and rejects candidates for unknown mids with 466', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const client = new EchoClient();
    const key = client.addMedia('audio');
    const offer = await client.createOffer(false);
    const ack = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true },
      jsep: { type: 'offer', sdp: offer },
    });
    const bad = await janus.request({
      janus: 'trickle',
      session_id: sessionId,
      handle_id: handleId,
      candidate: { sdpMid: 'nope', sdpMLineIndex: 0, candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' },
    });
    expect(bad.error.code).toBe(466);
    const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 15_000, 'answer');
    await client.acceptAnswer(ev.jsep.sdp);
    await waitFor(() => client.candidates.length > 0, 5_000, 'local candidates');
    for (const c of client.candidates) {
      const r = await janus.request({ janus: 'trickle', session_id: sessionId, handle_id: handleId, candidate: c });
      expect(r.janus).toBe('ack');
    }
    await janus.request({
      janus: 'trickle',
      session_id: sessionId,
      handle_id: handleId,
      candidate: { completed: true },
    });
    await client.connected(15_000);
    client.startSending(key, 20);
    await waitFor(() => client.echoedTags.audio.size > 10, 10_000, 'echo after trickle');
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);

  it('exposes Prometheus metrics on the edge and the relay', async () => {
    await fetch(stack.httpUrl, { method: 'POST', body: JSON.stringify({ janus: 'create', transaction: 'm1' }) });
    await fetch(stack.httpUrl, { method: 'POST', body: JSON.stringify({ janus: 'nope', transaction: 'm2' }) });
    const edge = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    expect(edge).toMatch(/^janus_sessions \d+$/m);
    expect(edge).toMatch(/^janus_handles \d+$/m);
    expect(edge).toMatch(/^janus_http_requests_total\{verb="create"\} [1-9]\d*$/m);
    expect(edge).toMatch(/^janus_http_errors_total\{code="457"\} [1-9]\d*$/m);
    const relay = await (await fetch(`${stack.relays[0]!.httpUrl}/metrics`)).text();
    expect(relay).toMatch(/^relay_peers\{relay="[^"]+"\} \d+$/m);
    const health = (await (await fetch(`${stack.relays[0]!.httpUrl}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok' });
    expect(typeof health.eventLoopLagMs).toBe('number');
  });

  it('answers garbage SDP with 465 and an answer without an offer with 469, and keeps serving', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const garbage = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: {},
      jsep: { type: 'offer', sdp: 'this is not sdp' },
    });
    expect(garbage.error.code).toBe(465);
    const answer = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: {},
      jsep: {
        type: 'answer',
        sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n',
      },
    });
    expect(answer.error.code).toBe(469);
    // An SDP that passes the edge's sanity check but not the relay's parser: an error event, no peer.
    const odd = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: {},
      jsep: { type: 'offer', sdp: 'v=0\r\nm=audio x\r\n' },
    });
    if (odd.janus === 'ack') {
      const ev = await janus.waitEvent(
        (m) => m.janus === 'event' && m.transaction === odd.transaction,
        10_000,
        'error event',
      );
      expect(ev.plugindata.data.error_code).toBeGreaterThan(0);
    } else expect(odd.error.code).toBe(465);
    const health = (await (await fetch(`${stack.baseUrl}/health?counts=1`)).json()) as { peerconnections: number };
    expect(health.peerconnections).toBe(0);
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
    // Still serving: a real call works afterwards.
    const ok = await call(stack, ['audio']);
    await ok.client.close();
    await ok.janus.request({ janus: 'destroy', session_id: ok.sessionId });
    await ok.janus.close();
  }, 60_000);
});
