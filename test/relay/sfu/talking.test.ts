/**
 * Talking detection on the relay (Janus `audiolevel_event`): a VideoRoom publisher negotiates the
 * RFC 6464 audio-level extension, and the relay averages the levels of `packets` packets and reports
 * `sfu.talking` when the state changes (average below `average` = talking).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { waitFor } from '../support/client.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { AUDIO_LEVEL_EXT_ID, PubClient, publish, sleep } from './support.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 7700;
const ROOM = 4242;

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '42700',
    RELAY_ICE_PORT_MAX: '42799',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

/** The audio m-section of an SDP. */
const audioSection = (sdp: string) => sdp.split(/\r\n(?=m=)/).find((s) => s.startsWith('m=audio'))!;

describe('VideoRoom SFU talking detection', () => {
  it('reports talking for loud audio levels and stopped talking for silence, from the audio-level extension', async () => {
    const pub = new PubClient(31, { video: false, audioLevel: true });
    try {
      const p = await publish(link, SESSION, pub, { room: ROOM, talking: { packets: 10, average: 25 } });
      expect(audioSection(p.answer)).toContain(
        `a=extmap:${AUDIO_LEVEL_EXT_ID} urn:ietf:params:rtp-hdrext:ssrc-audio-level`,
      );
      const mid = p.streams[0]!.mid;
      const talking = () => link.eventsFor(SESSION, p.handle).filter((e) => e.kind === 'sfu.talking');

      pub.level = 127;
      pub.start();
      await sleep(600); // 30 silent packets: silence is the initial state, nothing to report
      expect(talking()).toEqual([]);

      pub.level = 10;
      const on = await link.waitEvent(SESSION, p.handle, 'sfu.talking', (e) => e.talking, 3000);
      expect(on).toMatchObject({ kind: 'sfu.talking', room: ROOM, mid, talking: true });
      expect(on.level).toBeLessThan(25);

      pub.level = 127;
      const off = await link.waitEvent(SESSION, p.handle, 'sfu.talking', (e) => !e.talking, 3000);
      expect(off).toMatchObject({ kind: 'sfu.talking', room: ROOM, mid, talking: false });
      expect(off.level).toBeGreaterThanOrEqual(25); // (the window may straddle the change)
      // only the changes are reported
      await sleep(500);
      expect(talking().map((e) => (e as { talking: boolean }).talking)).toEqual([true, false]);

      // the thresholds can change on the fly (Janus `configure` audio_level_average): 10 is not below 5
      await link.call({ op: 'sfu.configure', sessionId: SESSION, handleId: p.handle, talking: { average: 5 } });
      pub.level = 10;
      await sleep(800);
      expect(talking()).toHaveLength(2);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      pub.stop();
      await pub.close();
    }
  });

  it('neither negotiates the extension nor reports anything when the room turns it off', async () => {
    const pub = new PubClient(32, { video: false, audioLevel: true });
    try {
      const p = await publish(link, SESSION, pub, { room: ROOM, audioLevelExt: false, talking: { packets: 10 } });
      expect(audioSection(p.answer)).not.toContain('ssrc-audio-level');
      pub.level = 0;
      pub.start();
      await sleep(800);
      expect(link.eventsFor(SESSION, p.handle).filter((e) => e.kind === 'sfu.talking')).toEqual([]);
      await waitFor(() => pub.sent.audio > 30, 2000, 'audio sent');
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      pub.stop();
      await pub.close();
    }
  });
});
