import { describe, expect, it } from 'vitest';
import type { JoinRequest } from '../../../edge/plugins/audiobridge/schemas.js';
import { handle, relayA, relayB, RoomHarness, withRoom } from './harness.js';

/**
 * An AudioBridge room's participants on the in-memory host: joins and their checks, what the others
 * hear, where the room mixes, moderation, talking, and the participant list through every ending.
 */

const ROOM = 4321;

const room = (options: Record<string, unknown> = {}) => withRoom(ROOM, options);

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
  const joined = h.ab.participants.join(who, { room: ROOM, id, display: `p${id}`, ...extra });
  return { who, joined };
};

describe('AudioBridge join', () => {
  it('answers joined with the others, and tells the others', async () => {
    const h = await room();
    const a = join(h, 1);
    expect(a.joined.event).toEqual({ audiobridge: 'joined', room: ROOM, id: 1, participants: [] });
    const b = join(h, 2, { muted: true });
    expect(b.joined.event).toEqual({
      audiobridge: 'joined',
      room: ROOM,
      id: 2,
      participants: [{ id: 1, display: 'p1', setup: false, muted: false }],
    });
    await h.settle();
    expect(h.dataTo(a.who)).toEqual([
      { audiobridge: 'joined', room: ROOM, participants: [{ id: 2, display: 'p2', setup: false, muted: true }] },
    ]);
    expect(h.dataTo(b.who)).toEqual([]);
    expect(h.ids()).toEqual([1, 2]);
  });

  it("gives the relay the room's mixer and the participant's settings, with Janus's defaults and bounds", async () => {
    const h = await room({ default_bitrate: 24000, default_expectedloss: 5, audiolevel_event: true });
    const { joined } = join(h, 1, { codec: 'PCMU', quality: 11, bitrate: 100, volume: 150, prebuffer: 3 });
    expect(joined.place).toEqual({
      mixer: `ab:number:${ROOM}`,
      mixerSettings: {
        room: ROOM,
        samplingRate: 16000,
        spatial: false,
        audioLevelExt: true,
        talking: { packets: 100, average: 25 },
      },
      participant: 1,
      codec: 'pcmu',
      settings: { bitrate: 24000, quality: 4, expectedLoss: 5, volume: 150, prebuffer: 3, muted: false },
    });
    const other = join(h, 2, { audio_active_packets: 10, audio_level_average: 50, expected_loss: 90 }).joined.place;
    expect(other.settings).toMatchObject({ expectedLoss: 20, talking: { packets: 10, average: 50 } });
  });

  it('refuses with Janus codes and changes nothing', async () => {
    const h = await room({ pin: 'pin', allowed: ['tok'] });
    const ok = { pin: 'pin', token: 'tok' };
    join(h, 1, ok);
    const before = structuredClone(h.ab.room.state);
    const cases: Array<[Partial<JoinRequest>, number, { plainRtp?: boolean }?]> = [
      [{ token: 'tok' }, 483],
      [{ pin: 'bad', token: 'tok' }, 489],
      [{ pin: 'pin' }, 489],
      [{ pin: 'pin', token: 'bad' }, 489],
      [{ ...ok, secret: 'bad' }, 489],
      [{ ...ok, codec: 'g729' }, 484],
      [{ ...ok, id: 1 }, 490],
      [ok, 489, { plainRtp: true }],
    ];
    for (const [extra, want, opts] of cases) {
      const { id: _drop, ...rest } = extra;
      expect(
        code(() => h.ab.participants.join(handle(), { room: ROOM, id: extra.id ?? 9, ...rest }, opts)),
        JSON.stringify(extra),
      ).toBe(want);
    }
    const a = h.ab.room.state!.participants[0]!;
    expect(code(() => h.ab.participants.join(a, { room: ROOM, id: 5, ...ok }))).toBe(491);
    expect(h.ab.room.state).toEqual(before);
    const none = new RoomHarness();
    none.ab.room.remember(77);
    expect(code(() => none.ab.participants.join(handle(), { room: 77 }))).toBe(485);
  });

  it('picks a fresh id when none is given (a string in a string-id room)', async () => {
    const h = await room();
    expect(h.ab.participants.join(handle(), { room: ROOM }).event.id).toBe(h.ids()[0]);
    const id = h.ids()[0];
    expect(typeof id).toBe('number');
    const s = new RoomHarness();
    await s.ab.requests.create('abc', { room: 'abc' });
    s.ab.participants.join(handle(), { room: 'abc' });
    expect(typeof s.ids()[0]).toBe('string');
  });
});

