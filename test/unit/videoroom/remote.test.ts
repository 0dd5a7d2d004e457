import { describe, expect, it } from 'vitest';
import { handle, Harness, relayA, relayB, roomWithPublisher, subscribe } from './harness.js';

const remoteStreams = [
  { mid: 'a', mindex: 0, type: 'audio', codec: 'opus' },
  { mid: 'v', mindex: 1, type: 'video', codec: 'vp8', description: 'cam' },
];

describe('VideoRoom remote publishers', () => {
  it('add_remote_publisher: a relay opens the ports, the room announces it and watches the relay link', async () => {
    const h = new Harness();
    const { pub } = await roomWithPublisher(h, relayA);
    h.pick = relayB;
    const added = await h.vr.remotes.add({ room: 1234, id: 77, display: 'far', streams: remoteStreams });
    expect(added).toMatchObject({ videoroom: 'success', room: 1234, id: 77, ip: '192.0.2.1' });
    expect(h.relays.of('sfu.remoteAdd').map((c) => [c.relay, c.cmd.room, c.cmd.streams.map((s) => s.mid)])).toEqual([
      [relayB, 1234, ['a', 'v']],
    ]);
    expect(h.toldTo(pub)).toContainEqual({
      kind: 'event',
      data: expect.objectContaining({ publishers: [expect.objectContaining({ id: 77, display: 'far' })] }),
    });
    expect(h.watched).toEqual(new Set([relayB.linkId]));
    expect(h.vr.requests.listParticipants({ room: 1234 })).toMatchObject({
      participants: [{ id: expect.anything() }, { id: 77, display: 'far', remote: true, publisher: true }],
    });
    await expect(h.vr.remotes.add({ room: 1234, id: 77, streams: remoteStreams })).rejects.toMatchObject({ code: 436 });
  });

  it('validates remote streams as Janus does, before any relay is asked', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1 });
    await expect(h.vr.remotes.add({ room: 1, streams: [] })).rejects.toMatchObject({
      code: 430,
      message: "Invalid element value (streams can't be empty)",
    });
    await expect(h.vr.remotes.add({ room: 1, streams: [{ mid: 'x', mindex: 0, type: 'text' }] })).rejects.toMatchObject(
      { code: 430, message: 'Invalid element value (type)' },
    );
    await expect(
      h.vr.remotes.add({ room: 1, streams: [{ mid: 'x', mindex: 0, type: 'video' }] }),
    ).rejects.toMatchObject({ code: 429 });
    expect(h.relays.sent).toEqual([]);
  });

  it('a failed relay releases the reserved id', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1 });
    h.relays.failing.set('sfu.remoteAdd', 499);
    await expect(h.vr.remotes.add({ room: 1, id: 5, streams: remoteStreams })).rejects.toMatchObject({ code: 499 });
    expect(h.vr.room.current().publishers).toEqual([]);
    h.pick = undefined;
    h.relays.failing.clear();
    await expect(h.vr.remotes.add({ room: 1, id: 5, streams: remoteStreams })).rejects.toMatchObject({
      message: 'No media relay available',
    });
  });

  it('update_remote_publisher renegotiates it on its relay and keeps descriptions', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1 });
    await h.vr.remotes.add({ room: 1, id: 9, streams: remoteStreams });
    await expect(
      h.vr.remotes.update({ room: 1, id: 9, display: 'new', streams: [{ mid: 'd', mindex: 2, type: 'data' }] }),
    ).resolves.toEqual({ videoroom: 'success' });
    expect(h.relays.of('sfu.remoteUpdate').map((c) => c.cmd.streams.map((s) => s.mid))).toEqual([['d']]);
    const p = h.vr.room.current().publishers[0];
    expect(p?.display).toBe('new');
    await expect(h.vr.remotes.update({ room: 1, id: 10, streams: [] })).rejects.toMatchObject({ code: 428 });
  });

  it('formats: as declared, else the room profile; the relay offers subscribers that profile; updates keep them', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, videocodec: 'vp8,h264,vp9', h264_profile: '42e01f' });
    await h.vr.remotes.add({
      room: 1,
      id: 9,
      streams: [
        { mid: 'a', mindex: 0, type: 'audio', codec: 'opus', stereo: true, fec: false },
        { mid: 'h', mindex: 1, type: 'video', codec: 'h264' },
        { mid: 'v', mindex: 2, type: 'video', codec: 'vp9', vp9_profile: '2' },
      ],
    });
    expect(h.relays.of('sfu.remoteAdd')[0]!.cmd.streams.map((s) => [s.mid, s.fmtp])).toEqual([
      ['a', undefined],
      ['h', 'profile-level-id=42e01f;packetization-mode=1'],
      ['v', 'profile-id=2'],
    ]);
    const formats = () =>
      (h.vr.room.current().publishers[0]?.streams ?? []).map((s) => [
        s.mid,
        s.stereo,
        s.fec,
        s.h264_profile,
        s.vp9_profile,
      ]);
    expect(formats()).toEqual([
      ['a', true, undefined, undefined, undefined],
      ['h', undefined, undefined, '42e01f', undefined],
      ['v', undefined, undefined, undefined, '2'],
    ]);
    await h.vr.remotes.update({
      room: 1,
      id: 9,
      streams: [{ mid: 'x', mindex: 3, type: 'video', codec: 'h264', h264_profile: '640c1f' }],
    });
    expect(h.relays.of('sfu.remoteUpdate')[0]!.cmd.streams.map((s) => s.fmtp)).toEqual([
      'profile-level-id=640c1f;packetization-mode=1',
    ]);
    expect(formats().at(-1)).toEqual(['x', undefined, undefined, '640c1f', undefined]);
  });

  it('remove_remote_publisher: `leaving` for the others, its subscribers renegotiate, its relay frees the ports', async () => {
    const h = new Harness();
    await h.vr.requests.create(1234, { room: 1234 });
    const local = handle();
    await h.vr.publishers.join(local, { room: 1234, ptype: 'publisher' });
    await h.vr.remotes.add({ room: 1234, id: 9, display: 'far', streams: remoteStreams });
    const { sub } = await subscribe(h, 9, relayA);
    await expect(h.vr.remotes.remove({ room: 1234, id: 9 })).resolves.toEqual({ videoroom: 'success' });
    expect(h.toldTo(local)).toContainEqual({
      kind: 'event',
      data: { videoroom: 'event', room: 1234, leaving: 9, display: 'far' },
    });
    expect(h.toldTo(sub)).toEqual([{ kind: 'feedsGone', feedIds: [9] }]);
    expect(h.relays.of('sfu.remoteRemove').map((c) => c.relay)).toEqual([relayA]);
    expect(h.watched).toEqual(new Set());
  });

  it('its relay lost: the remote publisher leaves the room', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1 });
    const local = handle();
    await h.vr.publishers.join(local, { room: 1, ptype: 'publisher' });
    await h.vr.remotes.add({ room: 1, id: 9, streams: remoteStreams });
    await h.vr.relayEvents.relayLost(relayA.linkId);
    expect(h.vr.room.current().publishers.map((p) => p.id)).not.toContain(9);
    expect(h.toldTo(local)).toContainEqual({ kind: 'event', data: { videoroom: 'event', room: 1, leaving: 9 } });
    // The relay is gone: nothing is asked of it.
    expect(h.relays.of('sfu.remoteRemove')).toEqual([]);
  });
});

