import { describe, expect, it } from 'vitest';
import { asyncCode, handle, relayA, RoomHarness, withRoom } from './harness.js';

/** The room's synchronous requests on the in-memory host: answers, errors, and nothing changed by bad input. */

const ROOM = 1234;

const room = (options: Record<string, unknown> = {}) => withRoom(ROOM, options);

describe('AudioBridge create', () => {
  it("fills Janus's defaults and lists the room", async () => {
    const h = new RoomHarness();
    expect(await h.ab.requests.create(5, { room: 5 })).toEqual({ audiobridge: 'created', room: 5, permanent: false });
    expect(h.rooms.has(5)).toBe(true);
    expect(h.ab.requests.summary()).toEqual({
      room: 5,
      description: 'Room 5',
      sampling_rate: 16000,
      spatial_audio: false,
      pin_required: false,
      record: false,
      muted: false,
      num_participants: 0,
    });
    expect(h.saved?.options).toMatchObject({
      audiolevel_ext: true,
      audiolevel_event: false,
      audio_active_packets: 100,
      audio_level_average: 25,
      default_prebuffering: 6,
      default_expectedloss: 0,
      default_bitrate: 0,
      allow_rtp_participants: false,
    });
  });

  it('takes every supported option; an out-of-range prebuffering or loss falls back as in Janus', async () => {
    const h = new RoomHarness();
    await h.ab.requests.create(6, {
      room: 6,
      description: 'd',
      pin: 'p',
      is_private: true,
      allowed: ['t', 't'],
      sampling: 48000,
      spatial_audio: true,
      audiolevel_ext: false,
      audiolevel_event: true,
      audio_active_packets: 10,
      audio_level_average: 40,
      default_prebuffering: 99,
      default_expectedloss: 50,
      default_bitrate: 20000,
      allow_rtp_participants: true,
      permanent: true,
    });
    const r = h.ab.room.state!;
    expect(r.options).toMatchObject({
      description: 'd',
      pin: 'p',
      is_private: true,
      sampling_rate: 48000,
      spatial_audio: true,
      audiolevel_ext: false,
      audiolevel_event: true,
      audio_active_packets: 10,
      audio_level_average: 40,
      default_prebuffering: 6,
      default_expectedloss: 20,
      default_bitrate: 20000,
      allow_rtp_participants: true,
    });
    expect(r.allowed).toEqual(['t']);
    expect(r.checkAllowed).toBe(true);
    expect(r.permanent).toBe(true);
    // A private room is not listed.
    expect(h.ab.requests.summary()).toBeUndefined();
  });

  it('refuses bad input, unsupported rates and options we cannot honour, creating nothing', async () => {
    const cases: Array<[Record<string, unknown>, number]> = [
      [{ description: 5 }, 484],
      [{ is_private: 'yes' }, 484],
      [{ allowed: 'x' }, 484],
      [{ sampling_rate: 'x' }, 484],
      [{ sampling_rate: 44100 }, 499],
      [{ sampling_rate: 12000 }, 484],
      [{ mjrs: 'yes' }, 484],
      [{ groups: ['a', 5] }, 484],
      [{ groups: ['a', 'b', 'c', 'd', 'e', 'f'] }, 484],
      [{ default_bitrate: -1 }, 484],
    ];
    for (const [options, want] of cases) {
      const h = new RoomHarness();
      expect(await asyncCode(() => h.ab.requests.create(7, { room: 7, ...options })), JSON.stringify(options)).toBe(
        want,
      );
      expect(h.ab.room.state).toBeUndefined();
      expect(h.saved).toBeUndefined();
      expect(h.rooms.size).toBe(0);
    }
  });

  it('answers 486 for an existing room and keeps it as it was', async () => {
    const h = await room({ description: 'first' });
    expect(await asyncCode(() => h.ab.requests.create(ROOM, { room: ROOM, description: 'second' }))).toBe(486);
    expect(h.ab.room.state!.options.description).toBe('first');
  });

  it('needs the admin key when the plugin has one (483 absent, 489 wrong)', async () => {
    const h = new RoomHarness();
    h.adminKey = 'key';
    expect(await asyncCode(() => h.ab.requests.create(8, { room: 8 }))).toBe(483);
    expect(await asyncCode(() => h.ab.requests.create(8, { room: 8, admin_key: 'bad' }))).toBe(489);
    expect(h.ab.room.state).toBeUndefined();
    expect(await h.ab.requests.create(8, { room: 8, admin_key: 'key' })).toMatchObject({ audiobridge: 'created' });
  });
});

