import { describe, expect, it } from 'vitest';
import { audioVideo, handle, Harness, relayA, roomWithPublisher, subscribe } from './harness.js';

describe('VideoRoom participants', () => {
  it('creates a room with the clock of its host and registers it', async () => {
    const h = new Harness();
    h.time = 42;
    expect(await h.vr.requests.create(7, { room: 7, description: 'seven' })).toEqual({
      videoroom: 'created',
      room: 7,
      permanent: false,
    });
    expect(h.saved?.createdAt).toBe(42);
    expect(h.rooms.has(7)).toBe(true);
    await expect(h.vr.requests.create(7, { room: 7 })).rejects.toMatchObject({ code: 427 });
  });

  it('answers 426 naming the room when it does not exist', async () => {
    const h = new Harness();
    h.vr.room.remember(99);
    await expect(h.vr.publishers.join(handle(), { room: 99, ptype: 'publisher' })).rejects.toMatchObject({
      code: 426,
      message: 'No such room (99)',
    });
  });

  it('joins a publisher once per handle and tells the others with notify_joining', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, notify_joining: true });
    const a = handle();
    const b = handle();
    const joined = await h.vr.publishers.join(a, { room: 1, ptype: 'publisher', id: 11, display: 'a' });
    expect(joined).toMatchObject({ videoroom: 'joined', room: 1, id: 11, publishers: [], attendees: [] });
    await expect(h.vr.publishers.join(a, { room: 1, ptype: 'publisher' })).rejects.toMatchObject({ code: 425 });
    await expect(h.vr.publishers.join(b, { room: 1, ptype: 'publisher', id: 11 })).rejects.toMatchObject({ code: 436 });
    await h.vr.publishers.join(b, { room: 1, ptype: 'publisher', id: 12, display: 'b' });
    expect(h.toldTo(a)).toEqual([
      { kind: 'event', data: { videoroom: 'event', room: 1, joining: { id: 12, publisher: false, display: 'b' } } },
    ]);
  });

  it('a participant whose shard no longer has its handle leaves when the room next tells it something', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, notify_joining: true });
    const ghost = handle();
    await h.vr.publishers.join(ghost, { room: 1, ptype: 'publisher', id: 11, display: 'ghost' });
    const a = handle();
    await h.vr.publishers.join(a, { room: 1, ptype: 'publisher', id: 12, display: 'a' });
    // The ghost's session ended and its leave was lost: its shard answers that the handle is gone.
    h.missing.add(`${ghost.sessionId}:${ghost.handleId}`);
    await h.vr.publishers.join(handle(), { room: 1, ptype: 'publisher', id: 13, display: 'b' });
    await new Promise((r) => setTimeout(r, 0));
    expect(h.vr.room.publisher(ghost)).toBeUndefined();
    expect(h.saved?.publishers.map((p) => p.id)).toEqual([12, 13]);
    // The others hear it leave, as from any leave.
    expect(h.toldTo(a)).toContainEqual({
      kind: 'event',
      data: { videoroom: 'event', room: 1, leaving: 11, display: 'ghost' },
    });
  });

  it('checks the pin and the allowed list', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, pin: 'p', allowed: ['t'] });
    await expect(h.vr.publishers.join(handle(), { room: 1, ptype: 'publisher' })).rejects.toMatchObject({
      code: 429,
      message: 'Missing mandatory element (pin)',
    });
    await expect(h.vr.publishers.join(handle(), { room: 1, ptype: 'publisher', pin: 'x' })).rejects.toMatchObject({
      code: 433,
    });
    await expect(
      h.vr.publishers.join(handle(), { room: 1, ptype: 'publisher', pin: 'p', token: 'u' }),
    ).rejects.toMatchObject({ code: 433 });
    await expect(
      h.vr.publishers.join(handle(), { room: 1, ptype: 'publisher', pin: 'p', token: 't' }),
    ).resolves.toMatchObject({ videoroom: 'joined' });
  });

  it('publishes: announces the streams to the others, and refuses beyond the room limit', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, publishers: 1 });
    const a = handle();
    const b = handle();
    await h.vr.publishers.join(a, { room: 1, ptype: 'publisher', id: 1 });
    await h.vr.publishers.join(b, { room: 1, ptype: 'publisher', id: 2 });
    expect(h.vr.publishers.preparePublish(a)).toEqual({
      bitrate: 0,
      bitrateCap: false,
      firFreq: 0,
      room: 1,
      audiocodec: 'opus',
      videocodec: 'vp8',
      audioLevel: { ext: true, event: false, packets: undefined, average: undefined },
      opus: { fec: true, dtx: false },
      videoProfiles: {},
    });
    h.vr.publishers.published(a, audioVideo, relayA, { descriptions: [{ mid: '1', description: 'camera' }] });
    const told = h.toldTo(b);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      kind: 'event',
      data: {
        videoroom: 'event',
        room: 1,
        publishers: [
          {
            id: 1,
            audio_codec: 'opus',
            video_codec: 'vp8',
            streams: [{ mid: '0' }, { mid: '1', description: 'camera' }],
          },
        ],
      },
    });
    expect(() => h.vr.publishers.preparePublish(a)).toThrow(expect.objectContaining({ code: 434 }));
    expect(() => h.vr.publishers.preparePublish(b)).toThrow(expect.objectContaining({ code: 432 }));
  });

  it('lists talking in publisher entries only in rooms with audiolevel_event, as Janus does', async () => {
    for (const audiolevel_event of [false, true]) {
      const h = new Harness();
      await h.vr.requests.create(1, { room: 1, audiolevel_event });
      const a = handle();
      const b = handle();
      await h.vr.publishers.join(a, { room: 1, ptype: 'publisher', id: 1 });
      h.vr.publishers.published(a, audioVideo, relayA, {});
      const joined = await h.vr.publishers.join(b, { room: 1, ptype: 'publisher', id: 2 });
      const entry = (joined.publishers as Array<Record<string, unknown>>)[0]!;
      expect(entry.id).toBe(1);
      expect('talking' in entry, `audiolevel_event ${audiolevel_event}`).toBe(audiolevel_event);
      h.vr.publishers.published(b, audioVideo, relayA, {});
      const told = h
        .toldTo(a)
        .map((t) =>
          t.kind === 'event' ? (t.data.publishers as Array<Record<string, unknown>> | undefined)?.[0] : undefined,
        );
      expect(told.some((e) => e?.id === 2 && 'talking' in e === audiolevel_event)).toBe(true);
    }
  });

  it('subscribes to a feed: streams resolved to the publisher’s feed key, m-lines listed', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h);
    const { sub, prep, done } = await subscribe(h, id, relayA);
    expect(prep.streams.map((s) => [s.feedKey, s.feedMid, s.type])).toEqual([
      [`${pub.sessionId}:${pub.handleId}`, '0', 'audio'],
      [`${pub.sessionId}:${pub.handleId}`, '1', 'video'],
    ]);
    expect(done.streams).toEqual([
      {
        mindex: 0,
        mid: '0',
        type: 'audio',
        active: true,
        send: true,
        ready: false,
        feed_id: id,
        feed_mid: '0',
        feed_display: 'alice',
        codec: 'opus',
      },
      {
        mindex: 1,
        mid: '1',
        type: 'video',
        active: true,
        send: true,
        ready: false,
        feed_id: id,
        feed_mid: '1',
        feed_display: 'alice',
        codec: 'vp8',
      },
    ]);
    // As Janus: `ready` once the client's answer takes an m-line (here only the audio one).
    h.vr.subscribers.answered(sub, ['0']);
    expect(h.vr.subscribers.streams(sub).streams.map((s) => [s.mid, s.ready])).toEqual([
      ['0', true],
      ['1', false],
    ]);
    // A renegotiation keeps it for an m-line that keeps its source.
    h.vr.subscribers.subscriptionChanged(sub, [
      { mindex: 0, mid: '0', type: 'audio', feedId: id, feedMid: '0', active: true, send: true },
      { mindex: 1, mid: '1', type: 'video', feedId: id, feedMid: '1', active: true, send: true },
    ]);
    expect(h.vr.subscribers.streams(sub).streams.map((s) => s.ready)).toEqual([true, false]);
    // A `configure` that sets `send` shows in the lists the room makes (`switched`) before any renegotiation.
    h.vr.subscribers.sendChanged(sub, [{ mid: '1', send: false }]);
    expect(h.vr.subscribers.streams(sub).streams.map((s) => s.send)).toEqual([true, false]);
    // Same relay as the publisher: nothing to cascade.
    expect(h.relays.sent).toEqual([]);
    await expect(
      h.vr.subscribers.prepare(handle(), { room: 1234, ptype: 'subscriber', streams: [{ feed: 999 }] }, relayA),
    ).rejects.toMatchObject({ code: 428 });
  });

  it('a publisher leaving: the others hear `leaving`, its subscribers renegotiate without it', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h);
    const other = handle();
    await h.vr.publishers.join(other, { room: 1234, ptype: 'publisher' });
    const { sub } = await subscribe(h, id, relayA);
    expect(h.vr.leave(pub)).toEqual({ videoroom: 'event', leaving: 'ok' });
    expect(h.toldTo(other).map((c) => c.kind === 'event' && c.data)).toEqual([
      { videoroom: 'event', room: 1234, unpublished: id },
      { videoroom: 'event', room: 1234, leaving: id, display: 'alice' },
    ]);
    expect(h.toldTo(sub)).toEqual([{ kind: 'feedsGone', feedIds: [id] }]);
    expect(h.vr.leave(sub)).toEqual({ videoroom: 'event', left: 'ok' });
    expect(() => h.vr.leave(sub)).toThrow(expect.objectContaining({ code: 424 }));
    expect(h.saved?.publishers.map((p) => p.id)).not.toContain(id);
    expect(h.saved?.subscribers).toEqual([]);
  });

  it('kick removes the participant and tells the others', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA, { secret: 's' });
    const other = handle();
    await h.vr.publishers.join(other, { room: 1234, ptype: 'publisher' });
    expect(() => h.vr.requests.kick({ room: 1234, id })).toThrow(expect.objectContaining({ code: 429 }));
    expect(h.vr.requests.kick({ room: 1234, secret: 's', id })).toEqual({ videoroom: 'success' });
    expect(h.toldTo(pub)).toContainEqual({
      kind: 'removed',
      data: { videoroom: 'event', room: 1234, leaving: 'ok', reason: 'kicked' },
    });
    expect(h.toldTo(other)).toContainEqual({ kind: 'event', data: { videoroom: 'event', room: 1234, kicked: id } });
    expect(() => h.vr.requests.kick({ room: 1234, secret: 's', id })).toThrow(expect.objectContaining({ code: 428 }));
  });

  it('moderate mutes a stream on the publisher’s relay before answering', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h);
    await expect(h.vr.requests.moderate({ room: 1234, id, mid: '1', mute: true })).resolves.toEqual({
      videoroom: 'success',
    });
    expect(h.relays.of('sfu.moderate').map((c) => [c.relay, c.cmd.mid, c.cmd.mute])).toEqual([[relayA, '1', true]]);
    expect(h.saved?.publishers[0]?.streams?.[1]?.moderated).toBe(true);
  });

  it('destroy tells everyone, frees relay resources and leaves the index', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h);
    const { sub } = await subscribe(h, id, relayA);
    await expect(h.vr.requests.destroy({ room: 1234 })).resolves.toEqual({
      videoroom: 'destroyed',
      room: 1234,
      permanent: false,
    });
    expect(h.saved).toBeUndefined();
    expect(h.rooms.has(1234)).toBe(false);
    for (const who of [pub, sub])
      expect(h.toldTo(who)).toContainEqual({ kind: 'removed', data: { videoroom: 'destroyed', room: 1234 } });
    expect(() => h.vr.leave(pub)).toThrow(expect.objectContaining({ code: 426 }));
  });

  it('a subscriber whose PeerConnection died keeps its place but no relay', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h);
    const { sub } = await subscribe(h, id, relayA);
    h.vr.handleGone(sub, true);
    expect(h.saved?.subscribers[0]?.relay).toBeUndefined();
    h.vr.handleGone(sub, false);
    expect(h.saved?.subscribers).toEqual([]);
  });

  it('relay events: talking is broadcast (talker included) with audiolevel_event, layer changes go to the subscriber', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA, { audiolevel_event: true });
    const { sub } = await subscribe(h, id, relayA);
    await h.vr.relayEvents.sfuEvent(pub, { kind: 'sfu.talking', room: 1234, mid: '0', talking: true, level: 20 });
    expect(h.toldTo(pub)).toContainEqual({
      kind: 'event',
      data: { videoroom: 'talking', room: 1234, id, mid: '0', 'audio-level-dBov-avg': 20 },
    });
    expect(h.vr.requests.listParticipants({ room: 1234 })).toMatchObject({ participants: [{ id, talking: true }] });
    await h.vr.relayEvents.sfuEvent(sub, { kind: 'sfu.layer', room: 1234, mid: '1', substream: 2, temporal: 1 });
    expect(h.toldTo(sub)).toEqual([
      { kind: 'event', data: { videoroom: 'event', room: 1234, mid: '1', substream: 2 } },
      { kind: 'event', data: { videoroom: 'event', room: 1234, mid: '1', temporal: 1 } },
    ]);
  });
});
