import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import type { RelayLink } from '../support/edge.js';
import { localOffer, remoteAnswer } from '../support/negotiate.js';
import { relayFixture } from '../support/relayFixture.js';
import {
  handleId,
  offeringSubscriber,
  publish,
  PubClient,
  restartByOffer,
  sleep,
  SubClient,
  VIDEOROOM,
} from './support.js';

const SESSION = 7400;

const fx = relayFixture([42300, 42399]);
let link: RelayLink;
beforeAll(() => void ({ link } = fx));
const track = fx.track.bind(fx);

/**
 * A subscriber that brings its own offer (what a WHEP player does): the relay answers, each requested
 * stream on the client's first m-line of its kind, extra m-lines inactive.
 */
describe('VideoRoom subscriber with a client offer', () => {
  it('answers a recvonly offer with the feeds on its m-lines, and media flows to them', async () => {
    const pub = track(new PubClient(3));
    const p = await publish(link, SESSION, pub, { audiocodec: 'opus', videocodec: 'vp8' });
    const am = p.streams.find((s) => s.type === 'audio')!.mid;
    const vm = p.streams.find((s) => s.type === 'video')!.mid;

    const sub = track(new SubClient());
    // A player's offer: audio and video to receive, plus a second video m-line nothing is asked for.
    for (const kind of ['audio', 'video', 'video'] as const) sub.pc.addTransceiver(kind, { direction: 'recvonly' });
    const offer = await localOffer(sub.pc);
    const handle = handleId();
    const reply = await link.request({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: handle,
      plugin: VIDEOROOM,
      offer: { sdp: offer },
      options: {
        role: 'subscriber',
        streams: [
          { feedId: 3, feedKey: p.key, feedMid: am, type: 'audio' },
          { feedId: 3, feedKey: p.key, feedMid: vm, type: 'video' },
        ],
      },
    } as CommandInput);
    if (!reply.ok) throw new Error(`${reply.error.code} ${reply.error.reason}`);
    const result = reply.result as {
      answer: { type: string; sdp: string };
      streams: Array<{ type: string; mid: string; active: boolean; feedMid: string }>;
    };
    expect(result.answer.type).toBe('answer');
    const offeredMids = sub.pc.getTransceivers().map((t) => t.mid!);
    expect(result.streams.map((s) => [s.type, s.mid, s.active, s.feedMid])).toEqual([
      ['audio', offeredMids[0], true, am],
      ['video', offeredMids[1], true, vm],
    ]);
    const sections = result.answer.sdp.split(/\r\nm=/).slice(1);
    expect(sections.map((s) => /a=(sendonly|recvonly|inactive|sendrecv)/.exec(s)?.[1])).toEqual([
      'sendonly',
      'sendonly',
      'inactive',
    ]);
    expect(sections[1]).toMatch(/VP8\/90000/);
    await remoteAnswer(sub.pc, result.answer.sdp);
    await sub.connected();
    pub.start(100);
    await waitFor(
      () => sub.rec(offeredMids[0]!).packets > 10 && sub.rec(offeredMids[1]!).packets > 10,
      5000,
      'media on the offered m-lines',
    );
    pub.stop();
    await sleep(200);
    expect(sub.rec(offeredMids[2]!).packets).toBe(0);
  });

  it('answers a new offer on the same m-lines (an ICE restart): new credentials, media goes on; other m-lines 465', async () => {
    const pub = track(new PubClient(4));
    const p = await publish(link, SESSION, pub, { audiocodec: 'opus', videocodec: 'vp8' });
    const { sub, key, first, mid } = await offeringSubscriber(link, SESSION, 4, p);
    track(sub);
    pub.start(100);
    await waitFor(() => sub.rec(mid).packets > 10, 5000, 'media before the restart');

    // Another m-line is refused and changes nothing.
    const other = track(new SubClient());
    for (const kind of ['video', 'audio'] as const) other.pc.addTransceiver(kind, { direction: 'recvonly' });
    const refused = await link.request({ op: 'peer.offer', ...key, sdp: await localOffer(other.pc) } as CommandInput);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe(465);

    await restartByOffer(link, key, sub, first, mid);
    const info = (await link.call({ op: 'peer.info', ...key } as CommandInput)) as { sdps: { remoteType: string } };
    expect(info.sdps.remoteType).toBe('offer');
    pub.stop();
  });

  it('refuses an offer that is no SDP (465) and leaves no peer', async () => {
    const reply = await link.request({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: handleId(),
      plugin: VIDEOROOM,
      offer: { sdp: 'v=0\r\nnot sdp\r\n' },
      options: { role: 'subscriber', streams: [] },
    } as CommandInput);
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(465);
  });
});
