/**
 * VideoRoom subscriber stream management through the real stack (§5.4): `switch` re-points an
 * m-line to another publisher without renegotiation, and `subscribe` / `unsubscribe` / `update`
 * renegotiate (a new offer each time, answered with `start` + a JSEP answer), reporting the new
 * m-line list in `updated`.
 *
 * The two publishers' packets are told apart by their payload tags: EchoClient numbers its tags from
 * 1, so publisher B's counter is moved to {@link B_TAGS} and every tag at or above it is B's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

const B_TAGS = 1_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Video tags `client` echoed from now on, for `ms` milliseconds. */
async function videoTagsDuring(client: EchoClient, ms: number): Promise<number[]> {
  const before = new Set(client.echoedTags.video);
  await sleep(ms);
  return [...client.echoedTags.video].filter((t) => !before.has(t));
}

/** Tags (any kind) received on each m-line of `client` during `ms` milliseconds. */
async function tagsByMidDuring(client: EchoClient, ms: number): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const subs: Array<{ unSubscribe: () => void }> = [];
  for (const t of client.pc.getTransceivers()) {
    const mid = t.mid ?? '?';
    out.set(mid, []);
    const track = t.receiver.tracks[0];
    if (!track) continue;
    subs.push(
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.payload.length >= 5 && rtp.payload[0] === 0x7e) out.get(mid)!.push(rtp.payload.readUInt32BE(1));
      }),
    );
  }
  await sleep(ms);
  for (const s of subs) s.unSubscribe();
  return out;
}

