import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { adminPost, echoCall } from '../support/echoCall.js';
import { JanusWs } from '../support/janusWs.js';
import { startStack, type Stack } from '../support/stack.js';

describe('relay placement by region, and losing a relay mid-call', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('places each PeerConnection on a relay of the client region', async () => {
    expect(stack.relays.map((r) => r.region).sort()).toEqual(['eu', 'us']);
    for (const region of ['eu', 'us']) {
      const janus = await JanusWs.connect(`${stack.wsUrl}?region=${region}`);
      const sessionId = await janus.createSession();
      const { handleId, client } = await echoCall(janus, sessionId);
      const info = await adminPost(stack, { janus: 'handle_info', session_id: sessionId, handle_id: handleId });
      expect(info.info.relay).toBe(stack.relays.find((r) => r.region === region)!.id);
      await client.close();
      await janus.request({ janus: 'destroy', session_id: sessionId });
      await janus.close();
    }
  }, 90_000);

  it('hangs up calls of a killed relay within 5 s; the session stays usable and calls again (elsewhere, or on the restarted relay)', async () => {
    const janus = await JanusWs.connect(`${stack.wsUrl}?region=us`);
    const sessionId = await janus.createSession();
    const { handleId, client } = await echoCall(janus, sessionId);
    const us = stack.relays.find((r) => r.region === 'us')!;
    const killedAt = Date.now();
    process.kill(us.pid, 'SIGKILL');
    const hangup = await janus.waitEvent(
      (m) => m.janus === 'hangup' && m.sender === handleId,
      6_000,
      'hangup after relay loss',
    );
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(typeof hangup.reason).toBe('string');
    await client.close();
    expect((await janus.request({ janus: 'keepalive', session_id: sessionId })).janus).toBe('ack');
    const health = (await (await fetch(`${stack.baseUrl}/health?counts=1`)).json()) as {
      relays: Array<{ region: string }>;
      peerconnections: number;
    };
    expect(health.peerconnections).toBe(0);
    // The same handle negotiates again: on the remaining relay, or on the killed one once npm start
    // has restarted it (test/e2e/faults.test.ts covers the restart itself).
    const again = new EchoClient();
    const key = again.addMedia('audio');
    const ack = await janus.request({
      janus: 'message',
      session_id: sessionId,
      handle_id: handleId,
      body: { audio: true },
      jsep: { type: 'offer', sdp: await again.createOffer() },
    });
    const ev = await janus.waitEvent(
      (m) => m.janus === 'event' && m.transaction === ack.transaction,
      15_000,
      'answer from the other relay',
    );
    await again.acceptAnswer(ev.jsep.sdp);
    await again.connected(15_000);
    again.startSending(key, 20);
    await waitFor(() => again.echoedTags.audio.size > 5, 10_000, 'echo on the remaining relay');
    const info = await adminPost(stack, { janus: 'handle_info', session_id: sessionId, handle_id: handleId });
    expect(stack.relays.map((r) => r.id)).toContain(info.info.relay);
    await again.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 90_000);

  it('drops a relay that stops heartbeating (frozen, socket still open) within 5 s', async () => {
    const janus = await JanusWs.connect(`${stack.wsUrl}?region=eu`);
    const sessionId = await janus.createSession();
    const { handleId, client } = await echoCall(janus, sessionId);
    const eu = stack.relays.find((r) => r.region === 'eu')!;
    const frozenAt = Date.now();
    process.kill(eu.pid, 'SIGSTOP');
    try {
      await janus.waitEvent((m) => m.janus === 'hangup' && m.sender === handleId, 6_000, 'hangup after heartbeat loss');
      expect(Date.now() - frozenAt).toBeLessThan(5_000);
    } finally {
      try {
        process.kill(eu.pid, 'SIGCONT');
      } catch {
        // the supervisor already replaced it
      }
    }
    await client.close();
    // Thawed, the relay reconnects and registers again.
    const deadline = Date.now() + 15_000;
    let relays: Array<{ relayId: string }> = [];
    while (Date.now() < deadline) {
      relays = ((await (await fetch(`${stack.baseUrl}/health`)).json()) as { relays: Array<{ relayId: string }> })
        .relays;
      if (relays.some((r) => r.relayId === eu.id)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(relays.map((r) => r.relayId)).toContain(eu.id);
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  }, 90_000);
});
