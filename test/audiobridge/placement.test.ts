/**
 * Where an AudioBridge room mixes, with relays in two regions (RELAY_REGIONS=eu,us): the first
 * participant's usual placement (its region) chooses the room's relay; later participants stay on
 * their region's relay, bridged to it (test/audiobridge/regions.test.ts goes further), and hear each
 * other; when everyone with media is gone the next join re-homes the room; losing the room's relay
 * (SIGKILL) takes its participants there out as a hang-up would, and re-homes the room for the bridged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import type { Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';
import { AbStack } from './support/abStack.js';

const HEARD = 1500;

describe('AudioBridge room placement across regions', () => {
  const fixture = new AbStack();
  const { voices, people } = fixture;
  let stack: Stack;
  let admin: AbParticipant;
  beforeAll(async () => {
    ({ stack, admin } = await fixture.start({ RELAY_REGIONS: 'eu,us' }));
  });
  afterAll(() => fixture.stop());

  const relayOf = (region: string) => stack.relays.find((r) => r.region === region)!;

  async function joinFrom(region: string, room: number, id: number, freq: number | undefined) {
    const p = await AbParticipant.connect(stack, region);
    people.push(p);
    const v = new WebRtcVoice(freq);
    voices.push(v);
    const ev = await p.ask({ request: 'join', room, id }, { type: 'offer', sdp: await v.offer() });
    expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ audiobridge: 'joined', id });
    await v.accept(ev.jsep.sdp);
    await v.connected();
    v.start();
    return { p, v };
  }

  it('the first join chooses the relay, later ones are bridged from their region; the room re-homes once empty', async () => {
    const room = 5_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room });
    const a = await joinFrom('eu', room, 1, 440);
    const b = await joinFrom('us', room, 2, 880);
    expect((await a.p.pluginInfo(stack)).relay).toBe(relayOf('eu').id);
    expect((await b.p.pluginInfo(stack)).relay, 'B stays in its region, bridged to the room').toBe(relayOf('us').id);
    await waitFor(() => a.v.level(880) > HEARD && b.v.level(440) > HEARD, 8000, 'A and B hear each other');

    for (const x of [a, b]) await x.p.hangup();
    // Each hang-up reaches the room after its `success`: the list empties shortly after.
    for (let i = 0; (await admin.sync({ request: 'listparticipants', room })).participants.length > 0; i++) {
      if (i > 100) throw new Error('the room did not empty');
      await new Promise((r) => setTimeout(r, 50));
    }
    const c = await joinFrom('us', room, 3, 660);
    expect((await c.p.pluginInfo(stack)).relay, 'the empty room re-homes').toBe(relayOf('us').id);
  }, 120_000);

  it("losing the room's relay takes its participants there out; the bridged one carries the room on", async () => {
    const room = 5_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync({ request: 'create', room });
    const a = await joinFrom('us', room, 1, 440);
    const b = await joinFrom('eu', room, 2, 880);
    expect((await b.p.pluginInfo(stack)).relay).toBe(relayOf('eu').id);
    const watcher = await AbParticipant.connect(stack, 'eu');
    people.push(watcher);
    await watcher.ask({ request: 'join', room, id: 9 });

    process.kill(relayOf('us').pid, 'SIGKILL');
    await a.p.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === a.p.handleId, 8000, 'hangup on relay loss');
    await watcher.waitData((d) => d.leaving === 1, 'A leaving');
    expect((await admin.sync({ request: 'listparticipants', room })).participants.map((x: any) => x.id).sort()).toEqual(
      [2, 9],
    );

    // the room now mixes on eu, where B's bridge is: C joins there directly and B hears it
    const c = await joinFrom('eu', room, 3, 660);
    expect((await c.p.pluginInfo(stack)).relay).toBe(relayOf('eu').id);
    await waitFor(() => b.v.level(660) > HEARD && c.v.level(880) > HEARD, 8000, 'B and C hear each other');
  }, 120_000);
});
