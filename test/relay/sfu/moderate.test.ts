/**
 * `sfu.moderate` (Janus `moderate`) on the relay: a muted publisher stream reaches no subscriber
 * while its other streams keep flowing; unmuting resumes it with a keyframe request and no hole in
 * the subscriber's sequence numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { waitFor } from '../support/client.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { PubClient, publish, seqStats, sleep, SubClient, subscribe } from './support.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 7500;

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '42500',
    RELAY_ICE_PORT_MAX: '42599',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});

afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

const midOf = (streams: Array<{ type: string; mid: string }>, type: string) =>
  streams.find((s) => s.type === type)!.mid;

describe('VideoRoom SFU moderation', () => {
  it('mute stops one stream for every subscriber, unmute resumes it with a keyframe request and a continuous sequence', async () => {
    const pub = new PubClient(21);
    const subs = [new SubClient(), new SubClient()];
    try {
      const p = await publish(link, SESSION, pub);
      const [am, vm] = [midOf(p.streams, 'audio'), midOf(p.streams, 'video')];
      const legs: Array<{ sub: SubClient; audio: string; video: string; handle: number }> = [];
      for (const sub of subs) {
        const s = await subscribe(link, SESSION, sub, [
          { feedId: 21, feedKey: p.key, feedMid: am, type: 'audio' },
          { feedId: 21, feedKey: p.key, feedMid: vm, type: 'video' },
        ]);
        legs.push({ sub, audio: s.streams[0]!.mid, video: s.streams[1]!.mid, handle: s.handle });
      }
      pub.start(100);
      await waitFor(
        () => legs.every((l) => l.sub.rec(l.video).packets >= 20 && l.sub.rec(l.audio).packets >= 10),
        5000,
        'media flowing',
      );

      await link.call({ op: 'sfu.moderate', sessionId: SESSION, handleId: p.handle, mid: vm, mute: true });
      await sleep(150); // packets already on the wire
      const video = legs.map((l) => l.sub.rec(l.video).packets);
      const audio = legs.map((l) => l.sub.rec(l.audio).packets);
      const sentDuringMute = pub.sent.video;
      await sleep(600);
      expect(pub.sent.video - sentDuringMute).toBeGreaterThan(40); // the publisher kept sending
      legs.forEach((l, i) => {
        expect(l.sub.rec(l.video).packets, `subscriber ${i} video while muted`).toBe(video[i]);
        expect(l.sub.rec(l.audio).packets, `subscriber ${i} audio while video is muted`).toBeGreaterThan(
          audio[i]! + 20,
        );
      });
      const info = (await link.request({ op: 'peer.info', sessionId: SESSION, handleId: p.handle })) as unknown as {
        ok: true;
        result: { sfu: { feeds: Array<{ mid: string; moderated: boolean }> } };
      };
      expect(info.result.sfu.feeds.find((f) => f.mid === vm)?.moderated).toBe(true);

      await sleep(1000); // let the keyframe-request window of the stream pass
      const plis = pub.plis;
      await link.call({ op: 'sfu.moderate', sessionId: SESSION, handleId: p.handle, mid: vm, mute: false });
      await waitFor(() => pub.plis > plis, 2000, 'keyframe request on unmute');
      await waitFor(
        () => legs.every((l, i) => l.sub.rec(l.video).packets >= video[i]! + 30),
        5000,
        'video again after unmute',
      );
      for (const l of legs) {
        const st = seqStats(l.sub.rec(l.video).seqs);
        expect(st.maxGap, 'no hole where the muted packets were').toBeLessThanOrEqual(2);
        expect(st.backwards).toBe(0);
      }

      // unknown mid, and a subscriber peer, are invalid streams (466)
      const bad = await link.request({
        op: 'sfu.moderate',
        sessionId: SESSION,
        handleId: p.handle,
        mid: 'nope',
        mute: true,
      });
      expect(bad).toMatchObject({ ok: false, error: { code: 466 } });
      const notPub = await link.request({
        op: 'sfu.moderate',
        sessionId: SESSION,
        handleId: legs[0]!.handle,
        mid: legs[0]!.video,
        mute: true,
      });
      expect(notPub).toMatchObject({ ok: false, error: { code: 466 } });
      for (const h of [...legs.map((l) => l.handle), p.handle])
        await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
    } finally {
      pub.stop();
      await pub.close();
      for (const s of subs) await s.close();
    }
  });
});
