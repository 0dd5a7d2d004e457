import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/client.js';
import { spawnedRelayFixture } from '../support/spawnedRelayFixture.js';
import { offeringSubscriber, PubClient, publish, restartByOffer } from '../sfu/support.js';

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
    const { sub, key, first, mid } = await offeringSubscriber(fx.link, SESSION, 1, p);
    try {
      pub.start(100);
      await waitFor(() => sub.rec(mid).packets > 10, 5000, 'media before the restart');
      // the subscriber is a thread's
      const census = await fx.relay.debug<{ threads: Array<{ peers: number }> }>('/debug/threads');
      expect(census.body.threads.reduce((n, t) => n + t.peers, 0)).toBe(1);
      await restartByOffer(fx.link, key, sub, first, mid);
    } finally {
      pub.stop();
      for (const h of [key.handleId, p.handle])
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
      await sub.close();
      await pub.close();
    }
  }, 60_000);
});
