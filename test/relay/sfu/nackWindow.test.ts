import { beforeAll, describe, expect, it } from 'vitest';
import type { RelayLink } from '../support/edge.js';
import { relayFixture } from '../support/relayFixture.js';
import { PubClient, publish, sleep, SubClient, subscribe } from './support.js';

/**
 * Admin `set_min_nack_queue` reaches a relay as the `settings` message's `minNackQueueMs`: a
 * subscriber leg resends a NACKed video packet only while it is that young (0: never), as Janus
 * drops packets older than min_nack_queue from its NACK queue.
 */
const SESSION = 7100;

const fx = relayFixture([43600, 43699]);
let link: RelayLink;
beforeAll(() => void ({ link } = fx));
const cleanup = fx.cleanup;

interface LegCounters {
  counters: Array<{ nacksIn: number }>;
  sfu: { legs: Array<{ retransmitted: number }> };
}

describe('relay retransmission window (min_nack_queue)', () => {
  it('answers NACKs within the window the edge sets, and none with a window of 0', async () => {
    const pub = new PubClient(9, { audio: false });
    cleanup.push(() => pub.close());
    const p = await publish(link, SESSION, pub);
    const sub = new SubClient();
    cleanup.push(() => sub.close());
    const videoMid = p.streams.find((x) => x.type === 'video')!.mid;
    const s = await subscribe(link, SESSION, sub, [{ feedId: 9, feedKey: p.key, feedMid: videoMid, type: 'video' }]);
    // The subscriber loses ~10 % of what arrives (werift's debug knob), so it NACKs.
    (sub.pc.dtlsTransports[0] as unknown as { config: { debug?: Record<string, number> } }).config.debug = {
      inboundPacketLoss: 90,
    };
    const counters = async () =>
      (
        (await link.request({ op: 'peer.info', sessionId: SESSION, handleId: s.handle })) as unknown as {
          result: LegCounters;
        }
      ).result;
    const run = async () => {
      pub.start(100);
      try {
        await sleep(2000);
      } finally {
        pub.stop();
      }
      await sleep(300);
      const c = await counters();
      return { nacksIn: c.counters[0]!.nacksIn, retransmitted: c.sfu.legs[0]!.retransmitted };
    };

    link.sendRaw({ type: 'settings', minNackQueueMs: 0 });
    await sleep(100);
    const off = await run();
    expect(off.nacksIn).toBeGreaterThan(0);
    expect(off.retransmitted).toBe(0);

    link.sendRaw({ type: 'settings', minNackQueueMs: 1000 });
    await sleep(100);
    const on = await run();
    expect(on.nacksIn).toBeGreaterThan(off.nacksIn);
    expect(on.retransmitted).toBeGreaterThan(0);

    for (const h of [s.handle, p.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });
});
