import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

describe('VideoRoom media through the relay (werift publishers and subscribers)', () => {
  let stack: Stack;
  let admin: Participant;
  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('fans one publisher out to three subscribers (≥ 99 % of video packets), then autoupdates them when it leaves', async () => {
    const room = 5_000_000 + Math.floor(Math.random() * 1e6);
    await admin.ask({ request: 'create', room, publishers: 4 });
    const pub = await publish(stack, room, 1);
    const subs = await Promise.all([1, 2, 3].map(() => subscribe(stack, room, [1])));
    for (const sub of subs) {
      expect(sub.streams.map((x) => x.type).sort()).toEqual(['audio', 'video']);
      expect(sub.streams.every((x) => x.feed_id === 1)).toBe(true);
    }
    // Let the legs settle, then count what one second and a half of 150 packets/s delivers.
    pub.client.startSending(pub.audio, 20);
    await waitFor(() => subs.every((x) => x.client.received.video + x.client.received.audio > 0) || undefined, 1).catch(
      () => undefined,
    );
    pub.client.startSending(pub.video, 1000 / 150);
    await waitFor(() => subs.every((x) => x.client.received.video > 30), 10_000, 'video at every subscriber');
    const before = subs.map((x) => x.client.received.video);
    const sentBefore = pub.client.sentTags.video.size;
    await new Promise((r) => setTimeout(r, 3000));
    pub.client.stopSending(pub.video);
    await new Promise((r) => setTimeout(r, 500));
    const sent = pub.client.sentTags.video.size - sentBefore;
    for (const [i, sub] of subs.entries()) {
      const got = sub.client.received.video - before[i]!;
      expect(got / sent).toBeGreaterThanOrEqual(0.99);
    }
    // The publisher leaves: the others hear it, subscribers get an updated offer without its streams.
    const left = await pub.p.ask({ request: 'leave' });
    expect(left.plugindata.data).toMatchObject({ leaving: 'ok' });
    for (const sub of subs) {
      const updated = await sub.s.waitData((d) => d.videoroom === 'updated', 'autoupdate offer');
      expect(updated.jsep?.type).toBe('offer');
      expect(updated.plugindata.data.streams.every((x: any) => x.active === false)).toBe(true);
    }
    await pub.client.close();
    for (const sub of subs) await sub.client.close();
  }, 120_000);
});
