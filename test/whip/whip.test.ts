import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { subscribe } from '../videoroom/support/participant.js';
import { useRoomStack } from './support/roomStack.js';
import { del, whipPublish } from './support/whipHttp.js';

describe('WHIP: a werift client publishes into a VideoRoom that Janus-API subscribers watch', () => {
  const rs = useRoomStack();

  it('POST answers 201 with Location, ETag and the answer; a Janus subscriber receives its VP8 and Opus; DELETE ends it', async () => {
    const { stack } = rs;
    const room = await rs.newRoom(6_000_000, 4);
    const pub = await whipPublish(stack, room, 'whip-cam');
    const { res, location, etag, answer } = pub.resource;
    expect(res.headers.get('content-type')).toMatch(/^application\/sdp/);
    expect(new URL(location).pathname).toMatch(/^\/whip\/resource\/\d+\/\d+\/[\w-]+$/);
    expect(etag).toMatch(/^".+"$/);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Location.*ETag.*Link/);
    // The answer carries the relay's candidates: no trickle is needed.
    expect(answer).toMatch(/a=candidate:/);
    expect(answer).toMatch(/VP8/);
    expect(answer).toMatch(/opus/i);

    // An ordinary publisher to the Janus API: listed with its display, subscribable.
    const participants = await rs.participants(room);
    expect(participants).toHaveLength(1);
    expect(participants[0]).toMatchObject({ display: 'whip-cam', publisher: true });
    const feed = participants[0]!.id as number;
    pub.client.startSending(pub.audio, 20);
    pub.client.startSending(pub.video, 1000 / 60);
    const sub = await subscribe(stack, room, [feed]);
    expect(sub.streams.map((x) => x.type).sort()).toEqual(['audio', 'video']);
    await waitFor(
      () => sub.client.received.video > 30 && sub.client.received.audio > 10,
      10_000,
      'media from the WHIP publisher',
    );

    // DELETE: the publisher leaves the room (the subscriber is told), the resource is gone.
    expect((await del(location)).status).toBe(200);
    const updated = await sub.s.waitData((d) => d.videoroom === 'updated', 'the autoupdate offer without it');
    expect(updated.plugindata.data.streams.every((x: any) => x.active === false)).toBe(true);
    expect(await rs.participants(room)).toEqual([]);
    expect((await del(location)).status).toBe(404);
    await pub.client.close();
    await sub.client.close();
    await sub.s.close();
  }, 60_000);
});
