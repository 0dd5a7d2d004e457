import { describe, expect, it } from 'vitest';
import type { RelayRef } from '../../../edge/relays/relayClient.js';
import { abLegSrtpSchema, type AbLegSrtp } from '../../../shared/control/audiobridge.js';
import type { HandleAddress } from '../../../edge/plugins/audiobridge/state.js';
import { handle, RoomHarness } from './harness.js';

/**
 * Rooms across relays on the in-memory host: who is bridged, the leg each bridged participant has in
 * the home mixer (its own key there), what reaches that leg (mute, configure, hang-up), and what a
 * lost relay does — the far one takes its participants out, the home one re-homes the room.
 */

const ROOM = 5151;
const eu: RelayRef = { relayId: 'relay-eu', linkId: 'link-eu', region: 'eu' };
const eu2: RelayRef = { relayId: 'relay-eu2', linkId: 'link-eu2', region: 'eu' };
const us: RelayRef = { relayId: 'relay-us', linkId: 'link-us', region: 'us' };

async function room() {
  const h = new RoomHarness();
  await h.ab.requests.create(ROOM, { room: ROOM, secret: 'sec' });
  // the fake relays answer legs with an address
  const relays = h.relays as unknown as { command: (r: RelayRef, c: { op: string }) => Promise<unknown> };
  const command = relays.command.bind(relays);
  let port = 30000;
  relays.command = async (r, c) => {
    const out = await command(r, c);
    return c.op === 'ab.rtpJoin' ? { ip: `ip-${r.relayId}`, port: port++ } : out;
  };
  return h;
}

function join(h: RoomHarness, id: number): HandleAddress {
  const who = handle();
  h.ab.participants.join(who, { room: ROOM, id });
  return who;
}

const sentOf = (h: RoomHarness, op: string) => h.relays.sent.filter((s) => s.cmd.op === op);

describe('AudioBridge bridging: placement', () => {
  it('the home relay and its region mix directly; another region is bridged to a leg of its own at home', async () => {
    const h = await room();
    const a = join(h, 1);
    const b = join(h, 2);
    const c = join(h, 3);
    expect(await h.ab.placeMedia(a, eu)).toMatchObject({ relay: eu });
    const direct = await h.ab.placeMedia(b, eu2);
    expect(direct.relay).toEqual(eu);
    expect(direct.place.bridge).toBeUndefined();
    const bridged = await h.ab.placeMedia(c, us);
    expect(bridged.relay).toEqual(us);
    const [leg] = sentOf(h, 'ab.rtpJoin');
    const legKey = (leg!.cmd as { srtp: object }).srtp;
    expect(bridged.place.bridge).toEqual({
      ip: 'ip-relay-eu',
      port: 30000,
      payloadType: 100,
      audioLevelExt: 1,
      srtp: legKey,
    });
    expect(leg!.relay).toEqual(eu);
    const p = h.ab.room.state!.participants.find((x) => x.id === 3)!;
    expect(leg!.cmd).toMatchObject({ sessionId: c.sessionId, handleId: p.bridge!.leg, participant: 3 });
    expect(p.bridge!.leg).not.toBe(c.handleId);
    expect(p.relay).toEqual(eu);
    expect(h.watched.has('link-eu')).toBe(true);
    // a client that sends no audio level: the leg expects none (the mixer tells talking from the voice)
    const d = join(h, 4);
    expect((await h.ab.placeMedia(d, us, false)).place.bridge).toEqual({
      ip: 'ip-relay-eu',
      port: 30001,
      payloadType: 100,
      srtp: expect.any(Object),
    });
    expect(sentOf(h, 'ab.rtpJoin').at(-1)!.cmd).toMatchObject({ rtp: { payloadType: 100 } });
    expect((sentOf(h, 'ab.rtpJoin').at(-1)!.cmd as { rtp: object }).rtp).not.toHaveProperty('audioLevelExt');
  });

  it('a leg that cannot be opened undoes the placement; so does the participant leaving meanwhile', async () => {
    const h = await room();
    await h.ab.placeMedia(join(h, 1), eu);
    const c = join(h, 3);
    h.relays.failing.set('ab.rtpJoin', 499);
    await expect(h.ab.placeMedia(c, us)).rejects.toMatchObject({ code: 499 });
    const p = h.ab.room.state!.participants.find((x) => x.id === 3)!;
    expect(p.bridge).toBeUndefined();
    expect(p.relay).toBeUndefined();
    h.relays.failing.delete('ab.rtpJoin');
    const placing = h.ab.placeMedia(c, us);
    h.ab.participants.leave(c, 'leave');
    await expect(placing).rejects.toThrow(/left/);
    // the leg opened for nobody is hung up
    expect(sentOf(h, 'peer.hangup').at(-1)!.cmd).toMatchObject({
      handleId: sentOf(h, 'ab.rtpJoin').at(-1)!.cmd.handleId,
    });
  });
});

