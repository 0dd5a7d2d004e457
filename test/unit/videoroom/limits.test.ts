import { describe, expect, it } from 'vitest';
import type { RemoteCreator } from '../../../edge/core/remoteCreator.js';
import { RemoteHolders } from '../../../edge/core/remoteHolders.js';
import { noVideoRoomLimits, type VideoRoomLimits } from '../../../edge/plugins/videoroom/limits.js';
import type { RoomId } from '../../../edge/plugins/videoroom/schemas.js';
import { CoordinatorMemory } from '../core/coordinatorMemory.js';
import { Harness, roomWithPublisher } from './harness.js';

const streams = [{ mid: 'a', mindex: 0, type: 'audio', codec: 'opus' }];

/** A room's state as the participants and relays see it. */
function snapshot(h: Harness) {
  return { room: structuredClone(h.vr.room.current()), sent: h.relays.sent.length };
}

describe('VideoRoom admin key (lock_rtp_forward)', () => {
  it('create needs the admin key when the plugin has one: 429 without, 433 wrong, and no room', async () => {
    const h = new Harness();
    h.limits = { ...noVideoRoomLimits, adminKey: 'k3y', lockRtpForward: true };
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
    h.limits = { ...noVideoRoomLimits, adminKey: 'k3y', lockRtpForward: true };
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
    h.limits = { ...noVideoRoomLimits, adminKey: 'k3y', lockRtpForward: true };
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
    h.limits = { ...noVideoRoomLimits, maxRemotePublishers: 2 };
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

/**
 * Rooms of one deployment: each its own room logic over its own host, linked as the Durable Objects
 * are, through the core coordinator's RemoteHolders (over its storage) asking each room for its tally.
 */
async function deployment(ids: RoomId[], limits: Partial<VideoRoomLimits>) {
  const rooms = new Map<RoomId, Harness>();
  const storage = new CoordinatorMemory();
  const holders = new RemoteHolders(storage, async (room, creator) => rooms.get(room)!.vr.remotes.tally(creator));
  for (const id of ids) {
    const h = new Harness();
    h.limits = { ...noVideoRoomLimits, ...limits };
    h.countRemotePublishers = (room, creator, own) => holders.count(room, creator, own);
    await h.vr.requests.create(id, { room: id });
    rooms.set(id, h);
  }
  const room = (id: RoomId) => rooms.get(id)!;
  const add = (id: RoomId, creator: RemoteCreator | undefined, extra: Record<string, unknown> = {}) =>
    room(id).vr.remotes.add({ room: id, streams, ...extra }, creator);
  /** What every room holds and every relay was asked. */
  const snapshotAll = () => ids.map((id) => snapshot(room(id)));
  return { room, add, snapshotAll, storage };
}

const perSession = (n: number) => `Maximum number of remote publishers per session (${n}) already reached`;
const perAddress = (n: number) => `Maximum number of remote publishers per client address (${n}) already reached`;

describe('VideoRoom remote publishers per session and per client address', () => {
  const alice: RemoteCreator = { sessionId: 11, address: '198.51.100.1' };
  const alice2: RemoteCreator = { sessionId: 12, address: '198.51.100.1' };
  const bob: RemoteCreator = { sessionId: 21, address: '203.0.113.1' };

  it('one session reaches its limit over two rooms: 432, no relay asked, nothing changed; removing one frees the slot', async () => {
    const d = await deployment([1, 2], { maxRemotePublishersPerSession: 2 });
    await d.add(1, alice, { id: 1 });
    await d.add(2, alice, { id: 2 });
    const before = d.snapshotAll();
    for (const room of [1, 2])
      await expect(d.add(room, alice, { id: 3 })).rejects.toMatchObject({ code: 432, message: perSession(2) });
    expect(d.snapshotAll()).toEqual(before);
    await expect(d.add(1, alice2, { id: 3 })).resolves.toMatchObject({ id: 3 });
    await d.room(2).vr.remotes.remove({ room: 2, id: 2 });
    await expect(d.add(1, alice, { id: 4 })).resolves.toMatchObject({ id: 4 });
  });

  it('the sessions of one address reach its limit together while another address still adds; a gone session’s publishers still count', async () => {
    const d = await deployment([1, 2], { maxRemotePublishersPerSession: 5, maxRemotePublishersPerAddress: 3 });
    await d.add(1, alice, { id: 1 });
    await d.add(2, alice, { id: 2 });
    await d.add(2, alice2, { id: 3 });
    const before = d.snapshotAll();
    await expect(d.add(1, alice2, { id: 4 })).rejects.toMatchObject({ code: 432, message: perAddress(3) });
    // alice's session is gone: its remote publishers stay in their rooms with their ports, as in Janus.
    const later: RemoteCreator = { sessionId: 13, address: alice.address };
    await expect(d.add(1, later, { id: 4 })).rejects.toMatchObject({ code: 432, message: perAddress(3) });
    expect(d.snapshotAll()).toEqual(before);
    await expect(d.add(1, bob, { id: 4 })).resolves.toMatchObject({ id: 4 });
    // a kick removes a remote publisher as remove does
    d.room(2).vr.requests.kick({ room: 2, id: 2 });
    await d.room(2).settle();
    await expect(d.add(1, later, { id: 5 })).resolves.toMatchObject({ id: 5 });
  });

  it('the creator is saved with the remote publisher, so a room restored from storage still counts it', async () => {
    const d = await deployment([1], { maxRemotePublishersPerSession: 1 });
    await d.add(1, alice, { id: 1 });
    const saved = structuredClone(d.room(1).saved);
    expect(saved?.publishers[0]?.createdBy).toEqual(alice);
    const restored = new Harness();
    restored.vr.room.state = saved;
    expect(restored.vr.remotes.tally(alice)).toEqual({ session: 1, address: 1, total: 1 });
    expect(restored.vr.remotes.tally(bob)).toEqual({ session: 0, address: 0, total: 1 });
  });

  it('admin message_plugin (no caller) is neither counted nor limited; without a known address only the session limit applies', async () => {
    const d = await deployment([1], { maxRemotePublishersPerSession: 1, maxRemotePublishersPerAddress: 1 });
    await d.add(1, undefined, { id: 1 });
    await d.add(1, undefined, { id: 2 });
    await d.add(1, { sessionId: 31 }, { id: 3 });
    await d.add(1, { sessionId: 32 }, { id: 4 });
    await expect(d.add(1, { sessionId: 31 }, { id: 5 })).rejects.toMatchObject({ message: perSession(1) });
    await expect(d.add(1, alice, { id: 5 })).resolves.toMatchObject({ id: 5 });
    expect(d.room(1).vr.remotes.tally(alice)).toEqual({ session: 1, address: 1, total: 3 });
  });

  it('concurrent additions of one session in two rooms never pass its limit', async () => {
    const d = await deployment([1, 2, 3], { maxRemotePublishersPerSession: 1 });
    const results = await Promise.allSettled([d.add(1, alice), d.add(2, alice), d.add(3, alice)]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    const held = [1, 2, 3].map((id) => d.room(id).vr.remotes.tally(alice).session);
    expect(held.reduce((a, b) => a + b)).toBeLessThanOrEqual(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 432, message: perSession(1) });
  });

  it('a count that cannot be made (a room unreachable) refuses, with the reservation released and no relay asked', async () => {
    const d = await deployment([1], { maxRemotePublishersPerSession: 4 });
    const before = d.snapshotAll();
    d.room(1).countRemotePublishers = async () => {
      throw new Error('room unreachable');
    };
    await expect(d.add(1, alice, { id: 1 })).rejects.toThrow('room unreachable');
    expect(d.snapshotAll()).toEqual(before);
  });
});
