import { describe, expect, it } from 'vitest';
import { handle, relayA, RoomHarness, withRoom } from './harness.js';

/**
 * What event handlers hear of an AudioBridge room (type 64), as Janus 1.1.2's notify_event calls
 * build them, and which handle each names: the requester's, the participant's, or none for what the
 * room does on its own (a hang-up's `left`, announcements).
 */

const ROOM = 777;

async function room(options: Record<string, unknown> = {}) {
  const owner = handle();
  return { h: await withRoom(ROOM, options, owner), owner };
}

describe('AudioBridge event-handler events', () => {
  it('created, edited, mute, mute_room, kicked and destroyed name the requesting handle', async () => {
    const { h, owner } = await room({ audiolevel_event: true });
    const p = handle();
    h.ab.participants.join(p, { room: ROOM, id: 1 });
    h.ab.participants.placeMedia(p, relayA);
    await h.ab.sync('edit', { room: ROOM, secret: 'sec', new_description: 'x' }, owner);
    await h.ab.sync('mute', { room: ROOM, secret: 'sec', id: 1 }, owner);
    await h.ab.sync('mute', { room: ROOM, secret: 'sec', id: 1 }, owner); // unchanged: nothing, as Janus
    await h.ab.sync('unmute', { room: ROOM, secret: 'sec', id: 1 }, owner);
    await h.ab.sync('mute_room', { room: ROOM, secret: 'sec' }, owner);
    await h.ab.sync('unmute_room', { room: ROOM, secret: 'sec' });
    await h.ab.sync('kick', { room: ROOM, secret: 'sec', id: 1 }, owner);
    await h.ab.sync('destroy', { room: ROOM, secret: 'sec' }, owner);
    expect(h.handlerEvents).toEqual([
      { data: { event: 'created', room: ROOM }, from: owner },
      { data: { event: 'joined', room: ROOM, id: 1, setup: false, muted: false }, from: p },
      { data: { event: 'edited', room: ROOM }, from: owner },
      { data: { event: 'mute', room: ROOM, id: 1 }, from: owner },
      { data: { event: 'unmute', room: ROOM, id: 1 }, from: owner },
      { data: { event: 'mute_room', room: ROOM }, from: owner },
      // admin message_plugin: no handle
      { data: { event: 'unmute_room', room: ROOM } },
      { data: { event: 'kicked', room: ROOM, id: 1 }, from: owner },
      // its PeerConnection closes: Janus's hangup_media tells `left`, naming no handle
      { data: { event: 'left', room: ROOM, id: 1 } },
      { data: { event: 'destroyed', room: ROOM }, from: owner },
    ]);
  });

  it('joined, configured, talking and left name the participant; a hang-up or detach names none', async () => {
    const { h } = await room({ audiolevel_event: true, spatial_audio: true });
    const a = handle();
    const b = handle();
    h.handlerEvents.length = 0;
    h.ab.participants.join(a, { room: ROOM, id: 1, display: 'alice' });
    h.ab.participants.join(b, { room: ROOM, id: 2 });
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.mediaReady(a, true);
    h.ab.participants.configure(a, { bitrate: 32000, quality: 6, spatial_position: 20 });
    h.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: true, level: 10 });
    h.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: false, level: 100 });
    h.ab.participants.leave(b, 'leave');
    h.ab.handleGone(a);
    expect(h.handlerEvents).toEqual([
      {
        data: {
          event: 'joined',
          room: ROOM,
          id: 1,
          display: 'alice',
          setup: false,
          muted: false,
          spatial_position: 50,
        },
        from: a,
      },
      { data: { event: 'joined', room: ROOM, id: 2, setup: false, muted: false, spatial_position: 50 }, from: b },
      {
        data: {
          event: 'configured',
          room: ROOM,
          id: 1,
          display: 'alice',
          muted: false,
          bitrate: 32000,
          quality: 6,
          spatial_position: 20,
        },
        from: a,
      },
      { data: { audiobridge: 'talking', room: ROOM, id: 1 }, from: a },
      { data: { audiobridge: 'stopped-talking', room: ROOM, id: 1 }, from: a },
      { data: { event: 'left', room: ROOM, id: 2 }, from: b },
      { data: { event: 'left', room: ROOM, id: 1, display: 'alice' } },
    ]);
  });

  it('kick_all tells each participant; announcements name no handle', async () => {
    const { h, owner } = await room();
    const a = handle();
    h.ab.participants.join(a, { room: ROOM, id: 1 });
    const out = await h.ab.sync('play_file', { room: ROOM, secret: 'sec', filename: '/a.opus' });
    const fileId = out.file_id as string;
    h.handlerEvents.length = 0;
    h.ab.relayEvent({ kind: 'ab.announcement', room: ROOM, fileId, playing: true });
    h.ab.relayEvent({ kind: 'ab.announcement', room: ROOM, fileId, playing: false });
    await h.ab.sync('kick_all', { room: ROOM, secret: 'sec' }, owner);
    expect(h.handlerEvents).toEqual([
      { data: { event: 'announcement-started', room: ROOM, file_id: fileId } },
      { data: { event: 'announcement-stopped', room: ROOM, file_id: fileId } },
      // no media: Janus's hangup_media has nothing to close, so no `left`
      { data: { event: 'kicked_all', room: ROOM, id: 1 }, from: owner },
    ]);
  });

  it("a closed mix recording is Janus's recordingdone: the room and its record_file, naming no handle, also once the room is gone", async () => {
    const { h, owner } = await room({ record: true, record_dir: '/rec', record_file: 'mix.wav' });
    const path = h.ab.room.state!.media!.recording!;
    h.handlerEvents.length = 0;
    await h.ab.sync('enable_recording', { room: ROOM, secret: 'sec', record: false }, owner);
    h.ab.relayEvent({ kind: 'ab.recordingDone', room: ROOM, path, bytes: 44, durationMs: 0, dropped: 0 });
    await h.ab.sync('destroy', { room: ROOM, secret: 'sec' }, owner);
    h.ab.relayEvent({ kind: 'ab.recordingDone', room: ROOM, path: '/rec/b.wav', bytes: 44, durationMs: 0, dropped: 0 });
    expect(h.handlerEvents).toEqual([
      { data: { event: 'recordingdone', room: ROOM, record_file: path } },
      { data: { event: 'destroyed', room: ROOM }, from: owner },
      { data: { event: 'recordingdone', room: ROOM, record_file: '/rec/b.wav' } },
    ]);
  });

  it("events naming a handle carry its opaque_id, the participant's kept with the room across eviction", async () => {
    const owner = { ...handle(), opaqueId: 'owner-1' };
    const h = await withRoom(ROOM, { audiolevel_event: true }, owner);
    const p = { ...handle(), opaqueId: 'p-1' };
    h.ab.participants.join(p, { room: ROOM, id: 1 });
    h.ab.participants.placeMedia(p, relayA);
    // the room object is evicted: a new one starts from what was saved
    const woken = new RoomHarness();
    woken.ab.room.state = structuredClone(h.saved);
    woken.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: true, level: 20 });
    await woken.ab.sync('mute', { room: ROOM, secret: 'sec', id: 1 }, owner);
    woken.ab.participants.leave({ sessionId: p.sessionId, handleId: p.handleId }, 'leave');
    expect(h.handlerEvents.map((e) => e.from?.opaqueId)).toEqual(['owner-1', 'p-1']);
    expect(woken.handlerEvents).toEqual([
      { data: { audiobridge: 'talking', room: ROOM, id: 1 }, from: expect.objectContaining({ opaqueId: 'p-1' }) },
      { data: { event: 'mute', room: ROOM, id: 1 }, from: owner },
      { data: { event: 'left', room: ROOM, id: 1 }, from: expect.objectContaining({ opaqueId: 'p-1' }) },
    ]);
  });
});
