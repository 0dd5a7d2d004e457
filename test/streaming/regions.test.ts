import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until } from './support/census.js';
import { avMedia, ffmpegSend, StreamingHandle, watch } from './support/viewer.js';

/**
 * Viewers anywhere: a mountpoint listens on a relay of its creator's region (eu); 20 werift viewers,
 * half in eu and half in us, each on a relay of its own region. The us viewers are fed through one
 * cascade (a remote publisher on the us relay fed by forwarders of the mountpoint), shared by all of
 * them and removed when the last one leaves.
 */
describe('Streaming across regions', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    '20 viewers in two regions get ≥ 99 % of the packets, through exactly one cascade to the far relay',
    { timeout: 120_000 },
    async () => {
      const before = { eu: await resources(stack, 'eu'), us: await resources(stack, 'us') };
      const admin = await StreamingHandle.connect(stack, 'eu');
      const id = 2_000_000 + Math.floor(Math.random() * 1e6);
      const created = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
      expect(created.streaming, JSON.stringify(created)).toBe('created');
      const port = (mid: string) => created.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
      expect((await resources(stack, 'eu')).streaming.mountpoints).toBe(1);

      const viewers: Array<Awaited<ReturnType<typeof watch>> & { region: string }> = [];
      for (let i = 0; i < 20; i++) {
        const region = i % 2 === 0 ? 'eu' : 'us';
        viewers.push({ ...(await watch(stack, id, region)), region });
      }
      const during = { eu: await resources(stack, 'eu'), us: await resources(stack, 'us') };
      // one remote publisher on the far relay, none at home; each viewer a peer of its own region's relay
      expect(during.us.remotePublishers - before.us.remotePublishers).toBe(1);
      expect(during.eu.remotePublishers - before.eu.remotePublishers).toBe(0);
      expect(during.us.peers - before.us.peers).toBe(10);
      expect(during.eu.peers - before.eu.peers).toBe(10);
      // the cascade's forwarders: one shared RTP socket and one RTCP socket on the home relay
      expect(during.eu.forwarderSockets - before.eu.forwarderSockets).toBe(2);

      const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 8);
      await new Promise((r) => ffmpeg.once('exit', r));
      const ingested = (await resources(stack, 'eu')).streaming.packetsIn;
      expect(ingested).toBeGreaterThan(8 * 50);
      const got = (c: EchoClient) => c.received.audio + c.received.video;
      await until(async () => viewers.every((v) => got(v.client) >= ingested), 3000, 'every packet').catch(
        () => undefined,
      );
      const ratios = viewers.map((v) => ({ region: v.region, ratio: got(v.client) / ingested }));
      for (const r of ratios) expect(r.ratio, JSON.stringify(ratios)).toBeGreaterThanOrEqual(0.99);

      for (const v of viewers.splice(0, 19)) {
        await v.h.ask({ request: 'stop' });
        await v.client.close();
        await v.h.close();
      }
      // the last far viewer still holds the cascade
      expect((await resources(stack, 'us')).remotePublishers - before.us.remotePublishers).toBe(1);
      const last = viewers.pop()!;
      await last.h.close();
      await last.client.close();
      await until(
        async () => (await resources(stack, 'us')).remotePublishers === before.us.remotePublishers,
        10_000,
        'cascade removed',
      );
      await until(
        async () => (await resources(stack, 'eu')).forwarderSockets === before.eu.forwarderSockets,
        10_000,
        'forwarders closed',
      );
      expect(await admin.sync({ request: 'destroy', id })).toMatchObject({ streaming: 'destroyed' });
      await until(
        async () => (await resources(stack, 'eu')).streaming.sockets === 0,
        5000,
        'mountpoint sockets closed',
      );
      await admin.close();
    },
  );
});
