import { describe, expect, it } from 'vitest';
import type { JoinRequest } from '../../../edge/plugins/audiobridge/schemas.js';
import { asyncCode, handle, RoomHarness, withRoom } from './harness.js';

/**
 * Janus 1.1.2's forwarding groups on the in-memory host: `create` with `groups`, the group of each
 * participant (join, configure, changeroom) and file, and `rtp_forward` of one group's mix, with
 * Janus's checks and codes; bad input changes nothing.
 */

const ROOM = 4321;

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

const join = (h: RoomHarness, id: number, extra: Partial<JoinRequest> = {}) => {
  const who = handle();
  return { who, joined: h.ab.participants.join(who, { room: ROOM, id, ...extra }) };
};

describe('AudioBridge groups', () => {
  it('create takes up to 5 string groups (duplicates skipped), refusing more or non-strings and creating nothing', async () => {
    const h = await withRoom(ROOM, { groups: ['a', 'b', 'a'] });
    expect(h.ab.room.state!.options.groups).toEqual(['a', 'b']);
    const none = await withRoom(ROOM, { groups: [] });
    expect(none.ab.room.state!.options.groups).toBeUndefined();
    const cases: Array<[unknown, number]> = [
      ['a', 484],
      [['a', 'b', 'c', 'd', 'e', 'f'], 484],
      [['a', 5], 484],
    ];
    for (const [groups, want] of cases) {
      const g = new RoomHarness();
      expect(await asyncCode(() => g.ab.requests.create(7, { room: 7, groups })), JSON.stringify(groups)).toBe(want);
      expect(g.ab.room.state).toBeUndefined();
    }
  });

  it('join needs a group the room has (483, 494), which reaches the relay; a room without groups ignores it', async () => {
    const h = await withRoom(ROOM, { groups: ['a', 'b'] });
    expect(code(() => join(h, 1))).toBe(483);
    expect(code(() => join(h, 1, { group: 'c' }))).toBe(494);
    expect(h.ab.room.state!.participants).toEqual([]);
    const a = join(h, 1, { group: 'a' });
    expect(a.joined.place.settings.group).toBe('a');
    const plain = await withRoom(ROOM);
    const p = join(plain, 1, { group: 'x' });
    expect(p.joined.place.settings.group).toBeUndefined();
  });

  it('changeroom into a room with groups needs one of them (Janus 1.1.2 hangs there; we answer)', async () => {
    const h = await withRoom(ROOM, { groups: ['a'] });
    const who = handle();
    expect(code(() => h.ab.participants.join(who, { room: ROOM, id: 2 }, { changeroom: true }))).toBe(483);
    expect(code(() => h.ab.participants.join(who, { room: ROOM, id: 2, group: 'b' }, { changeroom: true }))).toBe(494);
    expect(h.ab.room.state!.participants).toEqual([]);
    const moved = h.ab.participants.join(who, { room: ROOM, id: 2, group: 'a' }, { changeroom: true });
    expect(moved.event).toMatchObject({ audiobridge: 'roomchanged', room: ROOM, id: 2 });
  });

  it('configure changes the group (494 for an unknown one, changing nothing)', async () => {
    const h = await withRoom(ROOM, { groups: ['a', 'b'] });
    const a = join(h, 1, { group: 'a' });
    expect(code(() => h.ab.participants.configure(a.who, { group: 'c', muted: true }))).toBe(494);
    expect(h.ab.room.state!.participants[0]).toMatchObject({ muted: false, settings: { group: 'a' } });
    expect(h.ab.participants.configure(a.who, { group: 'b' }).settings.group).toBe('b');
  });

  it('rtp_forward of a group: 494 for an unknown one, the group reaches the relay and is answered and listed', async () => {
    const h = await withRoom(ROOM, { groups: ['a', 'b'] });
    const fw = { room: ROOM, secret: 'sec', host: '127.0.0.1', port: 5000 };
    expect(await asyncCode(() => h.ab.sync('rtp_forward', { ...fw, group: 'c' }))).toBe(494);
    expect(h.relays.sent).toEqual([]);
    const out = await h.ab.sync('rtp_forward', { ...fw, group: 'a' });
    expect(out).toMatchObject({ audiobridge: 'success', room: ROOM, group: 'a', host: '127.0.0.1', port: 5000 });
    expect(h.relays.of('ab.forward')[0]!.cmd).toMatchObject({ group: 'a' });
    const all = await h.ab.sync('rtp_forward', { ...fw, port: 5002 });
    expect(all).not.toHaveProperty('group');
    expect(h.relays.of('ab.forward')[1]!.cmd).not.toHaveProperty('group');
    const listed = await h.ab.sync('listforwarders', { room: ROOM, secret: 'sec' });
    expect(listed.rtp_forwarders).toEqual([
      expect.objectContaining({ stream_id: out.stream_id, group: 'a' }),
      expect.not.objectContaining({ group: expect.anything() }),
    ]);
    // a room without groups ignores the group, as Janus
    const plain = await withRoom(ROOM);
    expect(await plain.ab.sync('rtp_forward', { ...fw, group: 'a' })).not.toHaveProperty('group');
  });

  it('play_file in a room with groups needs one of its groups', async () => {
    const h = await withRoom(ROOM, { groups: ['a'] });
    const play = { room: ROOM, secret: 'sec', filename: '/a.opus' };
    expect(await asyncCode(() => h.ab.sync('play_file', play))).toBe(483);
    expect(await asyncCode(() => h.ab.sync('play_file', { ...play, group: 'b' }))).toBe(494);
    expect(h.relays.sent).toEqual([]);
    await h.ab.sync('play_file', { ...play, group: 'a' });
    expect(h.relays.of('ab.play')[0]!.cmd).toMatchObject({ group: 'a' });
  });
});