describe('VideoRoom publish_remotely', () => {
  it('forwards a local publisher’s streams to a remote Janus, lists and stops them', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    const out = await h.vr.remotizations.publish({
      room: 1234,
      publisher_id: id,
      remote_id: 'r1',
      host: '198.51.100.7',
      port: 5000,
      rtcp_port: 5001,
    });
    expect(out).toEqual({ videoroom: 'success', room: 1234, id, remote_id: 'r1' });
    const fw = h.relays.of('sfu.forward');
    expect(fw.map((c) => c.cmd.streams.map((s) => [s.mid, s.host, s.port, s.ssrc, s.rtcp_port]))).toEqual([
      [
        ['0', '198.51.100.7', 5000, 1000, undefined],
        ['1', '198.51.100.7', 5000, 1010, 5001],
      ],
    ]);
    expect(h.vr.remotizations.list({ room: 1234, publisher_id: id })).toEqual({
      videoroom: 'success',
      room: 1234,
      id,
      list: [{ remote_id: 'r1', host: '198.51.100.7', port: 5000, rtcp_port: 5001 }],
    });
    await expect(
      h.vr.remotizations.publish({ room: 1234, publisher_id: id, remote_id: 'r1', host: 'h', port: 1 }),
    ).rejects.toMatchObject({ code: 436 });
    await expect(
      h.vr.remotizations.publish({ room: 1234, publisher_id: id, remote_id: 'r2', host: 'h', port: 0 }),
    ).rejects.toMatchObject({ code: 430 });

    await expect(h.vr.remotizations.unpublish({ room: 1234, publisher_id: id, remote_id: 'r1' })).resolves.toEqual({
      videoroom: 'success',
      room: 1234,
      id,
    });
    expect(h.relays.of('sfu.stopForward').map((c) => c.cmd.id)).toEqual([1, 2]);
    await expect(h.vr.remotizations.unpublish({ room: 1234, publisher_id: id, remote_id: 'r1' })).rejects.toMatchObject(
      { code: 428 },
    );
  });

  it('a remotized publisher adding a stream gets it forwarded too', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA);
    await h.vr.remotizations.publish({ room: 1234, publisher_id: id, remote_id: 'r1', host: 'h', port: 5000 });
    h.vr.publishers.published(
      pub,
      [...(h.vr.room.publisher(pub)?.streams ?? []), { type: 'video', mindex: 2, mid: '2', codec: 'vp8' }],
      relayA,
      {},
    );
    await h.settle();
    expect(
      h.relays
        .of('sfu.forward')
        .at(-1)
        ?.cmd.streams.map((s) => [s.mid, s.ssrc]),
    ).toEqual([['2', 1020]]);
    expect(h.vr.room.publisher(pub)?.remotizations?.[0]?.forwarderIds).toEqual([1, 2, 3]);
  });
});