describe('AudioBridge bridging: the leg', () => {
  async function bridgedRoom() {
    const h = await room();
    const a = join(h, 1);
    const c = join(h, 3);
    await h.ab.placeMedia(a, eu);
    await h.ab.placeMedia(c, us);
    const leg = h.ab.room.state!.participants.find((x) => x.id === 3)!.bridge!.leg;
    return { h, a, c, leg };
  }

  it('configure and moderation reach the leg at home, not the bridge', async () => {
    const { h, c, leg } = await bridgedRoom();
    const out = h.ab.participants.configure(c, { muted: true });
    expect(out.hasMedia).toBe(false);
    expect(sentOf(h, 'ab.configure').at(-1)).toMatchObject({
      relay: eu,
      cmd: { sessionId: c.sessionId, handleId: leg, settings: { muted: true } },
    });
    await h.ab.sync('unmute', { request: 'unmute', room: ROOM, secret: 'sec', id: 3 });
    expect(sentOf(h, 'ab.configure').at(-1)).toMatchObject({
      relay: eu,
      cmd: { handleId: leg, settings: { muted: false } },
    });
  });

  it("resetdecoder of a bridged participant resets its leg's decoder at home; a direct one's is not the room's", async () => {
    const { h, a, c, leg } = await bridgedRoom();
    await h.ab.resetLegDecoder(c);
    expect(sentOf(h, 'ab.resetDecoder')).toEqual([
      { relay: eu, cmd: { op: 'ab.resetDecoder', sessionId: c.sessionId, handleId: leg } },
    ]);
    await h.ab.resetLegDecoder(a);
    expect(sentOf(h, 'ab.resetDecoder')).toHaveLength(1);
    await expect(h.ab.resetLegDecoder(handle())).rejects.toMatchObject({ code: 487 });
  });

  it('changeroom takes a bridged participant and its leg to a room mixing on the same home (or nowhere yet)', async () => {
    const { h, c, leg } = await bridgedRoom();
    const bridged = h.ab.bridgeOf(c)!;
    expect(bridged).toEqual({ home: eu, bridge: { relay: us, leg } });
    const other = await room();
    other.ab.participants.join(
      c,
      { room: ROOM, id: 3 },
      { changeroom: true, relay: bridged.home, bridge: bridged.bridge },
    );
    h.ab.participants.leave(c, 'moved');
    // the leg stays up at home (no hang-up), moves to the other room's mixer under its own key
    expect(sentOf(h, 'peer.hangup')).toEqual([]);
    await other.ab.moveLeg(c);
    expect(sentOf(other, 'ab.move')).toEqual([
      { relay: eu, cmd: expect.objectContaining({ sessionId: c.sessionId, handleId: leg, participant: 3 }) },
    ]);
    expect(other.ab.room.state!.relay).toEqual(eu);
    expect(other.ab.bridgeOf(c)).toEqual(bridged);
    expect(other.watched.has('link-eu')).toBe(true);
    // leaving the other room hangs the leg up at home
    other.ab.participants.leave(c, 'leave');
    expect(sentOf(other, 'peer.hangup')).toEqual([{ relay: eu, cmd: expect.objectContaining({ handleId: leg }) }]);
  });

  it('changeroom of a bridged participant to a room mixing on another relay: the old leg goes, a new one there, the bridge re-pointed', async () => {
    const { h, c, leg } = await bridgedRoom();
    const elsewhere = await room();
    const d = join(elsewhere, 4);
    await elsewhere.ab.placeMedia(d, us);
    const bridged = h.ab.bridgeOf(c)!;
    const joined = elsewhere.ab.participants.join(
      c,
      { room: ROOM, id: 3 },
      { changeroom: true, relay: bridged.home, bridge: bridged.bridge },
    );
    expect(joined.newLeg).toBe(true);
    const moved = elsewhere.ab.bridgeOf(c)!;
    expect(moved.home).toEqual(us);
    expect(moved.bridge.relay).toEqual(us);
    expect(moved.bridge.leg).not.toBe(leg);
    // the one leave path takes the old leg down at the old home
    h.ab.participants.leave(c, 'moved', false);
    expect(sentOf(h, 'peer.hangup')).toEqual([{ relay: eu, cmd: expect.objectContaining({ handleId: leg }) }]);
    expect(h.watched.has('link-eu')).toBe(false);
    await elsewhere.ab.rebridge(c, true);
    expect(sentOf(elsewhere, 'ab.rtpJoin')).toEqual([
      { relay: us, cmd: expect.objectContaining({ handleId: moved.bridge.leg, participant: 3 }) },
    ]);
    const [to] = sentOf(elsewhere, 'ab.bridgeTo');
    expect(to).toEqual({
      relay: us,
      cmd: expect.objectContaining({ sessionId: c.sessionId, handleId: c.handleId }),
    });
    expect((to!.cmd as { target: { port: number } }).target.port).toBeGreaterThan(0);
    expect(elsewhere.watched.has('link-us')).toBe(true);
    expect(elsewhere.ids()).toEqual([4, 3]);
  });

  it("changeroom of a participant whose PeerConnection is in another relay's mixer is still refused (499), changing nothing", async () => {
    const { h, a } = await bridgedRoom();
    const elsewhere = await room();
    const d = join(elsewhere, 4);
    await elsewhere.ab.placeMedia(d, us);
    expect(() => elsewhere.ab.participants.join(a, { room: ROOM, id: 1 }, { changeroom: true, relay: eu })).toThrow(
      expect.objectContaining({ code: 499 }),
    );
    expect(elsewhere.ids()).toEqual([4]);
    expect(h.ids()).toEqual([1, 3]);
  });

  it('leaving, a failed negotiation and a kick hang the leg up at home; the home link is no longer watched', async () => {
    const { h, c, leg } = await bridgedRoom();
    h.ab.participants.leave(c, 'leave');
    expect(sentOf(h, 'peer.hangup').at(-1)).toMatchObject({
      relay: eu,
      cmd: { sessionId: c.sessionId, handleId: leg },
    });
    expect(h.watched.has('link-eu')).toBe(false);

    const d = join(h, 4);
    await h.ab.placeMedia(d, us);
    const dLeg = h.ab.room.state!.participants.find((x) => x.id === 4)!.bridge!.leg;
    h.ab.participants.mediaFailed(d);
    expect(sentOf(h, 'peer.hangup').at(-1)!.cmd).toMatchObject({ handleId: dLeg });
    expect(h.ab.room.state!.participants.find((x) => x.id === 4)!.bridge).toBeUndefined();

    await h.ab.placeMedia(d, us);
    const again = h.ab.room.state!.participants.find((x) => x.id === 4)!.bridge!.leg;
    await h.ab.sync('kick', { request: 'kick', room: ROOM, secret: 'sec', id: 4 });
    expect(sentOf(h, 'peer.hangup').at(-1)).toMatchObject({ relay: eu, cmd: { handleId: again } });
  });
});

