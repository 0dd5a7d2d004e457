/**
 * VideoRoom `moderate` through the real stack (§5.2/§5.3): the relay stops forwarding a muted
 * publisher stream to every subscriber (its other streams keep flowing) and resumes on unmute;
 * every participant, the target included, gets `{videoroom:"event", room, id, mid, moderation}`,
 * and the publisher's entry marks the stream `moderated` while muted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VideoRoom moderation through the relay', () => {
  let stack: Stack;
  let admin: Participant;
  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('mute stops a stream at every subscriber and tells every participant; unmute resumes it', async () => {
    const room = 8_000_000 + Math.floor(Math.random() * 1e6);
    expect((await admin.sync({ request: 'create', room, secret: 'mod', publishers: 4 })).videoroom).toBe('created');
    const pub = await publish(stack, room, 1);
    const watcher = await Participant.connect(stack);
    expect((await watcher.ask({ request: 'join', ptype: 'publisher', room, id: 2 })).plugindata.data.videoroom).toBe(
      'joined',
    );
    const subs = await Promise.all([subscribe(stack, room, [1]), subscribe(stack, room, [1])]);
    const videoMid = subs[0]!.streams.find((x) => x.type === 'video')!.feed_mid as string;
    pub.client.startSending(pub.audio, 20);
    pub.client.startSending(pub.video, 10);
    try {
      await waitFor(
        () => subs.every((s) => s.client.received.video > 20 && s.client.received.audio > 10),
        10_000,
        'media at the subscribers',
      );

      expect(
        (await admin.sync({ request: 'moderate', room, secret: 'wrong', id: 1, mid: videoMid, mute: true })).error_code,
      ).toBe(433);
      expect(
        (await admin.sync({ request: 'moderate', room, secret: 'mod', id: 1, mid: 'nope', mute: true })).error_code,
      ).toBe(428);
      expect(await admin.sync({ request: 'moderate', room, secret: 'mod', id: 1, mid: videoMid, mute: true })).toEqual({
        videoroom: 'success',
      });
      const muted = { videoroom: 'event', room, id: 1, mid: videoMid, moderation: 'muted' };
      for (const who of [pub.p, watcher])
        expect((await who.waitData((d) => d.moderation !== undefined, 'moderation event')).plugindata.data).toEqual(
          muted,
        );

      await sleep(150); // packets already on the wire
      const video = subs.map((s) => s.client.received.video);
      const audio = subs.map((s) => s.client.received.audio);
      await sleep(700);
      subs.forEach((s, i) => {
        expect(s.client.received.video, `subscriber ${i} video while muted`).toBe(video[i]);
        expect(s.client.received.audio, `subscriber ${i} audio keeps flowing`).toBeGreaterThan(audio[i]! + 15);
      });
      // a participant joining now sees the stream as moderated
      const late = await Participant.connect(stack);
      const joined = (await late.ask({ request: 'join', ptype: 'publisher', room, id: 3 })).plugindata.data;
      const entry = joined.publishers.find((p: any) => p.id === 1);
      expect(entry.streams.find((s: any) => s.mid === videoMid)).toMatchObject({ type: 'video', moderated: true });
      expect(entry.streams.find((s: any) => s.type === 'audio').moderated).toBeUndefined();

      expect(await admin.sync({ request: 'moderate', room, secret: 'mod', id: 1, mid: videoMid, mute: false })).toEqual(
        { videoroom: 'success' },
      );
      for (const who of [pub.p, watcher, late])
        expect((await who.waitData((d) => d.moderation !== undefined, 'unmoderation event')).plugindata.data).toEqual({
          ...muted,
          moderation: 'unmuted',
        });
      await waitFor(
        () => subs.every((s, i) => s.client.received.video > video[i]! + 30),
        10_000,
        'video again after unmute',
      );
      await late.close();
    } finally {
      pub.client.stopSending(pub.audio);
      pub.client.stopSending(pub.video);
      await pub.client.close();
      for (const s of subs) await s.client.close();
    }
  }, 120_000);
});
