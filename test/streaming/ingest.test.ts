import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { RtpSender } from './support/rtpSender.js';
import { avMedia, ffmpegSend, StreamingHandle, watch } from './support/viewer.js';

/**
 * The vertical slice: a mountpoint created through the Janus API opens its ports on the relay,
 * ffmpeg sends VP8 + Opus RTP into it, and a werift viewer (watch → the relay's offer → start with
 * the answer) receives both.
 */
describe('Streaming: an RTP mountpoint fed by ffmpeg, watched by a werift viewer', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'creates, receives ffmpeg RTP, a viewer gets audio and video, destroy releases the ports',
    { timeout: 60_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const id = 1_000_000 + Math.floor(Math.random() * 1e6);
      const created = await admin.sync({ request: 'create', type: 'rtp', id, description: 'slice', media: avMedia });
      expect(created).toMatchObject({ streaming: 'created', created: `mp-${id}`, stream: { id, type: 'live' } });
      const ports = created.stream.ports as Array<{ mid: string; port: number }>;
      const audioPort = ports.find((p) => p.mid === 'a')!.port;
      const videoPort = ports.find((p) => p.mid === 'v')!.port;
      expect(audioPort).toBeGreaterThan(0);
      const ffmpeg = ffmpegSend('127.0.0.1', audioPort, videoPort, 20);
      try {
        const { h, client } = await watch(stack, id);
        await waitFor(() => client.received.video > 100 && client.received.audio > 50, 15_000, 'media at the viewer');
        const info = await admin.sync({ request: 'info', id });
        expect(info.info.media[1]).toMatchObject({ mid: 'v', codec: 'vp8', rtpmap: 'VP8/90000' });
        expect(info.info.media[1].age_ms).toBeLessThan(1000);
        const paused = await h.ask({ request: 'pause' });
        expect(paused.plugindata.data).toMatchObject({ result: { status: 'pausing' } });
        const stopped = await h.ask({ request: 'stop' });
        expect(stopped.plugindata.data).toMatchObject({ result: { status: 'stopping' } });
        await h.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === h.handleId, 10_000, 'hangup');
        await client.close();
        await h.close();
      } finally {
        ffmpeg.kill('SIGKILL');
      }
      expect(await admin.sync({ request: 'destroy', id })).toMatchObject({ streaming: 'destroyed', destroyed: id });
      expect((await admin.sync({ request: 'info', id })).error_code).toBe(455);
      await admin.close();
    },
  );

  it(
    'switch re-points a viewer to another mountpoint without renegotiation; wrong requests answer Janus codes',
    { timeout: 60_000 },
    async () => {
      const admin = await StreamingHandle.connect(stack);
      const a = 5_000_000 + Math.floor(Math.random() * 1e6);
      const b = a + 1;
      const portsOf = async (id: number) => {
        const c = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
        return (c.stream.ports as Array<{ port: number }>).map((p) => p.port);
      };
      const [, videoA] = await portsOf(a);
      const [, videoB] = await portsOf(b);
      const idle = await StreamingHandle.connect(stack);
      const code = async (body: Record<string, unknown>) => (await idle.ask(body)).plugindata.data.error_code;
      expect(await code({ request: 'start' })).toBe(455);
      expect(await code({ request: 'pause' })).toBe(455);
      expect(await code({ request: 'switch', id: b })).toBe(455);
      expect(await code({ request: 'watch', id: 99 })).toBe(455);
      expect(await code({ request: 'watch' })).toBe(453);
      expect(await code({ request: 'watch', id: 'x' })).toBe(454);
      expect((await idle.sync({ request: 'nope' })).error_code).toBe(452);
      expect((await idle.sync({})).error_code).toBe(453);

      // a viewer of the video alone gets one m-line
      const videoOnly = await StreamingHandle.connect(stack);
      const offer = await videoOnly.ask({ request: 'watch', id: a, offer_audio: false });
      expect((offer.jsep.sdp as string).match(/^m=/gm)).toEqual(['m=']);
      expect(offer.jsep.sdp).toMatch(/^m=video/m);
      // the m-line carries the mountpoint's mid, as Janus offers it (demos label tracks by it)
      expect(offer.jsep.sdp).toMatch(/^a=mid:v\r?$/m);
      await videoOnly.close();
      const { h, client } = await watch(stack, a);
      expect((await h.ask({ request: 'watch', id: b })).plugindata.data.error_code).toBe(460);
      const sender = new RtpSender();
      sender.send('video', videoA!, true);
      for (let i = 0; i < 20; i++) sender.send('video', videoA!);
      await waitFor(() => client.received.video >= 21, 5000, 'video of a');
      const switched = await h.ask({ request: 'switch', id: b });
      expect(switched.plugindata.data).toEqual({ streaming: 'event', result: { switched: 'ok', id: b } });
      expect(switched.jsep).toBeUndefined();
      const before = client.received.video;
      for (let i = 0; i < 20; i++) sender.send('video', videoA!);
      sender.send('video', videoB!, true);
      for (let i = 0; i < 20; i++) sender.send('video', videoB!);
      await waitFor(() => client.received.video >= before + 21, 5000, 'video of b');
      await new Promise((r) => setTimeout(r, 300));
      expect(client.received.video).toBe(before + 21);
      const info = await admin.sync({ request: 'info', id: b });
      expect(info.info.viewers).toBe(1);
      expect((await admin.sync({ request: 'info', id: a })).info.viewers).toBe(0);
      sender.close();
      // a destroyed mountpoint stops its viewers
      await admin.sync({ request: 'destroy', id: b });
      await h.waitData((d) => d.result?.status === 'stopped', 'stopped by destroy');
      await h.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === h.handleId, 10_000, 'hangup');
      await client.close();
      await h.close();
      await idle.close();
      await admin.sync({ request: 'destroy', id: a });
      await admin.close();
    },
  );
});
