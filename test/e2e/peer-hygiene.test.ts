import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { startRelay } from '../relay/support/relay.js';
import { rejectInOffer } from '../relay/support/sdp.js';
import { EchoSession } from '../../relay/echo/session.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

/**
 * Through the real stack: offers with rejected m-lines are answered the Janus way and the call goes on,
 * an offer rejecting everything is an error event that leaves nothing behind, and a PeerConnection
 * whose client never starts ICE is hung up (RELAY_ICE_START_TIMEOUT) with the client told.
 */

const ECHO = 'janus.plugin.echotest';
const RELAY_SECRET = 'peer-hygiene-secret-0123456789';

async function peerconnections(stack: Stack): Promise<number> {
  const health = (await (await fetch(`${stack.baseUrl}/health?counts=1`)).json()) as { peerconnections: number };
  return health.peerconnections;
}

async function offerTo(janus: JanusWs, sessionId: number, handleId: number, sdp: string) {
  const ack = await janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true, video: true },
    jsep: { type: 'offer', sdp },
  });
  expect(ack.janus).toBe('ack');
  return janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 15_000, 'echotest event');
}

describe('PeerConnection hygiene through edge and relay', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ SESSION_TIMEOUT: '60', RELAY_ICE_START_TIMEOUT: '2', RELAY_SECRET });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a rejected m-line is answered rejected and the call goes on; rejecting everything is 465 and leaves nothing', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);

    const stopped = new EchoClient();
    stopped.addMedia('audio');
    stopped.addMedia('video');
    const refused = await offerTo(
      janus,
      sessionId,
      handleId,
      rejectInOffer(await stopped.createOffer(), ['audio', 'video']),
    );
    await stopped.close();
    expect(refused.plugindata.data.error_code).toBe(465);
    expect(refused.jsep).toBeUndefined();
    expect(await peerconnections(stack)).toBe(0);

    // the same handle then calls with an offer that rejects audio: video is echoed
    const client = new EchoClient();
    client.addMedia('audio');
    const video = client.addMedia('video');
    const offer = await client.createOffer();
    const audioMid = client.pc.getTransceivers()[0]!.mid!;
    const ev = await offerTo(janus, sessionId, handleId, rejectInOffer(offer, ['audio']));
    expect(ev.plugindata.data).toEqual({ echotest: 'event', result: 'ok' });
    const answer = ev.jsep.sdp as string;
    expect(answer).toMatch(
      new RegExp(`m=audio 0 [^\\r]*\\r\\nc=IN IP4 0\\.0\\.0\\.0\\r\\na=mid:${audioMid}\\r\\na=inactive`),
    );
    await client.acceptAnswer(answer);
    await client.connected(15_000);
    await janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === handleId, 10_000, 'webrtcup');
    client.startSending(video, 20);
    await waitFor(() => client.echoedTags.video.size > 10, 10_000, 'video echo');
    expect(await peerconnections(stack)).toBe(1);

    const hangup = await janus.request({ janus: 'hangup', session_id: sessionId, handle_id: handleId });
    expect(hangup.janus).toBe('success');
    await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 5_000, 'hangup');
    expect(await peerconnections(stack)).toBe(0);
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);

  it('a client that never starts ICE is hung up within RELAY_ICE_START_TIMEOUT, and the handle calls again', async () => {
    const janus = await JanusWs.connect(stack.wsUrl);
    const sessionId = await janus.createSession();
    const handleId = await janus.attach(sessionId, ECHO);
    const silent = new EchoClient();
    silent.addMedia('audio');
    const ev = await offerTo(janus, sessionId, handleId, await silent.createOffer());
    expect(ev.jsep.type).toBe('answer');
    expect(await peerconnections(stack)).toBe(1);
    // the answer is never applied: no connectivity check reaches the relay
    const hangup = await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 8_000, 'hangup');
    expect(hangup.reason).toBe('ICE failed');
    await janus.waitEvent(
      (m) => m.janus === 'event' && m.sender === handleId && m.plugindata?.data?.result === 'done',
      5_000,
      'echotest done',
    );
    expect(await peerconnections(stack)).toBe(0);
    await silent.close();

    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const again = await offerTo(janus, sessionId, handleId, await client.createOffer());
    await client.acceptAnswer(again.jsep.sdp);
    await client.connected(15_000);
    client.startSending(audio, 20);
    await waitFor(() => client.echoedTags.audio.size > 10, 10_000, 'echo on the same handle');
    // connected calls outlive the ICE start timeout
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await peerconnections(stack)).toBe(1);
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 60_000);

  it('reconciles the edge with a relay: a peer the relay lost is hung up, one the edge does not know is closed', async () => {
    // a relay of our own (region "ghost") joins the stack, so the test can make it lose peers silently
    const relay = await startRelay(stack.baseUrl, {
      RELAY_ID: 'ghost-relay',
      RELAY_REGION: 'ghost',
      RELAY_SECRET,
      RELAY_ICE_PORT_MIN: '43500',
      RELAY_ICE_PORT_MAX: '43599',
    });
    try {
      await relay.control.whenReady();
      const janus = await JanusWs.connect(`${stack.wsUrl}?region=ghost`);
      const sessionId = await janus.createSession();
      const handleId = await janus.attach(sessionId, ECHO);
      const client = new EchoClient();
      client.addMedia('audio');
      const ev = await offerTo(janus, sessionId, handleId, await client.createOffer());
      await client.acceptAnswer(ev.jsep.sdp);
      await client.connected(15_000);
      const peer = relay.registry.get(`${sessionId}:${handleId}`);
      expect(peer).toBeDefined();

      // the relay loses the PeerConnection without telling the edge
      await peer!.hangup('lost in a test', { notifyEdge: false });
      const hangup = await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 10_000, 'hangup');
      expect(hangup.reason).toBe('Gone from relay');
      expect(await peerconnections(stack)).toBe(0);
      await client.close();

      // a PeerConnection the edge never heard of (a creation whose reply was lost) is closed once it is old
      const ghost = relay.registry.add(777, 778, false, (deps) => new EchoSession(deps, {}));
      await waitFor(() => ghost.closed, 25_000, 'the unknown peer closed');
      expect(relay.registry.get('777:778')).toBeUndefined();
      await janus.request({ janus: 'destroy', session_id: sessionId });
      await janus.close();
    } finally {
      await relay.stop();
    }
  }, 60_000);
});
