/**
 * An EchoTest call through the whole stack, as the relay-loss and drain tests make them: a werift
 * client offers audio, gets the answer, is up (`webrtcup`) and hears its packets echoed; and the admin
 * request that says which relay holds it.
 */
import { expect } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import type { JanusWs } from './janusWs.js';
import type { Stack } from './stack.js';

/** An Admin API request over HTTP with the stack's admin secret. */
export async function adminPost(stack: Stack, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(stack.adminUrl, {
    method: 'POST',
    body: JSON.stringify({ transaction: 'a', admin_secret: 'janusoverlord', ...body }),
  });
  return res.json();
}

/** Attaches EchoTest to `sessionId` and calls it with audio until packets come back echoed. */
export async function echoCall(janus: JanusWs, sessionId: number): Promise<{ handleId: number; client: EchoClient }> {
  const handleId = await janus.attach(sessionId, 'janus.plugin.echotest');
  const client = new EchoClient();
  const key = client.addMedia('audio');
  const ack = await janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true },
    jsep: { type: 'offer', sdp: await client.createOffer() },
  });
  const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 15_000, 'answer');
  expect(ev.jsep?.type).toBe('answer');
  await client.acceptAnswer(ev.jsep.sdp);
  await janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === handleId, 15_000, 'webrtcup');
  client.startSending(key, 20);
  await waitFor(() => client.echoedTags.audio.size > 5, 10_000, 'echo');
  return { handleId, client };
}