describe('AudioBridge placement: one mixer relay per room', () => {
  it('the first placement chooses the relay; later participants go there whatever their own', async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    expect(h.ab.participants.placeMedia(a, relayA).relay).toEqual(relayA);
    expect(h.ab.participants.placeMedia(b, relayB).relay).toEqual(relayA);
    expect(h.ab.room.state!.relay).toEqual(relayA);
  });

  it('when every participant with media has gone, the next placement re-homes the room', async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    const c = join(h, 3).who;
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.placeMedia(b, relayA);
    // relayA is lost: the core hangs up both PeerConnections, each participant leaves (hangupMedia).
    expect(h.ab.participants.mediaGone(a)).toBe(true);
    expect(h.ab.participants.mediaGone(b)).toBe(true);
    expect(h.ab.room.state!.relay).toBeUndefined();
    expect(h.ab.participants.placeMedia(c, relayB).relay).toEqual(relayB);
    expect(h.ids()).toEqual([3]);
  });

  it('a failed placement leaves the participant without media, and does not pin the room', async () => {
    const h = await room();
    const a = join(h, 1).who;
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.mediaFailed(a);
    const b = join(h, 2).who;
    expect(h.ab.participants.placeMedia(b, relayB).relay).toEqual(relayB);
    expect(h.ab.room.state!.participants.find((p) => p.id === 1)).toMatchObject({ setup: false });
    expect(h.ab.room.state!.participants.find((p) => p.id === 1)?.relay).toBeUndefined();
  });

  it('changeroom into a room mixing on another relay is refused before anything changes', async () => {
    const h = await room();
    h.ab.participants.placeMedia(join(h, 1).who, relayA);
    const before = structuredClone(h.ab.room.state);
    expect(
      code(() => h.ab.participants.join(handle(), { room: ROOM, id: 2 }, { changeroom: true, relay: relayB })),
    ).toBe(499);
    expect(h.ab.room.state).toEqual(before);
    const moved = h.ab.participants.join(handle(), { room: ROOM, id: 3 }, { changeroom: true, relay: relayA });
    expect(moved.event).toMatchObject({ audiobridge: 'roomchanged', id: 3 });
    expect(h.ab.room.state!.participants.find((p) => p.id === 3)?.relay).toEqual(relayA);
  });

  it('media set up is announced to the others with setup:true (and talking, with the audio-level extension)', async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    h.ab.participants.placeMedia(b, relayA);
    h.ab.participants.mediaReady(b, true);
    await h.settle();
    // negotiated: nothing yet (Janus tells at setup_media, when the PeerConnection is up)
    expect(h.dataTo(a).at(-1)).toMatchObject({ audiobridge: 'joined' });
    h.ab.participants.setupMedia(b);
    h.ab.participants.setupMedia(b); // once
    await h.settle();
    expect(h.dataTo(a).filter((d) => d.audiobridge === 'event')).toHaveLength(1);
    expect(h.dataTo(a).at(-1)).toEqual({
      audiobridge: 'event',
      room: ROOM,
      participants: [{ id: 2, display: 'p2', setup: true, muted: false, talking: false }],
    });
    expect(h.dataTo(b)).toEqual([]);
  });
});

