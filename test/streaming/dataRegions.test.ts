import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { useStreamingStack } from './support/streamingStack.js';
import { createRtp, dataMessages, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `buffermsg` for viewers in another region: the data stream reaches their relay through the
 * mountpoint's cascade, whose remote publisher there keeps the last message too, so every viewer
 * that joins there (the first, which opened the cascade, and later ones) gets it, as at home; with
 * several data streams, each stream's last one.
 */
describe('Streaming: data mountpoints across regions', () => {
  const s = useStreamingStack({ RELAY_REGIONS: 'eu,us' }, 'eu');
  const udp = createSocket('udp4');
  afterAll(() => udp.close());

  /** The viewers leave, then the mountpoint is destroyed. */
  async function closeAll(id: number, ...viewers: Array<Awaited<ReturnType<typeof watch>>>): Promise<void> {
    for (const v of viewers) {
      await v.client.close();
      await v.h.close();
    }
    expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  }

  it(
    'viewers in the far region get the kept message when they join, then the live ones',
    {
      timeout: 60_000,
    },
    async () => {
      const id = 7_800_000 + Math.floor(Math.random() * 1e5);
      const { ports } = await createRtp(s.admin, id, [{ type: 'data', mid: 'd', port: 0, buffermsg: true }]);
      const port = ports[0]!.port;
      udp.send('first', port, '127.0.0.1');
      await sleep(200);
      let a: Array<string | Buffer> = [];
      const viewerA = await watch(s.stack, id, 'us', (c) => (a = dataMessages(c)));
      await waitFor(() => a.length >= 1, 10_000, 'the kept message at the first far viewer');
      udp.send('second', port, '127.0.0.1');
      await waitFor(() => a.length >= 2, 5000, 'the live message at the far viewer');
      expect(a).toEqual(['first', 'second']);
      // a second far viewer joins the cascade that exists: the far relay gives it the kept message
      let b: Array<string | Buffer> = [];
      const viewerB = await watch(s.stack, id, 'us', (c) => (b = dataMessages(c)));
      await waitFor(() => b.length >= 1, 5000, 'the kept message at the second far viewer');
      await sleep(500);
      expect(b).toEqual(['second']);
      expect(a).toEqual(['first', 'second']);
      udp.send('third', port, '127.0.0.1');
      await waitFor(() => a.length >= 3 && b.length >= 2, 5000, 'the live message at both');
      expect(b).toEqual(['second', 'third']);
      await closeAll(id, viewerA, viewerB);
    },
  );

  it(
    'two data streams: a far viewer gets both on its one channel, each as its datatype',
    { timeout: 60_000 },
    async () => {
      const id = 7_810_000 + Math.floor(Math.random() * 1e5);
      const { ports } = await createRtp(s.admin, id, [
        { type: 'data', mid: 'd1', port: 0 },
        { type: 'data', mid: 'd2', port: 0, datatype: 'binary' },
      ]);
      let got: Array<string | Buffer> = [];
      const v = await watch(s.stack, id, 'us', (c) => (got = dataMessages(c)));
      await sleep(500);
      udp.send('text', ports[0]!.port, '127.0.0.1');
      await waitFor(() => got.length >= 1, 5000, 'the first stream’s message');
      udp.send(Buffer.from([5, 6]), ports[1]!.port, '127.0.0.1');
      await waitFor(() => got.length >= 2, 5000, 'the second stream’s message');
      expect(got.map((m) => (Buffer.isBuffer(m) ? [...m] : m))).toEqual(['text', [5, 6]]);
      await closeAll(id, v);
    },
  );

  it(
    'two data streams with buffermsg: a far viewer that joins gets the last message of each, live ones on the channel a home viewer has',
    { timeout: 60_000 },
    async () => {
      const id = 7_820_000 + Math.floor(Math.random() * 1e5);
      const { ports } = await createRtp(s.admin, id, [
        { type: 'data', mid: 'd1', port: 0, buffermsg: true },
        { type: 'data', mid: 'd2', port: 0, datatype: 'binary', buffermsg: true },
      ]);
      const [d1, d2] = [ports[0]!.port, ports[1]!.port];
      const shown = (msgs: Array<string | Buffer>) => msgs.map((m) => (Buffer.isBuffer(m) ? `bytes ${[...m]}` : m));
      udp.send('d1 old', d1, '127.0.0.1');
      udp.send(Buffer.from([1]), d2, '127.0.0.1');
      await sleep(100);
      udp.send('d1 last', d1, '127.0.0.1');
      udp.send(Buffer.from([2]), d2, '127.0.0.1');
      await sleep(300);
      /** A viewer in `region`: its messages, and the labels of the DataChannels it was given. */
      const viewer = async (region: string) => {
        const got = { msgs: [] as Array<string | Buffer>, labels: [] as string[] };
        const v = await watch(s.stack, id, region, (c) => {
          got.msgs = dataMessages(c);
          c.pc.onDataChannel.subscribe((dc) => got.labels.push(dc.label));
        });
        return { ...v, got };
      };
      // the first far viewer opens the cascade: each stream's kept message crosses it and is kept there
      const a = await viewer('us');
      await waitFor(() => a.got.msgs.length >= 2, 10_000, 'both kept messages at the first far viewer');
      // a second far viewer is served from the far relay's own kept messages
      const b = await viewer('us');
      await waitFor(() => b.got.msgs.length >= 2, 5000, 'both kept messages at the second far viewer');
      const home = await viewer('eu');
      await waitFor(() => home.got.msgs.length >= 2, 5000, 'both kept messages at the home viewer');
      await sleep(500);
      for (const v of [a, b, home]) expect(shown(v.got.msgs).sort()).toEqual(['bytes 2', 'd1 last']);
      // live: each stream's messages, as its datatype, on the one channel a home viewer has too
      udp.send('d1 live', d1, '127.0.0.1');
      await waitFor(() => [a, b, home].every((v) => v.got.msgs.length >= 3), 5000, 'the live text message');
      udp.send(Buffer.from([3]), d2, '127.0.0.1');
      await waitFor(() => [a, b, home].every((v) => v.got.msgs.length >= 4), 5000, 'the live binary message');
      await sleep(300);
      for (const v of [a, b, home]) {
        expect(shown(v.got.msgs.slice(2))).toEqual(['d1 live', 'bytes 3']);
        expect(v.got.labels).toEqual(home.got.labels);
      }
      expect(home.got.labels).toHaveLength(1);
      // a viewer joining after the live messages gets the newest of each stream
      const c = await viewer('us');
      await waitFor(() => c.got.msgs.length >= 2, 5000, 'both kept messages at a later far viewer');
      await sleep(500);
      expect(shown(c.got.msgs).sort()).toEqual(['bytes 3', 'd1 live']);
      await closeAll(id, a, b, home, c);
    },
  );
});