describe('AudioBridge bridging: lost relays', () => {
  it('losing the far relay takes its participants out, their legs at home hung up, the others told', async () => {
    const h = await room();
    const a = join(h, 1);
    const c = join(h, 3);
    await h.ab.placeMedia(a, eu);
    await h.ab.placeMedia(c, us);
    const leg = h.ab.room.state!.participants.find((x) => x.id === 3)!.bridge!.leg;
    h.ab.relayLost('link-us');
    expect(h.ids()).toEqual([1]);
    expect(h.dataTo(a)).toContainEqual({ audiobridge: 'event', room: ROOM, leaving: 3 });
    expect(sentOf(h, 'peer.hangup').at(-1)).toMatchObject({ relay: eu, cmd: { handleId: leg } });
    expect(h.ab.room.state!.relay).toEqual(eu);
  });

  it('losing the home relay re-homes the room on the relay of most bridged participants, each with a new leg', async () => {
    const h = await room();
    const a = join(h, 1);
    const c1 = join(h, 2);
    const c2 = join(h, 3);
    await h.ab.placeMedia(a, eu);
    await h.ab.placeMedia(c1, us);
    await h.ab.placeMedia(c2, us);
    const oldLegs = h.ab.room.state!.participants.filter((x) => x.bridge).map((x) => x.bridge!.leg);
    const joinsBefore = sentOf(h, 'ab.rtpJoin').length;
    h.ab.relayLost('link-eu');
    await h.settle();
    expect(h.ids()).toEqual([2, 3]);
    expect(h.dataTo(c1)).toContainEqual({ audiobridge: 'event', room: ROOM, leaving: 1 });
    const r = h.ab.room.state!;
    expect(r.relay).toEqual(us);
    const legs = sentOf(h, 'ab.rtpJoin').slice(joinsBefore);
    expect(legs.map((l) => l.relay)).toEqual([us, us]);
    for (const p of r.participants) {
      expect(p.relay).toEqual(us);
      expect(oldLegs).not.toContain(p.bridge!.leg);
    }
    const moved = sentOf(h, 'ab.bridgeTo');
    expect(moved.map((m) => [m.relay, m.cmd.handleId])).toEqual([
      [us, c1.handleId],
      [us, c2.handleId],
    ]);
    expect(moved[0]!.cmd).toMatchObject({ target: { ip: 'ip-relay-us', payloadType: 100 } });
    // each new leg has a key of its own, given to both its ends
    for (const [i, m] of moved.entries())
      expect((m.cmd as { target: { srtp: object } }).target.srtp).toEqual((legs[i]!.cmd as { srtp: object }).srtp);
    expect(h.watched.has('link-us')).toBe(true);
    // nothing was sent to the lost relay
    expect(h.relays.sent.slice(joinsBefore).some((s) => s.relay.linkId === 'link-eu')).toBe(false);
  });

  it('a participant that cannot be re-homed leaves, and its handle is told to drop its media', async () => {
    const h = await room();
    const a = join(h, 1);
    const c = join(h, 3);
    await h.ab.placeMedia(a, eu);
    await h.ab.placeMedia(c, us);
    h.relays.failing.set('ab.bridgeTo', 490);
    h.ab.relayLost('link-eu');
    for (let i = 0; i < 5; i++) await h.settle();
    expect(h.ids()).toEqual([]);
    expect(h.toldTo(c).at(-1)).toMatchObject({ kind: 'ab.removed', data: { leaving: 3 } });
    // its new leg is hung up again
    expect(sentOf(h, 'peer.hangup').at(-1)).toMatchObject({ relay: us });
  });

  it('every leg between relays gets SRTP with a key and salt of its own', async () => {
    const h = await room();
    await h.ab.placeMedia(join(h, 1), eu);
    for (const id of [2, 3, 4]) await h.ab.placeMedia(join(h, id), us);
    const keys = sentOf(h, 'ab.rtpJoin').map((l) => (l.cmd as { srtp: AbLegSrtp }).srtp);
    expect(keys).toHaveLength(3);
    for (const k of keys) {
      expect(abLegSrtpSchema.parse(k)).toEqual(k);
      expect(atob(k.key)).toHaveLength(16);
      expect(atob(k.salt)).toHaveLength(14);
    }
    expect(new Set(keys.map((k) => k.key)).size).toBe(3);
    expect(new Set(keys.map((k) => k.salt)).size).toBe(3);
  });
});