describe('AudioBridge configure, moderation and talking', () => {
  it('configure changes settings; mute and display changes are heard by the others', async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    h.ab.participants.placeMedia(a, relayA);
    const out = h.ab.participants.configure(a, { muted: true, display: 'new', bitrate: 32000, quality: 8 });
    expect(out).toEqual({
      settings: { bitrate: 32000, quality: 8, expectedLoss: 0, volume: 100, prebuffer: 6, muted: true },
      hasMedia: true,
    });
    await h.settle();
    expect(h.dataTo(b).at(-1)).toEqual({
      audiobridge: 'event',
      room: ROOM,
      participants: [{ id: 1, display: 'new', setup: false, muted: true }],
    });
    expect(code(() => h.ab.participants.configure(handle(), { muted: true }))).toBe(487);
  });

  it('mute/unmute reach the relay and everyone (the target too); muting a muted one changes nothing', async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    h.ab.participants.placeMedia(a, relayA);
    expect(code(() => h.ab.requests.mute({ room: ROOM, secret: 'bad', id: 1 }, true))).toBe(489);
    expect(code(() => h.ab.requests.mute({ room: ROOM, secret: 'sec', id: 9 }, true))).toBe(492);
    expect(code(() => h.ab.requests.mute({ room: ROOM, secret: 'sec' }, true))).toBe(483);
    expect(h.ab.requests.mute({ room: ROOM, secret: 'sec', id: 1 }, true)).toEqual({
      audiobridge: 'success',
      room: ROOM,
    });
    await h.settle();
    expect(h.relays.of('ab.configure').map((c) => c.cmd)).toEqual([
      { op: 'ab.configure', sessionId: a.sessionId, handleId: a.handleId, settings: { muted: true } },
    ]);
    for (const who of [a, b]) expect(h.dataTo(who).at(-1)).toMatchObject({ participants: [{ id: 1, muted: true }] });
    expect(h.ab.requests.mute({ room: ROOM, secret: 'sec', id: 1 }, true)).toEqual({ audiobridge: 'success' });
    await h.settle();
    expect(h.relays.of('ab.configure')).toHaveLength(1);
    // A participant without media is muted in the room only.
    h.ab.requests.mute({ room: ROOM, secret: 'sec', id: 2 }, true);
    await h.settle();
    expect(h.relays.of('ab.configure')).toHaveLength(1);
  });

  it("mute_room silences everyone on the relay; unmute_room restores each participant's own mute", async () => {
    const h = await room();
    const a = join(h, 1).who;
    const b = join(h, 2, { muted: true }).who;
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.placeMedia(b, relayA);
    expect(h.ab.requests.muteRoom({ room: ROOM, secret: 'sec' }, true)).toEqual({ audiobridge: 'success', room: ROOM });
    await h.settle();
    expect(h.relays.of('ab.configure').map((c) => c.cmd.settings.muted)).toEqual([true, true]);
    for (const who of [a, b]) expect(h.dataTo(who).at(-1)).toEqual({ audiobridge: 'event', room: ROOM, muted: true });
    expect(h.ab.requests.summary()).toMatchObject({ muted: true });
    h.ab.requests.muteRoom({ room: ROOM, secret: 'sec' }, false);
    await h.settle();
    expect(h.relays.of('ab.configure').map((c) => c.cmd.settings.muted)).toEqual([true, true, false, true]);
    expect(code(() => h.ab.requests.muteRoom({ room: ROOM, secret: 'bad' }, true))).toBe(489);
  });

  it('talking events reach everyone (the talker too) only with audiolevel_event; the list follows', async () => {
    const quiet = await room();
    const q = join(quiet, 1).who;
    quiet.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: true, level: 10 });
    await quiet.settle();
    expect(quiet.dataTo(q)).toEqual([]);

    const h = await room({ audiolevel_event: true });
    const a = join(h, 1).who;
    const b = join(h, 2).who;
    h.ab.participants.placeMedia(a, relayA);
    h.ab.participants.mediaReady(a, true);
    h.ab.participants.setupMedia(a);
    h.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: true, level: 10 });
    await h.settle();
    for (const who of [a, b]) expect(h.dataTo(who).at(-1)).toEqual({ audiobridge: 'talking', room: ROOM, id: 1 });
    expect(h.ab.requests.listParticipants({ room: ROOM }).participants).toContainEqual({
      id: 1,
      display: 'p1',
      setup: true,
      muted: false,
      talking: true,
    });
    h.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 1, talking: false, level: 100 });
    await h.settle();
    expect(h.dataTo(b).at(-1)).toEqual({ audiobridge: 'stopped-talking', room: ROOM, id: 1 });
    // An unknown participant (gone meanwhile) is ignored.
    h.ab.relayEvent({ kind: 'ab.talking', room: ROOM, participant: 99, talking: true, level: 1 });
  });
});

