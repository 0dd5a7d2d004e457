import { describe, expect, it } from 'vitest';
import defaultRooms from '../../../config/audiobridge.rooms.json';
import { parseAbStaticRooms, type AbStaticRooms } from '../../../edge/plugins/audiobridge/staticRoomConfig.js';
import { handle, RoomHarness } from './harness.js';

/** A room harness whose deployment configures `rooms`. */
class ConfiguredHarness extends RoomHarness {
  constructor(readonly staticRooms: AbStaticRooms) {
    super();
  }
}

const demo = () => new ConfiguredHarness(parseAbStaticRooms(defaultRooms, false));

describe('AudioBridge static rooms (janus.plugin.audiobridge.jcfg room-<id> sections)', () => {
  it('ships Janus’s sample room 1234 with the jcfg’s settings', () => {
    expect([...parseAbStaticRooms(defaultRooms, false).values()]).toEqual([
      { room: 1234, description: 'Demo Room', secret: 'adminpwd', sampling_rate: 16000, record: false },
    ]);
  });

  it('refuses a configuration create would refuse, an unknown option, a duplicate or a wrongly typed id', () => {
    expect(() => parseAbStaticRooms({ room: 1 }, false)).toThrow(/JSON array/);
    expect(() => parseAbStaticRooms([{ description: 'no id' }], false)).toThrow(/#0.*room/s);
    expect(() => parseAbStaticRooms([{ room: 1, sampling_rate: 'high' }], false)).toThrow(/#0.*sampling_rate/s);
    expect(() => parseAbStaticRooms([{ room: 1, publishers: 6 }], false)).toThrow(/#0.*publishers/s);
    expect(() => parseAbStaticRooms([{ room: 1, admin_key: 'k' }], false)).toThrow(/#0.*admin_key/s);
    expect(() => parseAbStaticRooms([{ room: 1 }, { room: 1 }], false)).toThrow(/#1: room 1 is configured twice/);
    expect(() => parseAbStaticRooms([{ room: 'lobby' }], false)).toThrow(/integers unless AUDIOBRIDGE_STRING_IDS/);
    expect([...parseAbStaticRooms([{ room: 1234 }, { room: 'lobby' }], true).values()].map((r) => r.room)).toEqual([
      '1234',
      'lobby',
    ]);
  });

  it('creates a configured room on first use, once, with the options create gives it', async () => {
    const h = demo();
    await h.ab.statics.ensure(1234);
    const created = h.ab.room.current();
    expect(created.options).toMatchObject({ description: 'Demo Room', secret: 'adminpwd', sampling_rate: 16000 });
    expect(h.rooms.has(1234)).toBe(true);
    await h.ab.participants.join(handle(), { room: 1234, display: 'alice' }, {});
    await h.ab.statics.ensure(1234);
    expect(h.ab.room.current()).toBe(created);
    expect(created.participants).toHaveLength(1);
    // As in Janus, where the room exists from the start: create answers 486.
    await expect(h.ab.requests.create(1234, { room: 1234 })).rejects.toMatchObject({ code: 486 });
  });

  it('is created even when the plugin has an admin key (the configuration needs none)', async () => {
    const h = demo();
    h.adminKey = 'operator';
    await h.ab.statics.ensure(1234);
    expect(h.ab.room.current().room).toBe(1234);
  });

  it('refuses in the configuration what create refuses (bad groups); recording options and groups are accepted', () => {
    expect(parseAbStaticRooms([{ room: 7, record: true, record_dir: '/rec', mjrs: true }], false).size).toBe(1);
    expect(parseAbStaticRooms([{ room: 7, groups: ['a', 'b'] }], false).size).toBe(1);
    expect(() => parseAbStaticRooms([{ room: 7 }, { room: 8, groups: ['a', 5] }], false)).toThrow(/#1: .*groups/);
  });

  it('a room create refuses for its values is refused when first used, and nothing is created', async () => {
    const h = new ConfiguredHarness(parseAbStaticRooms([{ room: 7, sampling_rate: 44100 }], false));
    await expect(h.ab.statics.ensure(7)).rejects.toMatchObject({ code: 499 });
    expect(h.ab.room.state).toBeUndefined();
    expect(h.rooms.has(7)).toBe(false);
  });

  it('leaves other rooms alone: an unconfigured id is still "no such room"', async () => {
    const h = demo();
    await h.ab.statics.ensure(4321);
    expect(h.ab.room.state).toBeUndefined();
  });

  it('a destroyed static room stays destroyed while its configuration stands, and can be created again by hand', async () => {
    const h = demo();
    await h.ab.statics.ensure(1234);
    await expect(h.ab.sync('destroy', { room: 1234, secret: 'nope' })).rejects.toMatchObject({ code: 489 });
    expect(h.ab.statics.tombstone).toBeUndefined();
    await h.ab.sync('destroy', { room: 1234, secret: 'adminpwd' });
    expect(h.ab.statics.tombstone).toBeDefined();
    await h.ab.statics.ensure(1234);
    expect(h.ab.room.state).toBeUndefined();
    await h.ab.requests.create(1234, { room: 1234, description: 'mine' });
    expect(h.ab.room.current().options.description).toBe('mine');

    // A changed configuration (Janus: an edited jcfg and a restart) brings it back.
    const changed = new ConfiguredHarness(parseAbStaticRooms([{ ...defaultRooms[0], description: 'Other' }], false));
    changed.ab.statics.tombstone = h.ab.statics.tombstone;
    await changed.ab.statics.ensure(1234);
    expect(changed.ab.room.current().options.description).toBe('Other');
  });
});