describe('VideoRoom rtp_forward', () => {
  it('numbers forwarders, lists them by publisher and stops them on the relay', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h, relayA);
    const out = await h.vr.forwarders.forward({
      room: 1234,
      publisher_id: id,
      host: '203.0.113.5',
      streams: [{ mid: '1', port: 6000, rtcp_port: 6001 }],
    });
    expect(out).toEqual({
      videoroom: 'rtp_forward',
      room: 1234,
      publisher_id: id,
      forwarders: [{ stream_id: 1, type: 'video', host: '203.0.113.5', port: 6000, srtp: false }],
    });
    await h.vr.forwarders.forward({
      room: 1234,
      publisher_id: id,
      host: '203.0.113.5',
      streams: [{ mid: '0', port: 6002 }],
    });
    expect(h.vr.forwarders.list({ room: 1234 })).toEqual({
      videoroom: 'forwarders',
      room: 1234,
      publishers: [
        {
          publisher_id: id,
          display: 'alice',
          forwarders: [
            { stream_id: 1, type: 'video', host: '203.0.113.5', port: 6000, remote_rtcp_port: 6001, srtp: false },
            { stream_id: 2, type: 'video', host: '203.0.113.5', port: 6002, srtp: false },
          ],
        },
      ],
    });
    expect(h.vr.forwarders.stop({ room: 1234, publisher_id: id, stream_id: 1 })).toEqual({
      videoroom: 'stop_rtp_forward',
      room: 1234,
      publisher_id: id,
      stream_id: 1,
    });
    expect(h.relays.of('sfu.stopForward').map((c) => [c.relay, c.cmd.id])).toEqual([[relayA, 1]]);
    expect(() => h.vr.forwarders.stop({ room: 1234, publisher_id: id, stream_id: 1 })).toThrow(
      expect.objectContaining({ code: 428 }),
    );
  });

  it('refuses unknown publishers and streams; forgets forwarders when the publisher stops', async () => {
    const h = new Harness();
    const { pub, id } = await roomWithPublisher(h, relayA);
    await expect(
      h.vr.forwarders.forward({ room: 1234, publisher_id: 404, host: 'h', streams: [{ mid: '1', port: 6000 }] }),
    ).rejects.toMatchObject({ code: 428 });
    await expect(
      h.vr.forwarders.forward({ room: 1234, publisher_id: id, host: 'h', streams: [{ mid: '9', port: 6000 }] }),
    ).rejects.toMatchObject({ code: 428, message: 'No such stream (9)' });
    await h.vr.forwarders.forward({ room: 1234, publisher_id: id, host: 'h', streams: [{ mid: '1', port: 6000 }] });
    h.vr.publishers.unpublished(pub, true);
    expect(h.vr.forwarders.list({ room: 1234 })).toEqual({ videoroom: 'forwarders', room: 1234, publishers: [] });
  });
});
