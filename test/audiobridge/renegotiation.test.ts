/**
 * AudioBridge renegotiation through the real stack: janus.js sends `configure` with a new offer for
 * an ICE restart (and when it re-publishes); the answer comes in the `configure` event and the
 * participant stays in the room's mixer, hearing and heard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableDefaultStun, hardenDtls } from '../../relay/peer/werift.js';
import { WebRtcVoice } from '../relay/audiobridge/support/voiceClient.js';
import { waitFor } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { AbParticipant } from './support/abParticipant.js';

const HEARD = 1500;

describe('AudioBridge renegotiation through the stack', () => {
  let stack: Stack;
  const closers: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(c: T): T => (closers.push(c), c);
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c.close().catch(() => undefined);
    await stack?.stop();
  });

  async function joinWithMedia(room: number, id: number, freq: number) {
    const p = track(await AbParticipant.connect(stack));
    const v = track(new WebRtcVoice(freq));
    const ev = await p.ask({ request: 'join', room, id }, { type: 'offer', sdp: await v.offer() });
    await v.accept(ev.jsep.sdp);
    await v.connected();
    v.start();
    return { p, v };
  }

  it('configure with an ICE-restart offer is answered; the participant keeps hearing and being heard', async () => {
    const room = 7_400_000 + Math.floor(Math.random() * 1e5);
    const admin = track(await AbParticipant.connect(stack));
    await admin.sync({ request: 'create', room, sampling_rate: 48000 });
    const a = await joinWithMedia(room, 1, 440);
    const b = await joinWithMedia(room, 2, 880);
    await waitFor(() => a.v.level(880) > HEARD && b.v.level(440) > HEARD, 10_000, 'the room mixes');

    const offer = await a.v.pc.createOffer({ iceRestart: true });
    disableDefaultStun(a.v.pc);
    await a.v.pc.setLocalDescription(offer);
    const ev = await a.p.ask(
      { request: 'configure', muted: false },
      { type: 'offer', sdp: a.v.pc.localDescription!.sdp },
    );
    expect(ev.plugindata?.data, JSON.stringify(ev)).toEqual({ audiobridge: 'event', result: 'ok' });
    expect(ev.jsep?.type).toBe('answer');
    await a.v.pc.setRemoteDescription({ type: 'answer', sdp: ev.jsep.sdp });
    hardenDtls(a.v.pc);
    // werift (the test's client) runs the checks of a restart only when asked; a browser runs them
    for (const dtls of a.v.pc.dtlsTransports) dtls.iceTransport.start().catch(() => undefined);

    a.v.heard.clear();
    b.v.heard.clear();
    await waitFor(() => a.v.level(880) > HEARD && b.v.level(440) > HEARD, 10_000, 'both hear each other after it');
    const listed = await admin.sync({ request: 'listparticipants', room });
    expect(listed.participants.map((x: { id: number }) => x.id).sort()).toEqual([1, 2]);
    await admin.sync({ request: 'destroy', room });
  }, 60_000);
});
