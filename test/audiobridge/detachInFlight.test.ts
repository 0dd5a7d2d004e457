/**
 * A handle detached while its AudioBridge join is in flight, through the real stack: the join (with a
 * werift offer) and the detach go out back to back on one WebSocket, so the detach reaches the shard
 * while the room is still joining. The participant must leave as soon as the join completes (the
 * room's list is empty within a second, the others hear it leave) and nothing may stay on the relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';

interface Resources {
  peers: number;
  audiobridge: { mixers: number; participants: number };
}

describe('AudioBridge: a handle detached while its join is in flight', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('leaves at once: nobody in the room within a second, nothing on the relay', async () => {
    const room = 7_500_000 + Math.floor(Math.random() * 1e5);
    const admin = await AbParticipant.connect(stack);
    const a = await AbParticipant.connect(stack);
    const voice = new WebRtcVoice(440);
    try {
      await admin.sync({ request: 'create', room });
      await admin.ask({ request: 'join', room, id: 9 });
      const offer = await voice.offer();
      const [ack, detached] = await Promise.all([
        a.janus.request({
          janus: 'message',
          session_id: a.sessionId,
          handle_id: a.handleId,
          body: { request: 'join', room, id: 1 },
          jsep: { type: 'offer', sdp: offer },
        }),
        a.janus.request({ janus: 'detach', session_id: a.sessionId, handle_id: a.handleId }),
      ]);
      expect(ack.janus).toBe('ack');
      expect(detached.janus).toBe('success');
      const detachedAt = Date.now();
      const ids = async () =>
        ((await admin.sync({ request: 'listparticipants', room })).participants as Array<{ id: number }>).map(
          (p) => p.id,
        );
      let listed = await ids();
      while (listed.includes(1) && Date.now() - detachedAt < 1000) listed = await ids();
      expect(listed).toEqual([9]);
      await admin.waitData((d) => d.leaving === 1, 'the others hear it leave', 1000);
      const relay = stack.relays[0]!.httpUrl;
      const left = () => relayDebug<Resources>(stack, relay, '/debug/resources');
      let resources = await left();
      for (const until = Date.now() + 3000; resources.peers > 0 && Date.now() < until; resources = await left())
        await new Promise((r) => setTimeout(r, 50));
      expect({ peers: resources.peers, participants: resources.audiobridge.participants }).toEqual({
        peers: 0,
        participants: 0,
      });
      await admin.sync({ request: 'destroy', room });
    } finally {
      await voice.close().catch(() => undefined);
      await a.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    }
  }, 60_000);
});
