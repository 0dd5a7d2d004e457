/**
 * The AudioBridge through the real stack (edge in workerd, one relay): three werift participants
 * join one room with their offers, sending 440 Hz, 880 Hz and silence. Each hears the others' tones
 * and not its own (Goertzel on the decoded Opus); a participant muted by a moderator is no longer
 * heard; the others hear `setup`, mutes and `leaving`, and the participant list is right after
 * a leave and a hang-up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import type { Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';
import { AbStack, talkingRoom } from './support/abStack.js';

const HEARD = 1500;
const NOT_HEARD = 300;

describe('AudioBridge through the stack', () => {
  const fixture = new AbStack();
  const { voices, people } = fixture;
  let stack: Stack;
  let admin: AbParticipant;
  beforeAll(async () => {
    ({ stack, admin } = await fixture.start());
  });
  afterAll(() => fixture.stop());

  /** Joins `room` as `id` with a werift offer and waits for the PeerConnection. */
  async function joinWithMedia(room: number, id: number, freq: number | undefined) {
    const p = await AbParticipant.connect(stack);
    people.push(p);
    const v = new WebRtcVoice(freq);
    voices.push(v);
    const ev = await p.ask({ request: 'join', room, id, display: `p${id}` }, { type: 'offer', sdp: await v.offer() });
    expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ audiobridge: 'joined', room, id });
    expect(ev.jsep?.type).toBe('answer');
    await v.accept(ev.jsep.sdp);
    await v.connected();
    await p.janus.waitEvent((m) => m.janus === 'webrtcup' && m.sender === p.handleId, 15_000, 'webrtcup');
    v.start();
    return { p, v, joined: ev.plugindata.data as Record<string, any> };
  }

  it('three participants hear each other and not themselves; a muted one is not heard', async () => {
    const room = 7_000_000 + Math.floor(Math.random() * 1e6);
    expect(await admin.sync({ request: 'create', room, secret: 'sec', sampling_rate: 48000 })).toMatchObject({
      audiobridge: 'created',
      room,
    });
    const a = await joinWithMedia(room, 1, 440);
    const b = await joinWithMedia(room, 2, 880);
    // No audio-level extension in these offers: as in Janus, no `talking` in the list.
    expect(b.joined.participants).toEqual([{ id: 1, display: 'p1', setup: true, muted: false }]);
    // A heard B arrive, then B's media set up.
    await a.p.waitData((d) => d.audiobridge === 'joined' && d.participants?.[0]?.id === 2, 'B joined');
    await a.p.waitData((d) => d.audiobridge === 'event' && d.participants?.[0]?.setup === true, 'B set up');
    const c = await joinWithMedia(room, 3, undefined);

    await waitFor(() => a.v.level(880) > HEARD, 8000, 'A hears B');
    await waitFor(() => b.v.level(440) > HEARD, 8000, 'B hears A');
    await waitFor(() => c.v.level(440) > HEARD && c.v.level(880) > HEARD, 8000, 'C hears A and B');
    expect(a.v.level(440), 'A does not hear itself').toBeLessThan(NOT_HEARD);
    expect(b.v.level(880), 'B does not hear itself').toBeLessThan(NOT_HEARD);

    const listed = await admin.sync({ request: 'listparticipants', room });
    expect(listed.participants.map((x: any) => x.id).sort()).toEqual([1, 2, 3]);
    expect(listed.participants.every((x: any) => x.setup === true)).toBe(true);

    // A moderator mutes A: everyone hears of it, and C no longer hears A's tone.
    expect(await admin.sync({ request: 'mute', room, secret: 'sec', id: 1 })).toEqual({ audiobridge: 'success', room });
    for (const who of [a.p, b.p, c.p])
      await who.waitData((d) => d.participants?.[0]?.id === 1 && d.participants[0].muted === true, 'A muted');
    await waitFor(() => c.v.level(440) < NOT_HEARD, 8000, 'C no longer hears A');
    expect(c.v.level(880)).toBeGreaterThan(HEARD);
    await admin.sync({ request: 'unmute', room, secret: 'sec', id: 1 });
    await waitFor(() => c.v.level(440) > HEARD, 8000, 'C hears A again');

    // B leaves (its PeerConnection goes with it), C hangs up: A hears both go, the list follows.
    const left = await b.p.ask({ request: 'leave' });
    expect(left.plugindata.data).toEqual({ audiobridge: 'left', room, id: 2 });
    await a.p.waitData((d) => d.leaving === 2, 'B leaving');
    await c.p.hangup();
    await a.p.waitData((d) => d.leaving === 3, 'C leaving (hang-up)');
    expect((await admin.sync({ request: 'listparticipants', room })).participants.map((x: any) => x.id)).toEqual([1]);
    await waitFor(() => a.v.level(880) < NOT_HEARD, 8000, 'A no longer hears B');

    // Destroying the room tells A and ends its media.
    await admin.sync({ request: 'destroy', room, secret: 'sec' });
    await a.p.waitData((d) => d.audiobridge === 'destroyed', 'destroyed');
    await a.p.janus.waitEvent((m) => m.janus === 'hangup' && m.sender === a.p.handleId, 10_000, 'A hung up');
  }, 120_000);

  it('talking events from the mixer reach every participant, the talker too, and the list', async () => {
    const room = 7_000_000 + Math.floor(Math.random() * 1e6);
    await admin.sync(talkingRoom(room));
    const a = await joinWithMedia(room, 1, 440);
    const b = await joinWithMedia(room, 2, undefined);
    for (const who of [a.p, b.p])
      expect((await who.waitData((d) => d.audiobridge === 'talking', 'talking', 15_000)).plugindata.data).toEqual({
        audiobridge: 'talking',
        room,
        id: 1,
      });
    const listed = await admin.sync({ request: 'listparticipants', room });
    expect(listed.participants.find((x: any) => x.id === 1)).toMatchObject({ talking: true });
    // A falls silent (keeps sending, silence): the level average drops and the mixer says so.
    (a.v as unknown as { tone: undefined }).tone = undefined;
    expect(
      (await b.p.waitData((d) => d.audiobridge === 'stopped-talking', 'stopped-talking', 15_000)).plugindata.data,
    ).toEqual({ audiobridge: 'stopped-talking', room, id: 1 });
    await admin.sync({ request: 'destroy', room, secret: 'sec' });
  }, 60_000);
});
