import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { useStreamingStack } from './support/streamingStack.js';
import { pluginInfo } from './support/viewer.js';
import { Vp9SvcSender } from './support/vp9Svc.js';
import { contiguous, watchVp9 } from './support/vp9Viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * VP9 SVC mountpoints (Janus `svc: true`): one RTP stream carries three spatial × three temporal
 * layers; each viewer gets the layers it chose with `configure` `spatial_layer`/`temporal_layer`,
 * with sequence numbers rewritten without holes and the marker on the end of its highest spatial
 * layer; each change is an event.
 */
describe('Streaming: VP9 SVC mountpoints', () => {
  const s = useStreamingStack();

  it('svc is refused on audio, on other codecs and with simulcast', { timeout: 30_000 }, async () => {
    const code = async (m: Record<string, unknown>) =>
      (await s.admin.sync({ request: 'create', type: 'rtp', id: 7_599_999, media: [{ mid: 'v', port: 0, ...m }] }))
        .error_code;
    expect(await code({ type: 'video', pt: 100, codec: 'vp8', svc: true })).toBe(456);
    expect(await code({ type: 'audio', pt: 111, codec: 'opus', svc: true })).toBe(456);
    expect(await code({ type: 'video', pt: 98, codec: 'vp9', svc: true, simulcast: true })).toBe(456);
    expect(await code({ type: 'video', pt: 98, codec: 'vp9', svc: 'yes' })).toBe(454);
  });

  it(
    'a viewer gets every layer, then only SID 0/TID 0 after configure, then all again at a keyframe',
    { timeout: 60_000 },
    async () => {
      const id = 7_500_000 + Math.floor(Math.random() * 1e5);
      const created = await s.admin.sync({
        request: 'create',
        type: 'rtp',
        id,
        media: [{ type: 'video', mid: 'v', port: 0, pt: 98, codec: 'vp9', svc: true }],
      });
      expect(created.streaming, JSON.stringify(created)).toBe('created');
      const info = await s.admin.sync({ request: 'info', id });
      expect(info.info.media[0]).toMatchObject({ codec: 'vp9', videosvc: true });
      const sender = new Vp9SvcSender(created.stream.ports[0].port as number, 20);
      const { h, client, got } = await watchVp9(s.stack, id, sender);
      await client.connected();
      const pump = setInterval(() => sender.sendPicture(), 20);
      try {
        // default: the highest layers, reached at a keyframe once every layer was seen
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.spatial_layer === 2, 'spatial_layer 2', 10_000);
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.temporal_layer === 2, 'temporal_layer 2', 10_000);
        // admin handle_info shows the layers as Janus's query_session does, from the relay's state
        expect(await pluginInfo(s.stack, h)).toMatchObject({
          state: 'watching',
          mountpoint_id: id,
          mountpoint_name: `mp-${id}`,
          mountpoint_viewers: 1,
          media: [
            {
              type: 'video',
              mindex: 0,
              mid: 'v',
              svc: { 'spatial-layer': 2, 'target-spatial-layer': 2, 'temporal-layer': 2, 'target-temporal-layer': 2 },
            },
          ],
          started: 1,
          paused: 0,
        });
        await sleep(100);
        let from = got.length;
        await waitFor(() => got.length - from >= 60, 10_000, 'packets at the highest layers');
        const all = got.slice(from);
        // every packet the sender sent in that stretch, in order, with the sender's markers
        expect(all.map((p) => p.sent.n)).toEqual(all.map((_, i) => all[0]!.sent.n + i));
        expect(contiguous(all)).toBe(true);
        expect(all.every((p) => p.marker === p.sent.marker)).toBe(true);

        // only events that follow configure count (a viewer starting on the buffered keyframe was told SID 0 first)
        h.janus.events.splice(0);
        const configured = await h.ask({ request: 'configure', spatial_layer: 0, temporal_layer: 0 });
        expect(configured.plugindata.data).toEqual({ streaming: 'event', result: { event: 'configured' } });
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.spatial_layer === 0, 'spatial_layer 0', 10_000);
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.temporal_layer === 0, 'temporal_layer 0', 10_000);
        expect((await pluginInfo(s.stack, h)).media[0].svc).toEqual({
          'spatial-layer': 0,
          'target-spatial-layer': 0,
          'temporal-layer': 0,
          'target-temporal-layer': 0,
        });
        await sleep(100);
        from = got.length;
        await waitFor(() => got.length - from >= 15, 10_000, 'packets of SID 0 / TID 0');
        const low = got.slice(from);
        expect(low.every((p) => p.sent.sid === 0 && p.sent.tid === 0)).toBe(true);
        expect(contiguous(low)).toBe(true);
        // the marker now ends each SID 0 frame (the sender marked only the end of SID 2)
        expect(low.every((p) => p.marker === p.sent.end)).toBe(true);
        // asking for the layers already forwarded is answered by their events again, as Janus does
        h.janus.events.splice(0);
        await h.ask({ request: 'configure', spatial_layer: 0 });
        await h.waitData((d) => d.result?.mid === 'v' && d.result?.spatial_layer === 0, 'spatial_layer 0 again', 5000);
        // nothing of SID 0 / TID 0 was left out
        const firstN = low[0]!.sent.n;
        const lastN = low.at(-1)!.sent.n;
        const expected = sender.sent.filter((s) => s.n >= firstN && s.n <= lastN && s.sid === 0 && s.tid === 0);
        expect(low.map((p) => p.sent.n)).toEqual(expected.map((s) => s.n));

        from = got.length;
        h.janus.events.splice(0);
        await h.ask({ request: 'configure', spatial_layer: 2, temporal_layer: 2 });
        await h.waitData(
          (d) => d.result?.mid === 'v' && d.result?.spatial_layer === 2,
          'spatial_layer 2 again',
          10_000,
        );
        await waitFor(() => got.slice(from).some((p) => p.sent.tid === 2), 10_000, 'TID 2 again');
        await sleep(200);
        const back = got.slice(from);
        // up at a keyframe: the first upper-layer packet belongs to a key picture
        expect(back.find((p) => p.sent.sid > 0)!.sent.key).toBe(true);
        expect(contiguous(back)).toBe(true);
        expect(new Set(back.map((p) => p.sent.sid))).toEqual(new Set([0, 1, 2]));
      } finally {
        clearInterval(pump);
        sender.close();
      }
      await client.close();
      await h.close();
      expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    },
  );

  it(
    'plain VP9 from ffmpeg (libvpx-vp9, no layer indices) plays through an svc mountpoint',
    { timeout: 60_000 },
    async () => {
      const id = 7_600_000 + Math.floor(Math.random() * 1e5);
      const created = await s.admin.sync({
        request: 'create',
        type: 'rtp',
        id,
        media: [{ type: 'video', mid: 'v', port: 0, pt: 98, codec: 'vp9', svc: true }],
      });
      const port = created.stream.ports[0].port as number;
      const { h, client, got } = await watchVp9(s.stack, id);
      await client.connected();
      const ffmpeg = spawn(
        'ffmpeg',
        [
          ...['-hide_banner', '-loglevel', 'error', '-re'],
          ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=4'],
          ...['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '30'],
          // ffmpeg packetizes VP9 only when told its (draft-era) packetizer is acceptable
          ...['-strict', 'experimental'],
          ...['-payload_type', '98', '-ssrc', '4321', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      try {
        await waitFor(() => got.length >= 60, 20_000, 'VP9 packets from ffmpeg');
        // a keyframe (B=1, P=0) arrived, frames end with the marker, and nothing was held back
        expect(got.some((p) => (p.payload[0]! & 0x48) === 0x08)).toBe(true);
        expect(got.some((p) => p.marker)).toBe(true);
        expect(contiguous(got)).toBe(true);
      } finally {
        ffmpeg.kill('SIGKILL');
      }
      await client.close();
      await h.close();
      expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
    },
  );
});
