import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish } from './support/participant.js';

/** §5.4: a subscription change while an offer is unanswered answers `updating`; the offer follows the answer. */
describe('VideoRoom `updating` while an offer is unanswered', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps changes until the client answers, then sends one updated offer with them', async () => {
    const admin = await Participant.connect(stack);
    const room = 8_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room, publishers: 4 });
    const a = await publish(stack, room, 1);
    const b = await publish(stack, room, 2);
    const s = await Participant.connect(stack);
    const attached = await s.ask({ request: 'join', ptype: 'subscriber', room, streams: [{ feed: 1 }] });
    expect(attached.jsep.type).toBe('offer');
    // The first offer is not answered yet: the change waits.
    const updating = await s.ask({ request: 'subscribe', streams: [{ feed: 2 }] });
    expect(updating.plugindata.data).toEqual({ videoroom: 'updating', room });
    const client = new EchoClient();
    const answer = await client.acceptOffer(attached.jsep.sdp);
    const started = await s.ask({ request: 'start' }, { type: 'answer', sdp: answer });
    expect(started.plugindata.data).toMatchObject({ started: 'ok' });
    const updated = await s.waitData((d) => d.videoroom === 'updated', 'the deferred offer');
    expect(updated.jsep.type).toBe('offer');
    expect(
      updated.plugindata.data.streams
        .filter((x: any) => x.active)
        .map((x: any) => x.feed_id)
        .sort(),
    ).toEqual([1, 1, 2, 2]);
    const answer2 = await client.acceptOffer(updated.jsep.sdp);
    expect((await s.ask({ request: 'start' }, { type: 'answer', sdp: answer2 })).plugindata.data).toMatchObject({
      started: 'ok',
    });
    for (const p of [a, b]) await p.client.close();
    await client.close();
    for (const p of [admin, s, a.p, b.p]) await p.close();
  }, 90_000);
});
