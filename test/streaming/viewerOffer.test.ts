import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { resources, until } from './support/census.js';
import { avMedia, ffmpegSend, StreamingHandle } from './support/viewer.js';

/** A viewer that brings its own offer: recvonly m-lines of the kinds given, its own mids. */
async function offeringViewer(stack: Stack, id: number, region: string, kinds: Array<'audio' | 'video'>) {
  const h = await StreamingHandle.connect(stack, region);
  const client = new EchoClient();
  for (const k of kinds) client.addMedia(k);
  for (const t of client.pc.getTransceivers()) t.setDirection('recvonly');
  const offer = await client.createOffer();
  const ev = await h.ask({ request: 'watch', id }, { type: 'offer', sdp: offer });
  return { h, client, ev };
}

/**
 * `watch` with the viewer's offer: the relay of the viewer's region answers it with the mountpoint's
 * streams on the m-lines the viewer offered (its mids kept), no `start` needed; far viewers get the
 * media through the cascade as relay-offered viewers do.
 */
describe("Streaming: a viewer's offer on watch", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('is answered with the mountpoint on the offered m-lines, at home and in another region', async () => {
    const before = { eu: await resources(stack, 'eu'), us: await resources(stack, 'us') };
    const admin = await StreamingHandle.connect(stack, 'eu');
    const id = 7_000_000 + Math.floor(Math.random() * 1e6);
    const created = await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
    const port = (mid: string) => created.stream.ports.find((p: { mid: string }) => p.mid === mid).port as number;
    const ffmpeg = ffmpegSend('127.0.0.1', port('a'), port('v'), 30);
    try {
      const viewers = [];
      for (const region of ['eu', 'us']) {
        const v = await offeringViewer(stack, id, region, ['audio', 'video']);
        expect(v.ev.plugindata?.data, JSON.stringify(v.ev)).toEqual({
          streaming: 'event',
          result: { status: 'preparing' },
        });
        expect(v.ev.jsep?.type).toBe('answer');
        const sdp = v.ev.jsep.sdp as string;
        // the viewer's own m-lines and mids, both sending
        expect(sdp.match(/^m=(\w+)/gm)).toEqual(['m=audio', 'm=video']);
        expect(sdp.match(/^a=mid:.*$/gm)?.map((l) => l.trim())).toEqual(['a=mid:0', 'a=mid:1']);
        expect(sdp.match(/^a=sendonly/gm)).toHaveLength(2);
        await v.client.acceptAnswer(sdp);
        await v.h.waitData((d) => d.result?.status === 'started', 'started', 15_000);
        viewers.push(v);
      }
      for (const v of viewers)
        await waitFor(
          () => v.client.received.video > 60 && v.client.received.audio > 30,
          15_000,
          'ffmpeg media at the offering viewer',
        );
      expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(2);
      expect((await resources(stack, 'us')).remotePublishers - before.us.remotePublishers).toBe(1);
      // pause and start work on an answered viewer as on an offered one
      const paused = await viewers[0]!.h.ask({ request: 'pause' });
      expect(paused.plugindata.data).toMatchObject({ result: { status: 'pausing' } });
      const resumed = await viewers[0]!.h.ask({ request: 'start' });
      // as Janus 1.1.2: `started`, the PeerConnection being up
      expect(resumed.plugindata.data).toMatchObject({ result: { status: 'started' } });
      for (const v of viewers) {
        await v.h.close();
        await v.client.close();
      }
      await until(
        async () => (await resources(stack, 'us')).remotePublishers === before.us.remotePublishers,
        10_000,
        'cascade removed',
      );
      expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(0);
    } finally {
      ffmpeg.kill('SIGKILL');
    }
    await admin.sync({ request: 'destroy', id });
    await admin.close();
  }, 90_000);

  it('puts only the offered kinds on m-lines; an answer or an offer of nothing usable is refused', async () => {
    const admin = await StreamingHandle.connect(stack, 'eu');
    const id = 7_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', type: 'rtp', id, media: avMedia });
    const videoOnly = await offeringViewer(stack, id, 'eu', ['video']);
    expect(videoOnly.ev.jsep?.type).toBe('answer');
    expect(videoOnly.ev.jsep.sdp.match(/^m=(\w+)/gm)).toEqual(['m=video']);
    await videoOnly.h.close();
    await videoOnly.client.close();

    // an answer on watch, with nothing offered: the core's 469, as Janus's, and nothing changed
    const h = await StreamingHandle.connect(stack, 'eu');
    const probe = new EchoClient();
    probe.addMedia('video');
    const sdp = await probe.createOffer();
    await probe.close();
    const wrong = await h.ask({ request: 'watch', id }, { type: 'answer', sdp });
    expect(wrong.error?.code, JSON.stringify(wrong)).toBe(469);
    expect((await admin.sync({ request: 'info', id })).info.viewers).toBe(0);
    await h.close();

    // an offer with no m-line the mountpoint can fill (its audio only, for a video-only mountpoint)
    const vid = id + 1;
    await admin.sync({ request: 'create', type: 'rtp', id: vid, media: [avMedia[1]] });
    const audioOnly = await offeringViewer(stack, vid, 'eu', ['audio']);
    expect(audioOnly.ev.plugindata?.data?.error_code, JSON.stringify(audioOnly.ev)).toBe(454);
    expect((await admin.sync({ request: 'info', id: vid })).info.viewers).toBe(0);
    expect(audioOnly.h.janus).toBeDefined();
    await audioOnly.h.close();
    await audioOnly.client.close();
    await until(async () => (await resources(stack, 'eu')).peers === 0 || undefined, 10_000, 'no peer left');
    await admin.sync({ request: 'destroy', id });
    await admin.sync({ request: 'destroy', id: vid });
    await admin.close();
  }, 60_000);
});
