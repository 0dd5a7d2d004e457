import { describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import { localOffer, remoteAnswer } from '../support/negotiate.js';
import { spawnedRelayFixture } from '../support/spawnedRelayFixture.js';
import { handleId, PubClient, publish, SubClient, VIDEOROOM } from '../sfu/support.js';

/**
 * A WHEP player's ICE restart on a relay with threads (RELAY_WORKER_THREADS=2): the subscriber that
 * offered lives on a relay thread, and its new offer (`peer.offer`) is answered there with new
 * credentials while its legs keep forwarding.
 */
const SESSION = 9200;
const fx = spawnedRelayFixture({
  RELAY_SECRET: 'threads-restart-0123456789',
  RELAY_WORKER_THREADS: '2',
  RELAY_ICE_PORT_MIN: '44800',
  RELAY_ICE_PORT_MAX: '44899',
  RELAY_STATS_PERIOD: '0',
});

describe('relay threads: a client-offered subscriber restarts ICE', () => {
  it('answers its new offer with new credentials; media goes on', async () => {
    const pub = new PubClient(1);
    const p = await publish(fx.link, SESSION, pub, { audiocodec: 'opus', videocodec: 'vp8' });
    const vm = p.streams.find((s) => s.type === 'video')!.mid;
    const sub = new SubClient();
    sub.pc.addTransceiver('video', { direction: 'recvonly' });
    const key = { sessionId: SESSION, handleId: handleId() };
    try {
      const created = await fx.link.call({
        op: 'peer.create',
        ...key,
        plugin: VIDEOROOM,
        offer: { sdp: await localOffer(sub.pc) },
        options: { role: 'subscriber', streams: [{ feedId: 1, feedKey: p.key, feedMid: vm, type: 'video' }] },
      } as CommandInput);
      const first = (created as { answer: { sdp: string } }).answer.sdp;
      await remoteAnswer(sub.pc, first);
      await sub.connected();
      pub.start(100);
      const mid = sub.pc.getTransceivers()[0]!.mid!;
      await waitFor(() => sub.rec(mid).packets > 10, 5000, 'media before the restart');
      // the subscriber is a thread's
      const census = await fx.relay.debug<{ threads: Array<{ peers: number }> }>('/debug/threads');
      expect(census.body.threads.reduce((n, t) => n + t.peers, 0)).toBe(1);

      sub.pc.restartIce();
      const restarted = await fx.link.call({ op: 'peer.offer', ...key, sdp: await localOffer(sub.pc) } as CommandInput);
      const answer = (restarted as { answer: { sdp: string } }).answer.sdp;
      const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)![1];
      expect(ufrag(answer)).not.toBe(ufrag(first));
      await remoteAnswer(sub.pc, answer);
      const ice = sub.pc.dtlsTransports[0]!.iceTransport;
      ice.start().catch(() => undefined);
      await waitFor(() => ice.state === 'connected' || ice.state === 'completed', 5000, 'ICE up again');
      const before = sub.rec(mid).packets;
      await waitFor(() => sub.rec(mid).packets > before + 10, 5000, 'media after the restart');
    } finally {
      pub.stop();
      for (const h of [key.handleId, p.handle])
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
      await sub.close();
      await pub.close();
    }
  }, 60_000);
});
