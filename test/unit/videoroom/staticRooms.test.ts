import { describe, expect, it } from 'vitest';
import defaultRooms from '../../../config/videoroom.rooms.json';
import { parseStaticRooms, type StaticRooms } from '../../../edge/plugins/videoroom/staticRoomConfig.js';
import { handle, Harness } from './harness.js';

/** A harness whose deployment configures `rooms`. */
class ConfiguredHarness extends Harness {
  constructor(readonly staticRooms: StaticRooms) {
    super();
  }
}

const demo = () => new ConfiguredHarness(parseStaticRooms(defaultRooms, false));

describe('VideoRoom static rooms (janus.plugin.videoroom.jcfg room-<id> sections)', () => {
  it('ships Janus’s sample room 1234 with the jcfg’s settings', () => {
    const rooms = parseStaticRooms(defaultRooms, false);
    expect([...rooms.values()]).toEqual([
      {
        room: 1234,
        description: 'Demo Room',
        secret: 'adminpwd',
        publishers: 6,
        bitrate: 128000,
        fir_freq: 10,
        record: false,
      },
    ]);
  });

  it('refuses a configuration create would refuse, an unknown option, a duplicate or a wrongly typed id', () => {
    expect(() => parseStaticRooms({ room: 1 }, false)).toThrow(/JSON array/);
    expect(() => parseStaticRooms([{ description: 'no id' }], false)).toThrow(/#0.*room/s);
    expect(() => parseStaticRooms([{ room: 1, publishers: 'six' }], false)).toThrow(/#0.*publishers/s);
    expect(() => parseStaticRooms([{ room: 1, video_svc: true }], false)).toThrow(/#0.*video_svc/s);
    expect(() => parseStaticRooms([{ room: 1, admin_key: 'k' }], false)).toThrow(/#0.*admin_key/s);
    expect(() => parseStaticRooms([{ room: 1 }, { room: 1 }], false)).toThrow(/#1: room 1 is configured twice/);
    expect(() => parseStaticRooms([{ room: 'lobby' }], false)).toThrow(/integers unless VIDEOROOM_STRING_IDS/);
    // With string ids, room-1234 is the room "1234", as Janus reads it.
    expect([...parseStaticRooms([{ room: 1234 }, { room: 'lobby' }], true).values()].map((r) => r.room)).toEqual([
      '1234',
      'lobby',
    ]);
  });

  it('creates a configured room on first use, once, with the options create would give it', async () => {
    const h = demo();
    await h.vr.statics.ensure(1234);
    const created = h.vr.room.current();
    expect(created.options).toMatchObject({ description: 'Demo Room', publishers: 6, bitrate: 128000, fir_freq: 10 });
    expect(h.rooms.has(1234)).toBe(true);
    // Idempotent: the room (and a participant in it) stays as it is.
    await h.vr.publishers.join(handle(), { room: 1234, ptype: 'publisher', display: 'alice' });
    await h.vr.statics.ensure(1234);
    expect(h.vr.room.current()).toBe(created);
    expect(created.publishers).toHaveLength(1);
    // As in Janus, where the room exists from the start: create answers 427.
    await expect(h.vr.requests.create(1234, { room: 1234 })).rejects.toMatchObject({ code: 427 });
  });

  it('leaves other rooms alone: an unconfigured id is still "no such room"', async () => {
    const h = demo();
    await h.vr.statics.ensure(4321);
    expect(h.vr.room.state).toBeUndefined();
    expect(h.vr.requests.exists({ room: 4321 })).toMatchObject({ exists: false });
  });

  it('a destroyed static room stays destroyed while its configuration stands, and can be created again by hand', async () => {
    const h = demo();
    await h.vr.statics.ensure(1234);
    await expect(h.vr.requests.destroy({ room: 1234 })).rejects.toMatchObject({ code: 429 });
    await expect(h.vr.requests.destroy({ room: 1234, secret: 'nope' })).rejects.toMatchObject({ code: 433 });
    expect(h.vr.room.tombstone).toBeUndefined();
    await h.vr.requests.destroy({ room: 1234, secret: 'adminpwd' });
    expect(h.vr.room.tombstone).toBeDefined();
    await h.vr.statics.ensure(1234);
    expect(h.vr.room.state).toBeUndefined();
    expect(h.rooms.has(1234)).toBe(false);
    await h.vr.requests.create(1234, { room: 1234, description: 'mine' });
    expect(h.vr.room.current().options.description).toBe('mine');

    // A changed configuration (Janus: an edited jcfg and a restart) brings it back.
    const changed = new ConfiguredHarness(parseStaticRooms([{ ...defaultRooms[0], publishers: 9 }], false));
    changed.vr.room.tombstone = h.vr.room.tombstone;
    await changed.vr.statics.ensure(1234);
    expect(changed.vr.room.current().options.publishers).toBe(9);
  });
});
