import { createSocket } from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { useStreamingStack } from './support/streamingStack.js';
import { createRtp, dataMessages, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `buffermsg` for viewers in another region: the data stream reaches their relay through the
 * mountpoint's cascade, whose remote publisher there keeps the last message too, so every viewer
 * that joins there (the first, which opened the cascade, and later ones) gets it, as at home.
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
});
