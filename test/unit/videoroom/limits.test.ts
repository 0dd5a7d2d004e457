import { describe, expect, it } from 'vitest';
import { Harness, roomWithPublisher } from './harness.js';

const streams = [{ mid: 'a', mindex: 0, type: 'audio', codec: 'opus' }];

/** A room's state as the participants and relays see it. */
function snapshot(h: Harness) {
  return { room: structuredClone(h.vr.room.current()), sent: h.relays.sent.length };
}

describe('VideoRoom admin key (lock_rtp_forward)', () => {
  it('create needs the admin key when the plugin has one: 429 without, 433 wrong, and no room', async () => {
    const h = new Harness();
    h.limits = { adminKey: 'k3y', lockRtpForward: true, maxRemotePublishers: 0 };
    await expect(h.vr.requests.create(1, { room: 1 })).rejects.toMatchObject({ code: 429 });
    await expect(h.vr.requests.create(1, { room: 1, admin_key: 'nope' })).rejects.toMatchObject({ code: 433 });
    expect(h.vr.room.state).toBeUndefined();
    await expect(h.vr.requests.create(1, { room: 1, admin_key: 'k3y' })).resolves.toMatchObject({
      videoroom: 'created',
    });
  });

  it('remote publishers, RTP forwarders and remotizations need the admin key, even in a room without a secret', async () => {
    const h = new Harness();
    const { id } = await roomWithPublisher(h);
    h.limits = { adminKey: 'k3y', lockRtpForward: true, maxRemotePublishers: 0 };
    const before = snapshot(h);
    const requests: [string, () => Promise<unknown>][] = [
      ['add_remote_publisher', () => h.vr.remotes.add({ room: 1234, id: 9, streams })],
      ['update_remote_publisher', () => h.vr.remotes.update({ room: 1234, id: 9, streams })],
      ['remove_remote_publisher', () => h.vr.remotes.remove({ room: 1234, id: 9 })],
      [
        'rtp_forward',
        () =>
          h.vr.forwarders.forward({
            room: 1234,
            publisher_id: id,
            host: '127.0.0.1',
            streams: [{ mid: '0', port: 5000 }],
          }),
      ],
      ['stop_rtp_forward', async () => h.vr.forwarders.stop({ room: 1234, publisher_id: id, stream_id: 1 })],
      [
        'publish_remotely',
        () =>
          h.vr.remotizations.publish({ room: 1234, publisher_id: id, remote_id: 'r', host: '127.0.0.1', port: 5000 }),
      ],
      ['unpublish_remotely', () => h.vr.remotizations.unpublish({ room: 1234, publisher_id: id, remote_id: 'r' })],
    ];
    for (const [name, run] of requests) {
      await expect(run(), name).rejects.toMatchObject({ code: 429, message: 'Missing mandatory element (admin_key)' });
    }
    expect(snapshot(h)).toEqual(before);
    await expect(h.vr.remotes.add({ room: 1234, id: 9, streams, admin_key: 'wrong' })).rejects.toMatchObject({
      code: 433,
      message: 'Unauthorized (wrong admin_key)',
    });
    expect(snapshot(h)).toEqual(before);
    await expect(h.vr.remotes.add({ room: 1234, id: 9, streams, admin_key: 'k3y' })).resolves.toMatchObject({ id: 9 });
  });

  it('the room secret is needed beside the admin key; without an admin key the secret alone', async () => {
    const h = new Harness();
    await h.vr.requests.create(1, { room: 1, secret: 's' });
    await expect(h.vr.remotes.add({ room: 1, streams })).rejects.toMatchObject({ code: 429 });
    await expect(h.vr.remotes.add({ room: 1, streams, secret: 'x' })).rejects.toMatchObject({ code: 433 });
    h.limits = { adminKey: 'k3y', lockRtpForward: true, maxRemotePublishers: 0 };
    await expect(h.vr.remotes.add({ room: 1, streams, secret: 's' })).rejects.toMatchObject({ code: 429 });
    await expect(h.vr.remotes.add({ room: 1, streams, admin_key: 'k3y' })).rejects.toMatchObject({ code: 429 });
    expect(h.vr.room.current().publishers).toEqual([]);
    await expect(h.vr.remotes.add({ room: 1, streams, secret: 's', admin_key: 'k3y' })).resolves.toMatchObject({
      videoroom: 'success',
    });
  });
});

describe('VideoRoom remote publishers per room', () => {
  it('a room holds at most VIDEOROOM_MAX_REMOTE_PUBLISHERS: 432, no relay asked, room unchanged', async () => {
    const h = new Harness();
    h.limits = { lockRtpForward: false, maxRemotePublishers: 2 };
    await h.vr.requests.create(1, { room: 1 });
    await h.vr.remotes.add({ room: 1, id: 1, streams });
    await h.vr.remotes.add({ room: 1, id: 2, streams });
    const before = snapshot(h);
    await expect(h.vr.remotes.add({ room: 1, id: 3, streams })).rejects.toMatchObject({
      code: 432,
      message: 'Maximum number of remote publishers (2) already reached',
    });
    expect(snapshot(h)).toEqual(before);
    await h.vr.remotes.remove({ room: 1, id: 1 });
    await expect(h.vr.remotes.add({ room: 1, id: 3, streams })).resolves.toMatchObject({ id: 3 });
  });
});
