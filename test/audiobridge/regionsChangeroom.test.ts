/**
 * changeroom of a bridged participant between rooms mixing on different relays (RELAY_REGIONS=eu,us),
 * through the whole stack with werift participants sending tones. C's PeerConnection stays in us the
 * whole time: bridged to room 1 mixing in eu, it moves to room 2 mixing in us (its old leg in eu goes
 * through the one leave path, a new leg opens in us and the bridge is re-pointed), then back to room 1
 * (a new leg in eu again). Each time it hears and is heard by the room it is in, and not the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import type { AbParticipant } from './support/abParticipant.js';
import { AbRegions } from './support/abRegions.js';

const HEARD = 1500;
const NOT_HEARD = 300;
const newRoom = () => 8_500_000 + Math.floor(Math.random() * 1e6);

/** Polls an asynchronous condition (a relay's counters) until it holds. */
async function until(pred: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Resources {
  audiobridge: { mixers: number; participants: number; rtpSockets: number };
}

describe('AudioBridge changeroom of a bridged participant across relays', () => {
  const fixture = new AbRegions();
  let admin: AbParticipant;
  const resources = async (region: string) => (await fixture.resources<Resources>(region)).audiobridge;
  const join = (room: number, id: number, region: string, freq: number) => fixture.join(room, id, region, freq);
  const ids = async (room: number) =>
    (await admin.sync({ request: 'listparticipants', room })).participants.map((x: { id: number }) => x.id).sort();

  beforeAll(async () => {
    ({ admin } = await fixture.start());
  }, 120_000);
  afterAll(() => fixture.stop());

  it('moves to a room mixing in its own region and back, hearing only the room it is in', async () => {
    const room1 = newRoom();
    const room2 = room1 + 1;
    await admin.sync({ request: 'create', room: room1 });
    await admin.sync({ request: 'create', room: room2 });
    const baseEu = await resources('eu');
    const baseUs = await resources('us');
    const a = await join(room1, 1, 'eu', 440); // room 1 mixes in eu
    const d = await join(room2, 4, 'us', 880); // room 2 mixes in us
    const c = await join(room1, 3, 'us', 660); // bridged to room 1's mixer in eu
    await waitFor(
      () => a.v.level(660) > HEARD && c.v.level(440) > HEARD,
      10_000,
      'A and the bridged C hear each other',
    );
    expect((await resources('eu')).rtpSockets).toBe(baseEu.rtpSockets + 1);
    // C's bridge in us has a socket of its own towards its leg
    const usBridged = (await resources('us')).rtpSockets;

    const moved = await c.p.ask({ request: 'changeroom', room: room2, id: 3 });
    expect(moved.plugindata.data).toMatchObject({ audiobridge: 'roomchanged', room: room2, id: 3 });
    expect(await ids(room1)).toEqual([1]);
    expect(await ids(room2)).toEqual([3, 4]);
    await waitFor(() => c.v.level(880) > HEARD && d.v.level(660) > HEARD, 10_000, 'C and D hear each other');
    await waitFor(() => a.v.level(660) < NOT_HEARD && c.v.level(440) < NOT_HEARD, 8000, 'A and C apart');
    // the leg in eu went with room 1; the new one is in us, beside D's mixer
    await until(async () => (await resources('eu')).rtpSockets === baseEu.rtpSockets, 5000, 'old leg closed');
    expect((await resources('us')).rtpSockets).toBe(usBridged + 1);

    const back = await c.p.ask({ request: 'changeroom', room: room1, id: 3 });
    expect(back.plugindata.data).toMatchObject({ audiobridge: 'roomchanged', room: room1, id: 3 });
    await waitFor(() => a.v.level(660) > HEARD && c.v.level(440) > HEARD, 10_000, 'C back with A');
    await waitFor(() => d.v.level(660) < NOT_HEARD && c.v.level(880) < NOT_HEARD, 8000, 'C and D apart');
    await until(async () => (await resources('us')).rtpSockets === usBridged, 5000, 'us leg closed');
    expect((await resources('eu')).rtpSockets).toBe(baseEu.rtpSockets + 1);
    expect(await ids(room1)).toEqual([1, 3]);
    expect(await ids(room2)).toEqual([4]);

    await admin.sync({ request: 'destroy', room: room1 });
    await admin.sync({ request: 'destroy', room: room2 });
    await until(
      async () =>
        (await resources('eu')).rtpSockets === baseEu.rtpSockets &&
        (await resources('us')).rtpSockets === baseUs.rtpSockets &&
        (await resources('us')).mixers === 0,
      10_000,
      'every leg and mixer released',
    );
  }, 90_000);
});
