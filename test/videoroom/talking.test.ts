/**
 * VideoRoom talking events through the real stack (§5.1 audiolevel_*, §5.3): in a room created with
 * `audiolevel_event`, a publisher whose audio carries loud RFC 6464 levels makes every participant
 * (itself included) get `{videoroom:"talking", room, id, mid, audio-level-dBov-avg}`, and silence
 * then `stopped-talking`; `listparticipants` follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PubClient } from '../relay/sfu/support.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant } from './support/participant.js';

describe('VideoRoom talking events', () => {
  let stack: Stack;
  let admin: Participant;
  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('announces talking and stopped-talking from the audio levels a publisher sends', async () => {
    const room = 9_000_000 + Math.floor(Math.random() * 1e6);
    expect(
      (
        await admin.sync({
          request: 'create',
          room,
          audiolevel_event: true,
          audio_active_packets: 10,
          audio_level_average: 30,
        })
      ).videoroom,
    ).toBe('created');
    const listed = (await admin.sync({ request: 'list' })).list.find((r: any) => r.room === room);
    expect(listed).toMatchObject({ audiolevel_ext: true, audiolevel_event: true });

    const p = await Participant.connect(stack);
    expect((await p.ask({ request: 'join', ptype: 'publisher', room, id: 1 })).plugindata.data.videoroom).toBe(
      'joined',
    );
    const other = await Participant.connect(stack);
    expect((await other.ask({ request: 'join', ptype: 'publisher', room, id: 2 })).plugindata.data.videoroom).toBe(
      'joined',
    );
    const client = new PubClient(1, { video: false, audioLevel: true });
    try {
      const ev = await p.ask({ request: 'configure', audio: true }, { type: 'offer', sdp: await client.offer() });
      expect(ev.plugindata.data).toMatchObject({ videoroom: 'event', configured: 'ok' });
      expect(ev.jsep.sdp).toMatch(/a=extmap:\d+ urn:ietf:params:rtp-hdrext:ssrc-audio-level/);
      await client.accept(ev.jsep.sdp);
      await client.connected();
      const mid = client.audio!.mid!;

      client.level = 5;
      client.start();
      for (const who of [p, other]) {
        const t = (await who.waitData((d) => d.videoroom === 'talking', 'talking')).plugindata.data;
        expect(Object.keys(t).sort()).toEqual(['audio-level-dBov-avg', 'id', 'mid', 'room', 'videoroom']);
        expect(t).toMatchObject({ videoroom: 'talking', room, id: 1, mid });
        expect(t['audio-level-dBov-avg']).toBeLessThan(30);
      }
      const during = await admin.sync({ request: 'listparticipants', room });
      expect(during.participants.find((x: any) => x.id === 1)).toMatchObject({ publisher: true, talking: true });

      client.level = 127;
      for (const who of [p, other]) {
        const t = (await who.waitData((d) => d.videoroom === 'stopped-talking', 'stopped-talking')).plugindata.data;
        expect(t).toMatchObject({ videoroom: 'stopped-talking', room, id: 1, mid });
        expect(t['audio-level-dBov-avg']).toBeGreaterThanOrEqual(30);
      }
      const after = await admin.sync({ request: 'listparticipants', room });
      expect(after.participants.find((x: any) => x.id === 1)).toMatchObject({ publisher: true, talking: false });
    } finally {
      client.stop();
      await client.close();
    }
  }, 120_000);
});
