import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { waitFor, type EchoClient } from '../relay/support/client.js';
import { pluginInfo, StreamingHandle, videoPackets, watch } from './support/viewer.js';
import { useStreamingStack } from './support/streamingStack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three VP8 substreams as a simulcasting encoder sends them: one SSRC and port each, the layer in the payload's last byte. */
class SimulcastSender {
  private readonly sock = createSocket('udp4');
  private seq = [100, 2000, 30000];
  private frame = 0;

  constructor(private readonly ports: number[]) {}

  /** One frame on every substream: a keyframe every `gop` frames. */
  sendFrame(gop = 10): void {
    const key = this.frame % gop === 0;
    this.ports.forEach((port, layer) => {
      const p = Buffer.alloc(12 + 300, 0x55);
      p[0] = 0x80;
      p[1] = 0x80 | 100;
      p.writeUInt16BE(this.seq[layer]++ & 0xffff, 2);
      p.writeUInt32BE((this.frame * 3000) >>> 0, 4);
      p.writeUInt32BE(5000 + layer, 8);
      p[12] = 0x10; // VP8 descriptor: S=1, partition 0
      p[13] = key ? 0x00 : 0x01;
      p[p.length - 1] = layer;
      this.sock.send(p, port, '127.0.0.1');
    });
    this.frame++;
  }

  close(): void {
    this.sock.close();
  }
}

/** The layer of every video packet the viewer receives. */
const layers = (client: EchoClient): number[] => videoPackets(client, (rtp) => rtp.payload.at(-1)!);

/**
 * Simulcast mountpoints (Janus `simulcast` with `port2`/`port3`): each substream arrives on its
 * own port; a viewer gets the highest by default, and `configure` `substream` moves it to another
 * (switched at that substream's next keyframe) without renegotiation; each change is an event.
 */
describe('Streaming: simulcast mountpoints', () => {
  const s = useStreamingStack();

  it('a viewer gets the highest substream, then the one configure asks for', { timeout: 60_000 }, async () => {
    const id = 7_400_000 + Math.floor(Math.random() * 1e5);
    const created = await s.admin.sync({
      request: 'create',
      type: 'rtp',
      id,
      media: [{ type: 'video', mid: 'v', port: 0, port2: 0, port3: 0, pt: 100, codec: 'vp8', simulcast: true }],
    });
    expect(created.streaming, JSON.stringify(created)).toBe('created');
    // named as the reference names them: port_2/port_3 in create's answer, port2/port3 in info
    const p = created.stream.ports[0] as { port: number; port_2: number; port_3: number };
    expect(new Set([p.port, p.port_2, p.port_3]).size).toBe(3);
    const info = await s.admin.sync({ request: 'info', id });
    expect(info.info.media[0]).toMatchObject({ videosimulcast: true, port2: p.port_2, port3: p.port_3 });
    const sender = new SimulcastSender([p.port, p.port_2, p.port_3]);
    let got: number[] = [];
    const { h, client } = await watch(s.stack, id, undefined, (c) => (got = layers(c)));
    await client.connected();
    const pump = setInterval(() => sender.sendFrame(), 20);
    try {
      await waitFor(() => got.length >= 20, 10_000, 'the default substream');
      expect(new Set(got)).toEqual(new Set([2]));
      // as Janus, the viewer is told the substream its m-line carries
      await h.waitData((d) => d.result?.mid === 'v' && d.result?.substream === 2, 'substream 2 event', 5000);
      const configured = await h.ask({ request: 'configure', substream: 0 });
      expect(configured.plugindata.data).toEqual({ streaming: 'event', result: { event: 'configured' } });
      const before = got.length;
      await waitFor(() => got.slice(before).includes(0), 10_000, 'substream 0 after configure');
      await h.waitData((d) => d.result?.mid === 'v' && d.result?.substream === 0, 'substream 0 event', 5000);
      // admin handle_info shows the substream as Janus's query_session does, from the relay's state
      const shown = await pluginInfo(s.stack, h);
      expect(shown).toMatchObject({ state: 'watching', mountpoint_id: id, mountpoint_viewers: 1, started: 1 });
      expect(shown.media).toEqual([
        {
          type: 'video',
          mindex: 0,
          mid: 'v',
          simulcast: { substream: 0, 'substream-target': 0, 'temporal-layer': -1, 'temporal-layer-target': 2 },
        },
      ]);
      await sleep(300);
      const after = got.slice(got.lastIndexOf(2) + 1);
      expect(after.length).toBeGreaterThan(10);
      expect(new Set(after)).toEqual(new Set([0]));
      // a bad configure answers Janus codes
      expect((await h.ask({ request: 'configure', substream: 'x' })).plugindata.data.error_code).toBe(454);
      expect((await h.ask({ request: 'configure', mid: 'nope', substream: 1 })).plugindata.data.error_code).toBe(454);
    } finally {
      clearInterval(pump);
      sender.close();
    }
    await client.close();
    await h.close();
    expect((await s.admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  });

  it(
    'simulcast on audio, port2 without simulcast, or SVC is refused; simulcast alone picks its ports',
    { timeout: 30_000 },
    async () => {
      const code = async (m: Record<string, unknown>) =>
        (
          await s.admin.sync({
            request: 'create',
            type: 'rtp',
            id: 7_499_999,
            media: [{ mid: 'v', port: 0, pt: 100, ...m }],
          })
        ).error_code;
      expect(await code({ type: 'audio', codec: 'opus', simulcast: true, port2: 0 })).toBe(456);
      expect(await code({ type: 'video', codec: 'vp8', port2: 0 })).toBe(456);
      expect(await code({ type: 'video', codec: 'vp8', svc: true })).toBe(456);
      const alone = await s.admin.sync({
        request: 'create',
        type: 'rtp',
        id: 7_499_998,
        media: [{ type: 'video', mid: 'v', pt: 100, codec: 'vp8', simulcast: true }],
      });
      expect(alone.stream.ports[0]).toMatchObject({ port_2: expect.any(Number), port_3: expect.any(Number) });
      await s.admin.sync({ request: 'destroy', id: 7_499_998 });
      const idle = await StreamingHandle.connect(s.stack);
      expect(await pluginInfo(s.stack, idle)).toEqual({
        state: 'idle',
        hangingup: 0,
        started: 0,
        paused: 0,
        stopping: 0,
        destroyed: 0,
      });
      expect((await idle.ask({ request: 'configure', substream: 1 })).plugindata.data.error_code).toBe(455);
      await idle.close();
    },
  );
});
