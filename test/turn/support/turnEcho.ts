import { expect } from 'vitest';
import type { PeerNetwork } from '../../../relay/peer/factory.js';
import type { TurnIceServer } from '../../../relay/peer/turnClient.js';
import { EchoClient, waitFor } from '../../relay/support/client.js';
import { JanusWs } from '../../support/janusWs.js';
import type { Stack } from '../../support/stack.js';

const ECHO = 'janus.plugin.echotest';

/** A werift client that may only use relay candidates from `server` (iceTransportPolicy "relay"). */
export function relayOnlyClient(server: TurnIceServer): EchoClient {
  const network: PeerNetwork = {
    bindAddress: '127.0.0.1',
    announcedAddress: '127.0.0.1',
    turn: { iceServer: () => server, force: true },
  };
  return new EchoClient(network);
}

/** The candidate types (`typ host`, `typ relay`, …) an SDP carries. */
export const candidateTypes = (sdp: string) => [
  ...new Set([...sdp.matchAll(/^a=candidate:.* typ (\w+)/gm)].map((m) => m[1]!)),
];

/** The type of the local candidate of the client's selected ICE pair, once connected. */
export function selectedLocalType(client: EchoClient): string | undefined {
  const conn = client.pc.iceTransports[0]?.connection as unknown as {
    nominated?: { localCandidate: { type: string } };
  };
  return conn?.nominated?.localCandidate.type;
}

/** Offers the client's audio and video to an EchoTest handle and applies the answer. */
export async function negotiateEcho(stack: Stack, client: EchoClient) {
  const janus = await JanusWs.connect(stack.wsUrl);
  const sessionId = await janus.createSession();
  const handleId = await janus.attach(sessionId, ECHO);
  const keys = [client.addMedia('audio'), client.addMedia('video')];
  const offer = await client.createOffer();
  const ack = await janus.request({
    janus: 'message',
    session_id: sessionId,
    handle_id: handleId,
    body: { audio: true, video: true },
    jsep: { type: 'offer', sdp: offer },
  });
  expect(ack.janus).toBe('ack');
  const ev = await janus.waitEvent((m) => m.janus === 'event' && m.transaction === ack.transaction, 20_000, 'answer');
  expect(ev.jsep.type).toBe('answer');
  await client.acceptAnswer(ev.jsep.sdp);
  const close = async () => {
    await client.close();
    await janus.request({ janus: 'destroy', session_id: sessionId });
    await janus.close();
  };
  return { janus, sessionId, handleId, keys, offer, answer: ev.jsep.sdp as string, close };
}

/** Sends tagged audio and video and waits until both come back. */
export async function expectEcho(client: EchoClient, keys: string[]): Promise<void> {
  for (const key of keys) client.startSending(key, 20);
  await waitFor(() => client.echoedTags.audio.size > 10 && client.echoedTags.video.size > 10, 15_000, 'echoed media');
  for (const tag of [...client.echoedTags.video].slice(0, 10)) expect(client.sentTags.video.has(tag)).toBe(true);
  for (const key of keys) client.stopSending(key);
}