describe('AudioBridge participant list through every ending', () => {
  it('leave, media gone, handle gone, kick, kick_all: the list is right after each, the others hear it', async () => {
    const h = await room({ allow_rtp_participants: true });
    const [a, b, c, d, e, f] = [1, 2, 3, 4, 5, 6].map((id) => join(h, id).who);
    h.ab.participants.placeMedia(b!, relayA);

    expect(h.ab.participants.leave(a!, 'leave')).toEqual({ audiobridge: 'left', room: ROOM, id: 1 });
    expect(code(() => h.ab.participants.leave(a!, 'leave'))).toBe(487);
    expect(h.ids()).toEqual([2, 3, 4, 5, 6]);

    // A hang-up without media keeps the participant (as Janus); with media it leaves.
    expect(h.ab.participants.mediaGone(c!)).toBe(false);
    expect(h.ab.participants.mediaGone(b!)).toBe(true);
    expect(h.ids()).toEqual([3, 4, 5, 6]);

    h.ab.handleGone(c!);
    expect(h.ids()).toEqual([4, 5, 6]);

    expect(h.ab.requests.kick({ room: ROOM, secret: 'sec', id: 4 })).toEqual({ audiobridge: 'success' });
    expect(h.ids()).toEqual([5, 6]);
    await h.settle();
    expect(h.toldTo(d!).at(-1)).toEqual({ kind: 'ab.removed', data: { audiobridge: 'event', room: ROOM, kicked: 4 } });
    expect(h.dataTo(e!).slice(-2)).toEqual([
      { audiobridge: 'event', room: ROOM, kicked: 4 },
      { audiobridge: 'event', room: ROOM, leaving: 4 },
    ]);
    const leavings = h
      .dataTo(f!)
      .filter((m) => 'leaving' in m)
      .map((m) => m.leaving);
    expect(leavings).toEqual([1, 2, 3, 4]);

    // A handle its shard no longer has (a lost leave) leaves when the room next tells it something.
    h.missing.add(`${e!.sessionId}:${e!.handleId}`);
    h.ab.requests.muteRoom({ room: ROOM, secret: 'sec' }, true);
    await h.settle();
    expect(h.ids()).toEqual([6]);

    expect(h.ab.requests.kickAll({ room: ROOM, secret: 'sec' })).toEqual({ audiobridge: 'success' });
    await h.settle();
    expect(h.ids()).toEqual([]);
    expect(h.toldTo(f!).at(-1)).toEqual({
      kind: 'ab.removed',
      data: { audiobridge: 'event', room: ROOM, kicked_all: 6 },
    });
    expect(h.saved?.participants).toEqual([]);
  });

  it('a plain-RTP participant is hung up on its relay by the room when it leaves', async () => {
    const h = await room({ allow_rtp_participants: true });
    const who = handle();
    h.ab.participants.join(who, { room: ROOM, id: 1 }, { plainRtp: true });
    h.ab.participants.placeMedia(who, relayA);
    h.ab.participants.leave(who, 'leave');
    await h.settle();
    expect(h.relays.of('peer.hangup').map((c) => c.cmd)).toEqual([
      { op: 'peer.hangup', sessionId: who.sessionId, handleId: who.handleId, reason: 'Left the room' },
    ]);
  });

  it('a room with plain-RTP legs on a relay watches it: its loss takes them out, the next join re-homes', async () => {
    const h = await room({ allow_rtp_participants: true });
    const rtp = handle();
    h.ab.participants.join(rtp, { room: ROOM, id: 1 }, { plainRtp: true });
    const web = join(h, 2).who;
    const other = join(h, 3).who;
    h.ab.participants.placeMedia(rtp, relayA);
    h.ab.participants.placeMedia(web, relayA);
    expect([...h.watched]).toEqual(['link-a']);
    h.ab.relayLost('link-a');
    await h.settle();
    expect(h.ids()).toEqual([3]);
    expect(
      h
        .dataTo(other)
        .filter((m) => 'leaving' in m)
        .map((m) => m.leaving),
    ).toEqual([1, 2]);
    // Nothing is sent to a relay that is gone.
    expect(h.relays.of('peer.hangup')).toEqual([]);
    expect(h.ab.room.state!.relay).toBeUndefined();
    expect(h.ab.participants.placeMedia(other, relayB).relay).toEqual(relayB);

    // A leg that leaves stops the watch once no other leg is on that relay.
    const leg = handle();
    h.ab.participants.join(leg, { room: ROOM, id: 4 }, { plainRtp: true });
    h.ab.participants.placeMedia(leg, relayB);
    expect([...h.watched]).toEqual(['link-a', 'link-b']);
    h.ab.participants.leave(leg, 'leave');
    expect(h.watched.has('link-b')).toBe(false);
  });
});
