/**
 * AudioBridge plain-RTP participants and bridges' legs in the relay's own bookkeeping: they are peers
 * without PeerConnection that the edge tracks (by their `ab.rtpJoin` key), so they are in the
 * heartbeat's digest and count, in the `listPeers` answer with their age, and in load and capacity.
 */
import type { PeersMessage } from '../../../shared/control/messages.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { peerDigest } from '../../../shared/control/peerDigest.js';
import { describe, expect, it } from 'vitest';
import { relayFixture } from '../support/relayFixture.js';
import { AB, mixerSettings, SESSION } from './support/join.js';
import { WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46950, 46999], {
  env: { RELAY_REMOTE_PORT_MIN: '36950', RELAY_REMOTE_PORT_MAX: '36999', RELAY_CAPACITY: '2' },
});

function rtpJoin(handleId: number): Extract<CommandInput, { op: 'ab.rtpJoin' }> {
  return {
    op: 'ab.rtpJoin',
    sessionId: SESSION,
    handleId,
    mixer: 'ab:5',
    mixerSettings: mixerSettings(5),
    participant: handleId,
    rtp: { payloadType: 100 },
  } as Extract<CommandInput, { op: 'ab.rtpJoin' }>;
}

/** The next heartbeat after now. */
async function nextHeartbeat() {
  const n = fx.link.heartbeats.length;
  await fx.link.until(() => fx.link.heartbeats.length > n, 3000, 'a heartbeat');
  return fx.link.heartbeats.at(-1)!;
}

describe('AudioBridge legs in the relay bookkeeping', () => {
  const lists: PeersMessage[] = [];

  it('a leg is in the heartbeat digest, count and load, and in the peer list with its age', async () => {
    fx.link.ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string };
      if (m.type === 'peers') lists.push(m as PeersMessage);
    });
    await fx.link.call(rtpJoin(11));
    const beat = await nextHeartbeat();
    expect(beat.peerDigest).toBe(peerDigest([`${SESSION}:11`]));
    expect(beat.peers).toBe(1);
    expect(beat.load).toBe(0.5);
    fx.link.sendRaw({ type: 'listPeers' });
    await fx.link.until(() => lists.length > 0, 3000, 'the peer list');
    expect(lists[0]!.peers).toEqual([{ sessionId: SESSION, handleId: 11, ageMs: expect.any(Number) }]);
    expect(fx.link.invalid).toEqual([]);
  });

  it('legs count against the capacity: at capacity a leg and a PeerConnection are refused (472)', async () => {
    await fx.link.call(rtpJoin(12));
    expect((await nextHeartbeat()).load).toBe(1);
    const leg = await fx.link.request(rtpJoin(13));
    expect(leg.ok ? 0 : leg.error.code).toBe(472);
    const voice = fx.track(new WebRtcVoice(440));
    const pc = await fx.link.request({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 14,
      plugin: AB,
      offer: { sdp: await voice.offer() },
      options: { mixer: 'ab:5', mixerSettings: mixerSettings(5), participant: 14 },
    });
    expect(pc.ok ? 0 : pc.error.code).toBe(472);
    expect(fx.relay.audiobridge.rtpCount).toBe(2);
  });

  it('a hung-up leg leaves the digest, the count and the load', async () => {
    for (const h of [11, 12])
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'done' });
    const beat = await nextHeartbeat();
    expect(beat.peerDigest).toBe(peerDigest([]));
    expect(beat.peers).toBe(0);
    expect(beat.load).toBe(0);
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
  });
});