describe('VideoRoom switch and subscription updates through the relay', () => {
  let stack: Stack;
  let admin: Participant;
  let room: number;
  let A: Awaited<ReturnType<typeof publish>>;
  let B: Awaited<ReturnType<typeof publish>>;
  let bVideoMid: string;
  let bAudioMid: string;
  let aVideoMid: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await Participant.connect(stack);
    room = 7_000_000 + Math.floor(Math.random() * 1e6);
    expect((await admin.sync({ request: 'create', room, publishers: 4 })).videoroom).toBe('created');
    A = await publish(stack, room, 1);
    B = await publish(stack, room, 2);
    (B.client as unknown as { tag: number }).tag = B_TAGS;
    // A hears about B's streams: take B's mids from the announcement (§5.3 publisher entry).
    const ann = await A.p.waitData(
      (d) => Array.isArray(d.publishers) && d.publishers.some((p: any) => p.id === 2),
      'B announced to A',
    );
    const bEntry = ann.plugindata.data.publishers.find((p: any) => p.id === 2);
    bVideoMid = bEntry.streams.find((s: any) => s.type === 'video').mid;
    bAudioMid = bEntry.streams.find((s: any) => s.type === 'audio').mid;
    for (const pub of [A, B]) {
      pub.client.startSending(pub.audio, 40);
      pub.client.startSending(pub.video, 20);
    }
  }, 120_000);

  afterAll(async () => {
    for (const pub of [A, B]) await pub?.client.close();
    await stack?.stop();
  });

  it('switches a subscriber video m-line from publisher A to publisher B: B arrives, A stops', async () => {
    const sub = await subscribe(stack, room, [1]);
    const vLine = sub.streams.find((s) => s.type === 'video')!;
    const aLine = sub.streams.find((s) => s.type === 'audio')!;
    expect(vLine).toMatchObject({ feed_id: 1, active: true });
    aVideoMid = vLine.feed_mid;
    await waitFor(() => sub.client.echoedTags.video.size > 10, 10_000, 'A video at the subscriber');
    const fromA = await videoTagsDuring(sub.client, 500);
    expect(fromA.length).toBeGreaterThan(5);
    expect(
      fromA.every((t) => t < B_TAGS),
      'only A before the switch',
    ).toBe(true);

    const sw = await sub.s.ask({ request: 'switch', streams: [{ feed: 2, mid: bVideoMid, sub_mid: vLine.mid }] });
    expect(sw.jsep, 'switch needs no renegotiation').toBeUndefined();
    expect(sw.plugindata.data).toMatchObject({ videoroom: 'event', room, switched: 'ok', changes: 1 });
    const streams = sw.plugindata.data.streams as Array<Record<string, any>>;
    expect(streams.find((s) => s.mid === vLine.mid)).toMatchObject({
      type: 'video',
      active: true,
      feed_id: 2,
      feed_mid: bVideoMid,
    });
    expect(streams.find((s) => s.mid === aLine.mid)).toMatchObject({ type: 'audio', active: true, feed_id: 1 });

    // Packets already in flight may still land; after that only B's.
    await sleep(300);
    const after = await tagsByMidDuring(sub.client, 1500);
    const video = after.get(vLine.mid)!;
    expect(video.length, 'B video after the switch').toBeGreaterThan(30);
    expect(
      video.filter((t) => t < B_TAGS),
      'no A video after the switch',
    ).toEqual([]);
    // The audio m-line was not switched: still A's.
    const audio = after.get(aLine.mid)!;
    expect(audio.length).toBeGreaterThan(10);
    expect(audio.every((t) => t < B_TAGS)).toBe(true);

    // Switching to a stream of another kind, to an unknown feed or an unknown m-line fails, changing nothing.
    const wrongKind = await sub.s.ask({
      request: 'switch',
      streams: [{ feed: 2, mid: bAudioMid, sub_mid: vLine.mid }],
    });
    expect(wrongKind.plugindata.data.error_code).toBe(430);
    const noFeed = await sub.s.ask({ request: 'switch', streams: [{ feed: 99, mid: bVideoMid, sub_mid: vLine.mid }] });
    expect(noFeed.plugindata.data.error_code).toBe(428);
    const noLine = await sub.s.ask({ request: 'switch', streams: [{ feed: 1, mid: aVideoMid, sub_mid: '77' }] });
    expect(noLine.plugindata.data.error_code).toBe(430);
    const still = await tagsByMidDuring(sub.client, 500);
    expect(still.get(vLine.mid)!.length).toBeGreaterThan(5);
    expect(still.get(vLine.mid)!.every((t) => t >= B_TAGS)).toBe(true);

    // And back to A.
    const back = await sub.s.ask({ request: 'switch', streams: [{ feed: 1, mid: aVideoMid, sub_mid: vLine.mid }] });
    expect(back.plugindata.data).toMatchObject({ switched: 'ok', changes: 1 });
    await sleep(300);
    const again = (await tagsByMidDuring(sub.client, 1000)).get(vLine.mid)!;
    expect(again.length).toBeGreaterThan(20);
    expect(again.filter((t) => t >= B_TAGS)).toEqual([]);

    await sub.s.ask({ request: 'leave' });
    await sub.client.close();
    await sub.s.close();
  }, 60_000);

  it('a switched m-line belongs to its new feed: a renegotiation lists it so, unsubscribing that feed stops it', async () => {
    const sub = await subscribe(stack, room, [1]);
    const vLine = sub.streams.find((s) => s.type === 'video')!;
    const aLine = sub.streams.find((s) => s.type === 'audio')!;
    const sw = await sub.s.ask({ request: 'switch', streams: [{ feed: 2, mid: bVideoMid, sub_mid: vLine.mid }] });
    expect(sw.plugindata.data).toMatchObject({ switched: 'ok', changes: 1 });

    /** Sends `body`, answers the offer of its `updated`, returns the streams it lists. */
    const renegotiate = async (body: Record<string, unknown>) => {
      const ev = await sub.s.ask(body);
      expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ videoroom: 'updated', room });
      const answer = await sub.client.acceptOffer(ev.jsep.sdp);
      const started = await sub.s.ask({ request: 'start' }, { type: 'answer', sdp: answer });
      expect(started.plugindata?.data, JSON.stringify(started)).toMatchObject({ started: 'ok' });
      return ev.plugindata.data.streams as Array<Record<string, any>>;
    };

    // The renegotiation's list comes from the relay: the switched m-line must be B's there too.
    const s1 = await renegotiate({ request: 'subscribe', streams: [{ feed: 2, mid: bAudioMid }] });
    expect(s1.find((s) => s.mid === vLine.mid)).toMatchObject({
      type: 'video',
      active: true,
      feed_id: 2,
      feed_mid: bVideoMid,
    });
    expect(s1.find((s) => s.mid === aLine.mid)).toMatchObject({ type: 'audio', active: true, feed_id: 1 });

    // Unsubscribing from B takes the switched m-line too; A's audio stays.
    const s2 = await renegotiate({ request: 'unsubscribe', streams: [{ feed: 2 }] });
    expect(s2.find((s) => s.mid === vLine.mid)?.active, JSON.stringify(s2)).toBe(false);
    expect(s2.filter((s) => s.active).map((s) => [s.type, s.feed_id])).toEqual([['audio', 1]]);
    await sleep(300);
    const got = await tagsByMidDuring(sub.client, 1000);
    expect(got.get(vLine.mid)!, 'nothing on the unsubscribed switched m-line').toEqual([]);
    expect(got.get(aLine.mid)!.length).toBeGreaterThan(10);

    await sub.s.ask({ request: 'leave' });
    await sub.client.close();
    await sub.s.close();
  }, 60_000);

  it('subscribe / unsubscribe / update renegotiate with a new offer each, listing the m-lines in `updated`', async () => {
    const sub = await subscribe(stack, room, [1]);
    expect(sub.streams.map((s) => [s.type, s.feed_id, s.active])).toEqual([
      ['audio', 1, true],
      ['video', 1, true],
    ]);
    const [a1, v1] = sub.streams.map((s) => s.mid as string);

    /** Sends `body`, expects `updated` + an offer, answers it with `start`, returns the streams. */
    const renegotiate = async (body: Record<string, unknown>) => {
      const ev = await sub.s.ask(body);
      expect(ev.plugindata?.data, JSON.stringify(ev)).toMatchObject({ videoroom: 'updated', room });
      expect(ev.jsep?.type, `${String(body.request)} brings a new offer`).toBe('offer');
      const answer = await sub.client.acceptOffer(ev.jsep.sdp);
      const started = await sub.s.ask({ request: 'start' }, { type: 'answer', sdp: answer });
      expect(started.plugindata?.data, JSON.stringify(started)).toMatchObject({ started: 'ok' });
      return ev.plugindata.data.streams as Array<Record<string, any>>;
    };

    // subscribe: B's two streams are added as two new m-lines.
    const s1 = await renegotiate({ request: 'subscribe', streams: [{ feed: 2 }] });
    expect(s1.length).toBe(4);
    expect(s1.find((s) => s.mid === a1)).toMatchObject({ type: 'audio', active: true, feed_id: 1 });
    expect(s1.find((s) => s.mid === v1)).toMatchObject({ type: 'video', active: true, feed_id: 1 });
    const bLines = s1.filter((s) => s.feed_id === 2);
    expect(bLines.map((s) => [s.type, s.active, s.feed_mid]).sort()).toEqual([
      ['audio', true, bAudioMid],
      ['video', true, bVideoMid],
    ]);
    expect(new Set(s1.map((s) => s.mid)).size).toBe(4);
    expect(s1.map((s) => s.mindex)).toEqual([0, 1, 2, 3]);
    const vB = bLines.find((s) => s.type === 'video')!.mid as string;
    const aB = bLines.find((s) => s.type === 'audio')!.mid as string;
    await sleep(300);
    let got = await tagsByMidDuring(sub.client, 1000);
    expect(got.get(vB)!.length, 'B video on its new m-line').toBeGreaterThan(20);
    expect(got.get(vB)!.every((t) => t >= B_TAGS)).toBe(true);
    expect(got.get(v1)!.length).toBeGreaterThan(20);
    expect(got.get(v1)!.every((t) => t < B_TAGS)).toBe(true);

    // unsubscribe: A's m-lines go inactive (kept in the list), A's media stops, B's goes on.
    const s2 = await renegotiate({ request: 'unsubscribe', streams: [{ feed: 1 }] });
    expect(s2.length).toBe(4);
    for (const mid of [a1, v1]) {
      const line = s2.find((s) => s.mid === mid);
      expect(line?.active, JSON.stringify(line)).toBe(false);
      expect(line?.feed_id).toBeUndefined();
    }
    expect(s2.find((s) => s.mid === vB)).toMatchObject({ active: true, feed_id: 2 });
    expect(s2.find((s) => s.mid === aB)).toMatchObject({ active: true, feed_id: 2 });
    await sleep(300);
    got = await tagsByMidDuring(sub.client, 1000);
    expect(got.get(v1)!, 'nothing on the unsubscribed video m-line').toEqual([]);
    expect(got.get(a1)!, 'nothing on the unsubscribed audio m-line').toEqual([]);
    expect(got.get(vB)!.length).toBeGreaterThan(20);

    // update: subscribe to A's video again (an inactive video m-line is reused) and drop B's audio.
    const s3 = await renegotiate({
      request: 'update',
      subscribe: [{ feed: 1, mid: aVideoMid }],
      unsubscribe: [{ feed: 2, mid: bAudioMid }],
    });
    expect(s3.length, 'the inactive video m-line is reused, no new one').toBe(4);
    const activeNow = s3.filter((s) => s.active).map((s) => [s.type, s.feed_id]);
    expect(activeNow.sort()).toEqual([
      ['video', 1],
      ['video', 2],
    ]);
    expect(s3.find((s) => s.mid === aB)?.active).toBe(false);
    const vA2 = s3.find((s) => s.active && s.feed_id === 1)!.mid as string;
    expect(vA2).toBe(v1);
    await sleep(300);
    got = await tagsByMidDuring(sub.client, 1000);
    expect(got.get(vA2)!.length, 'A video on the reused m-line').toBeGreaterThan(20);
    expect(got.get(vA2)!.every((t) => t < B_TAGS)).toBe(true);
    expect(got.get(vB)!.length).toBeGreaterThan(20);
    expect(got.get(aB)!).toEqual([]);

    // update with neither list is an error; unsubscribing something not subscribed changes nothing.
    const bad = await sub.s.ask({ request: 'update' });
    expect(bad.plugindata.data.error_code).toBe(429);

    await sub.s.ask({ request: 'leave' });
    await sub.client.close();
    await sub.s.close();
  }, 60_000);
});
