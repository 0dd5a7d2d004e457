import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { useStreamingStack } from './support/streamingStack.js';
import { Vp9SvcSender } from './support/vp9Svc.js';
import { contiguous, watchVp9 } from './support/vp9Viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An SVC mountpoint watched from another region: its media reaches the viewer's relay through a
 * cascade (a remote publisher there), which must know the stream is SVC so that the viewer's
 * layer choice applies there too.
 */
describe('Streaming: VP9 SVC across regions', () => {
  const s = useStreamingStack({ RELAY_REGIONS: 'eu,us' }, 'eu');

  it(
    'a viewer in the other region gets only SID 0/TID 0 after configure, with the events',
    { timeout: 60_000 },
    async () => {
      const id = 7_700_000 + Math.floor(Math.random() * 1e5);
      const created = await s.admin.sync({
        request: 'create',
        type: 'rtp',
        id,
        media: [{ type: 'video', mid: 'v', port: 0, pt: 98, codec: 'vp9', svc: true }],
      });
      expect(created.streaming, JSON.stringify(created)).toBe('created');
      const sender = new Vp9SvcSender(created.stream.ports[0].port as number, 20);
      const { h, client, got } = await watchVp9(s.stack, id, sender, 'us');
      await client.connected();
      const pump = setInterval(() => sender.sendPicture(), 20);
      try {
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.spatial_layer === 2, 'spatial_layer 2', 10_000);
        h.janus.events.splice(0);
        await h.ask({ request: 'configure', spatial_layer: 0, temporal_layer: 0 });
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.spatial_layer === 0, 'spatial_layer 0', 10_000);
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.temporal_layer === 0, 'temporal_layer 0', 10_000);
        await sleep(100);
        const from = got.length;
        await waitFor(() => got.length - from >= 15, 10_000, 'packets of SID 0 / TID 0');
        const low = got.slice(from);
        expect(low.every((p) => p.sent.sid === 0 && p.sent.tid === 0)).toBe(true);
        expect(contiguous(low)).toBe(true);
        expect(low.every((p) => p.marker === p.sent.end)).toBe(true);
      } finally {
        clearInterval(pump);
        sender.close();
      }
      await client.close();
      await h.close();
      expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    },
  );
});