describe('AudioBridge room requests', () => {
  it('exists and listparticipants', async () => {
    const h = await room();
    expect(await h.ab.sync('exists', { room: ROOM })).toEqual({ audiobridge: 'success', room: ROOM, exists: true });
    expect(await h.ab.sync('listparticipants', { room: ROOM })).toEqual({
      audiobridge: 'participants',
      room: ROOM,
      participants: [],
    });
    const empty = new RoomHarness();
    expect(await empty.ab.sync('exists', { room: 9 })).toEqual({ audiobridge: 'success', room: 9, exists: false });
    empty.ab.room.remember(9);
    expect(await asyncCode(() => empty.ab.sync('listparticipants', { room: 9 }))).toBe(485);
  });

  it('edit needs the secret and changes what it names', async () => {
    const h = await room();
    expect(await asyncCode(() => h.ab.sync('edit', { room: ROOM }))).toBe(483);
    expect(await asyncCode(() => h.ab.sync('edit', { room: ROOM, secret: 'bad', new_description: 'x' }))).toBe(489);
    expect(await asyncCode(() => h.ab.sync('edit', { room: ROOM, secret: 'sec', new_mjrs_dir: 5 }))).toBe(484);
    expect(h.ab.room.state!.options.description).toBe(`Room ${ROOM}`);
    expect(
      await h.ab.sync('edit', {
        room: ROOM,
        secret: 'sec',
        new_description: 'x',
        new_pin: 'p',
        new_secret: 's2',
        new_is_private: true,
      }),
    ).toEqual({ audiobridge: 'edited', room: ROOM, permanent: false });
    expect(h.ab.room.state!.options).toMatchObject({ description: 'x', pin: 'p', secret: 's2', is_private: true });
  });

  it('allowed: add, remove, enable, disable; a bad action is 484 and changes nothing', async () => {
    const h = await room({ allowed: ['a'] });
    expect(await h.ab.sync('allowed', { room: ROOM, secret: 'sec', action: 'add', allowed: ['b'] })).toEqual({
      audiobridge: 'success',
      room: ROOM,
      allowed: ['b', 'a'],
    });
    expect(await asyncCode(() => h.ab.sync('allowed', { room: ROOM, secret: 'sec', action: 'bad' }))).toBe(484);
    expect(await asyncCode(() => h.ab.sync('allowed', { room: ROOM, secret: 'sec' }))).toBe(483);
    expect(await asyncCode(() => h.ab.sync('allowed', { room: ROOM, secret: 'x', action: 'enable' }))).toBe(489);
    await h.ab.sync('allowed', { room: ROOM, secret: 'sec', action: 'remove', allowed: ['a'] });
    expect(h.ab.room.state!.allowed).toEqual(['b']);
    expect(await h.ab.sync('allowed', { room: ROOM, secret: 'sec', action: 'disable' })).toEqual({
      audiobridge: 'success',
      room: ROOM,
    });
    expect(h.ab.room.state!.checkAllowed).toBe(false);
    await h.ab.sync('allowed', { room: ROOM, secret: 'sec', action: 'enable' });
    expect(h.ab.room.state!.checkAllowed).toBe(true);
  });

  it('destroy tells every participant, hangs up plain-RTP legs, forgets the room', async () => {
    const h = await room({ allow_rtp_participants: true });
    const a = handle();
    const b = handle();
    h.ab.participants.join(a, { room: ROOM, id: 1 });
    h.ab.participants.join(b, { room: ROOM, id: 2 }, { plainRtp: true });
    h.ab.participants.placeMedia(b, relayA);
    expect(await asyncCode(() => h.ab.sync('destroy', { room: ROOM, secret: 'bad' }))).toBe(489);
    expect(h.ids()).toEqual([1, 2]);
    expect(await h.ab.sync('destroy', { room: ROOM, secret: 'sec' })).toEqual({
      audiobridge: 'destroyed',
      room: ROOM,
      permanent: false,
    });
    await h.settle();
    expect(h.ab.room.state).toBeUndefined();
    expect(h.saved).toBeUndefined();
    expect(h.rooms.has(ROOM)).toBe(false);
    for (const who of [a, b])
      expect(h.toldTo(who).at(-1)).toEqual({ kind: 'ab.removed', data: { audiobridge: 'destroyed', room: ROOM } });
    expect(h.relays.of('peer.hangup').map((c) => c.cmd.handleId)).toEqual([b.handleId]);
    // The room no longer watches the relay of its plain-RTP leg.
    expect(h.watched.size).toBe(0);
    expect(await asyncCode(() => h.ab.sync('destroy', { room: ROOM, secret: 'sec' }))).toBe(485);
  });
});
