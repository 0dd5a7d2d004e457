/**
 * A subscriber whose only publisher leaves keeps its PeerConnection, as with Janus 1.1.2: the
 * `updated` offer keeps every m-line on the bundle (port 9, `a=inactive`, `a=setup:actpass`), the
 * client answers it, and a later `subscribe` reuses the m-lines on the same transport. Run on one
 * relay, and across two regions (the publishers reach the subscriber's relay through a cascade).
 * test/browser/subscriber-last-feed.test.ts runs the same flow with Chromium as the subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { reofferProblems } from './support/offerChecks.js';
import { Participant, publish, subscribe } from './support/participant.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lastFeedLeaves(stack: Stack, regions: { pub?: string; sub?: string }): Promise<void> {
  const admin = await Participant.connect(stack);
  const room = 9_000_000 + Math.floor(Math.random() * 1e6);
  await admin.sync({ request: 'create', room, publishers: 4 });
  const a = await publish(stack, room, 1, await Participant.connect(stack, regions.pub));
  a.client.startSending(a.video, 20);
  const sub = await subscribe(stack, room, [1], await Participant.connect(stack, regions.sub));
  await waitFor(() => sub.client.received.video > 10, 10_000, 'video from the first publisher');

  // The only publisher leaves: the subscriber is offered every m-line inactive, on the bundle.
  expect((await a.p.ask({ request: 'leave' })).plugindata.data).toMatchObject({ leaving: 'ok' });
  await a.client.close();
  const updated = await sub.s.waitData((d) => d.videoroom === 'updated', 'the offer without the feed');
  expect(updated.plugindata.data.streams.every((x: any) => x.active === false)).toBe(true);
  expect(reofferProblems(updated.jsep.sdp)).toEqual([]);
  const answer = await sub.client.acceptOffer(updated.jsep.sdp);
  expect((await sub.s.ask({ request: 'start' }, { type: 'answer', sdp: answer })).plugindata.data).toMatchObject({
    started: 'ok',
  });

  // Nothing hangs the subscriber up: its transport stays connected with no media on it.
  await sleep(4000);
  expect(sub.s.janus.events.filter((m) => m.janus === 'hangup' || m.janus === 'detached')).toEqual([]);
  expect(sub.client.pc.connectionState).toBe('connected');

  // A new publisher: `subscribe` on the same handle renegotiates the same PeerConnection.
  const b = await publish(stack, room, 2, await Participant.connect(stack, regions.pub));
  b.client.startSending(b.video, 20);
  const more = await sub.s.ask({ request: 'subscribe', streams: [{ feed: 2 }] });
  expect(more.plugindata.data.videoroom, JSON.stringify(more)).toBe('updated');
  const active = more.plugindata.data.streams.filter((x: any) => x.active);
  expect(active.map((x: any) => [x.type, x.feed_id]).sort()).toEqual([
    ['audio', 2],
    ['video', 2],
  ]);
  // The freed m-lines are reused, as Janus does: no new m-line for the new feed.
  expect(more.plugindata.data.streams).toHaveLength(2);
  expect(reofferProblems(more.jsep.sdp)).toEqual([]);
  const answer2 = await sub.client.acceptOffer(more.jsep.sdp);
  expect((await sub.s.ask({ request: 'start' }, { type: 'answer', sdp: answer2 })).plugindata.data).toMatchObject({
    started: 'ok',
  });
  const before = sub.client.received.video;
  await waitFor(() => sub.client.received.video > before + 20, 10_000, 'video from the new publisher');
  expect(sub.s.janus.events.filter((m) => m.janus === 'hangup')).toEqual([]);

  await b.client.close();
  await sub.client.close();
  for (const p of [admin, a.p, b.p, sub.s]) await p.close();
}

describe('VideoRoom subscriber losing its last feed (werift clients)', () => {
  describe('one relay', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.stop();
    });
    it(
      'answers the all-inactive offer, stays up, then receives a new publisher on the same PeerConnection',
      () => lastFeedLeaves(stack, {}),
      90_000,
    );
  });

  describe('two regions', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ RELAY_REGIONS: 'eu,us' });
    });
    afterAll(async () => {
      await stack?.stop();
    });
    it(
      'the same with the publishers in eu and the subscriber in us',
      () => lastFeedLeaves(stack, { pub: 'eu', sub: 'us' }),
      90_000,
    );
  });
});
