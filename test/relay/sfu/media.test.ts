import { beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../../relay/relay.js';
import { waitFor } from '../support/client.js';
import type { RelayLink } from '../support/edge.js';
import { relayFixture } from '../support/relayFixture.js';
import { PubClient, publish, seqStats, sleep, SubClient, subscribe } from './support.js';

const SESSION = 7000;

const fx = relayFixture([42000, 42099]);
let relay: Relay;
let link: RelayLink;
beforeAll(() => void ({ relay, link } = fx));
const track = fx.track.bind(fx);

const midOf = (streams: Array<{ type: string; mid: string }>, type: string) =>
  streams.find((s) => s.type === type)!.mid;

describe('VideoRoom SFU media', () => {
  it('fans one publisher out to three subscribers (≥ 99 % delivered, own SSRC and continuous sequence per leg)', async () => {
    const pub = track(new PubClient(1, { data: true }));
    const p = await publish(link, SESSION, pub, { audiocodec: 'opus', videocodec: 'vp8', bitrate: 300_000 });
    expect(p.streams.map((s) => s.type)).toEqual(['audio', 'video', 'data']);
    expect(p.streams.find((s) => s.type === 'video')).toMatchObject({ codec: 'vp8' });
    expect(p.streams.find((s) => s.type === 'audio')).toMatchObject({ codec: 'opus' });
    expect(p.answer).toMatch(/a=recvonly/);
    const [am, vm, dm] = [midOf(p.streams, 'audio'), midOf(p.streams, 'video'), midOf(p.streams, 'data')];

    const subs = [0, 1, 2].map(() => track(new SubClient()));
    const legs: Array<Awaited<ReturnType<typeof subscribe>>> = [];
    for (const sub of subs) {
      const s = await subscribe(link, SESSION, sub, [
        { feedId: 11, feedKey: p.key, feedMid: am, type: 'audio' },
        { feedId: 11, feedKey: p.key, feedMid: vm, type: 'video' },
        { feedId: 11, feedKey: p.key, feedMid: dm, type: 'data' },
      ]);
      expect(s.streams.map((x) => [x.type, x.active, x.feedId, x.feedMid])).toEqual([
        ['audio', true, 11, am],
        ['video', true, 11, vm],
        ['data', true, 11, dm],
      ]);
      legs.push(s);
    }
    pub.start(150);
    // every subscriber joining asks for a keyframe (aggregated to ≤ 1/s; sent once the SSRC is known)
    await waitFor(() => pub.plis >= 1, 3000, 'PLI at the publisher');
    const base = { video: pub.sent.video, audio: pub.sent.audio };
    const got = subs.map((sub, i) => ({
      video: sub.rec(legs[i]!.streams[1]!.mid).packets,
      audio: sub.rec(legs[i]!.streams[0]!.mid).packets,
    }));
    await sleep(3000);
    pub.stop();
    await sleep(400);

    const sentVideo = pub.sent.video - base.video;
    const sentAudio = pub.sent.audio - base.audio;
    const ssrcs = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const vmid = legs[i]!.streams.find((x) => x.type === 'video')!.mid;
      const amid = legs[i]!.streams.find((x) => x.type === 'audio')!.mid;
      const v = subs[i]!.rec(vmid);
      const a = subs[i]!.rec(amid);
      const dv = v.packets - got[i]!.video;
      const da = a.packets - got[i]!.audio;
      expect(dv / sentVideo, `subscriber ${i} video ${dv}/${sentVideo}`).toBeGreaterThanOrEqual(0.99);
      expect(da / sentAudio, `subscriber ${i} audio ${da}/${sentAudio}`).toBeGreaterThanOrEqual(0.99);
      expect(v.ssrcs.size).toBe(1);
      expect(a.ssrcs.size).toBe(1);
      ssrcs.add([...v.ssrcs][0]!);
      ssrcs.add([...a.ssrcs][0]!);
      const st = seqStats(v.seqs);
      expect(st.unique).toBe(v.packets); // no duplicates
      expect(st.span).toBeLessThanOrEqual(Math.ceil(v.packets * 1.01)); // continuous: at most 1 % holes
      expect(new Set(v.sources)).toEqual(new Set(['1:0']));
    }
    expect(ssrcs.size).toBe(6); // every leg has its own SSRC
    // REMB capped at the room bitrate
    await waitFor(() => pub.rembs.length > 0, 2500, 'REMB at the publisher');
    expect(Number(pub.rembs.at(-1))).toBeLessThanOrEqual(300_000);
    expect(Number(pub.rembs.at(-1))).toBeGreaterThan(290_000);

    // data channel messages of the publisher reach every subscriber
    await waitFor(() => pub.channel!.readyState === 'open', 5000, 'publisher data channel');
    // (the relay's channels to the subscribers open asynchronously: repeat until every one has it)
    await waitFor(
      () => {
        if (subs.every((s) => s.data.includes('hello subscribers'))) return true;
        pub.channel!.send('hello subscribers');
        return false;
      },
      5000,
      'data relayed',
    );

    const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId: p.handle });
    const video = info.counters.find((c) => c.media === 'video')!;
    expect(video.packetsIn).toBeGreaterThanOrEqual(sentVideo * 0.99);
    expect(video.packetsOut).toBeGreaterThanOrEqual(video.packetsIn * 3 * 0.98);

    for (const s of legs)
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    expect(relay.sfu.size).toBe(0);
  });

  it('switches a subscriber m-line between two publishers (new source flows, old stops, PLI to the new one)', async () => {
    const a = track(new PubClient(2, { audio: false }));
    const b = track(new PubClient(3, { audio: false }));
    const pa = await publish(link, SESSION, a);
    const pb = await publish(link, SESSION, b);
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [
      { feedId: 'alice', feedKey: pa.key, feedMid: midOf(pa.streams, 'video'), type: 'video' },
    ]);
    expect(s.streams[0]).toMatchObject({ feedId: 'alice', active: true, type: 'video' });
    const mid = s.streams[0]!.mid;
    a.start(100);
    b.start(100);
    try {
      await waitFor(() => sub.rec(mid).packets >= 30, 5000, 'packets from A');
      await sleep(1100); // let the PLI window of B pass
      const plisB = b.plis;
      const before = sub.rec(mid).sources.length;
      await link.call({
        op: 'sfu.switch',
        sessionId: SESSION,
        handleId: s.handle,
        changes: [{ sub_mid: mid, feedKey: pb.key, mid: midOf(pb.streams, 'video') }],
      });
      await waitFor(() => b.plis > plisB, 2000, 'PLI at the new publisher');
      await waitFor(
        () =>
          sub
            .rec(mid)
            .sources.slice(before)
            .filter((x) => x === '3:0').length >= 30,
        5000,
        'packets from B',
      );
      const r = sub.rec(mid);
      const after = r.sources.slice(before);
      const firstB = after.indexOf('3:0');
      // once B arrives, nothing more from A (allow packets already in flight right at the switch)
      expect(after.slice(firstB).filter((x) => x === '2:0').length).toBe(0);
      expect(r.ssrcs.size).toBe(1);
      const st = seqStats(r.seqs);
      expect(st.maxGap).toBeLessThanOrEqual(3);
      expect(st.backwards).toBe(0);
    } finally {
      a.stop();
      b.stop();
    }
    for (const h of [s.handle, pa.handle, pb.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });

  it('simulcast: receives 3 rid layers and switches substream at a keyframe with continuous sequence numbers', async () => {
    const pub = track(new PubClient(4, { audio: false, rids: ['h', 'm', 'l'] }));
    const p = await publish(link, SESSION, pub);
    expect(p.streams[0]).toMatchObject({ type: 'video', simulcast: true });
    expect(p.answer).toMatch(/a=simulcast:recv h;m;l/);
    const vm = midOf(p.streams, 'video');
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [{ feedId: 4, feedKey: p.key, feedMid: vm, type: 'video' }]);
    const mid = s.streams[0]!.mid;
    pub.start(50); // 50 pkt/s on each of the 3 layers
    try {
      // default substream = highest = "h" (layer index 0 in the publisher's rid list)
      await waitFor(() => sub.rec(mid).sources.filter((x) => x === '4:0').length >= 20, 5000, 'high layer');
      const r0 = sub.rec(mid);
      expect(r0.sources.filter((x) => x !== '4:0')).toEqual([]);
      expect(r0.keyframes).toBeGreaterThanOrEqual(1); // the layer started at a keyframe
      const before = r0.sources.length;
      const keysSent = pub.sent.keyframes;
      await link.call({
        op: 'sfu.configure',
        sessionId: SESSION,
        handleId: s.handle,
        streams: [{ mid, substream: 0 }],
      });
      await waitFor(
        () =>
          sub
            .rec(mid)
            .sources.slice(before)
            .filter((x) => x === '4:2').length >= 20,
        5000,
        'low layer',
      );
      expect(pub.sent.keyframes).toBeGreaterThan(keysSent); // a keyframe was requested for the switch
      const r = sub.rec(mid);
      const after = r.sources.slice(before);
      const firstLow = after.indexOf('4:2');
      expect(after.slice(firstLow).filter((x) => x !== '4:2')).toEqual([]);
      expect(after.includes('4:1')).toBe(false);
      const st = seqStats(r.seqs);
      expect(st.maxGap).toBeLessThanOrEqual(2);
      expect(st.backwards).toBe(0);
      expect(r.ssrcs.size).toBe(1);
      // the first packet of the new layer was a keyframe: count keyframes seen after the switch
      expect(r.keyframes).toBeGreaterThanOrEqual(2);
    } finally {
      pub.stop();
    }
    for (const h of [s.handle, p.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });

  it('publisher hangup: subscribers go quiet; sfu.update remove returns a new offer with the m-lines inactive', async () => {
    const pub = track(new PubClient(5));
    const p = await publish(link, SESSION, pub);
    const [am, vm] = [midOf(p.streams, 'audio'), midOf(p.streams, 'video')];
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [
      { feedId: 5, feedKey: p.key, feedMid: am, type: 'audio' },
      { feedId: 5, feedKey: p.key, feedMid: vm, type: 'video' },
    ]);
    const [sa, sv] = [s.streams[0]!.mid, s.streams[1]!.mid];
    pub.start(100);
    await waitFor(() => sub.rec(sv).packets >= 20 && sub.rec(sa).packets >= 10, 5000, 'media flowing');
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    await link.waitEvent(SESSION, p.handle, 'hangup');
    await sleep(200);
    const count = sub.rec(sv).packets + sub.rec(sa).packets;
    await sleep(500);
    pub.stop();
    expect(sub.rec(sv).packets + sub.rec(sa).packets).toBe(count);

    const up = await link.call({ op: 'sfu.update', sessionId: SESSION, handleId: s.handle, remove: [sa, sv] });
    expect(up.streams.map((x) => [x.mid, x.active])).toEqual([
      [sa, false],
      [sv, false],
    ]);
    for (const m of [sa, sv]) {
      const section = up.offer.sdp.split('m=').find((x) => x.includes(`a=mid:${m}\r\n`))!;
      expect(section).toMatch(/a=inactive/);
      // As Janus: inactive, not rejected (port 0 would make a browser drop the transport once all are inactive).
      expect(section).toMatch(/^(audio|video) 9 /);
    }
    const answer = await sub.answer(up.offer.sdp);
    await link.call({ op: 'peer.answer', sessionId: SESSION, handleId: s.handle, sdp: answer });

    // a new publisher: update add reuses the inactive m-lines
    const pub2 = track(new PubClient(6));
    const p2 = await publish(link, SESSION, pub2);
    const up2 = await link.call({
      op: 'sfu.update',
      sessionId: SESSION,
      handleId: s.handle,
      add: [
        { feedId: 6, feedKey: p2.key, feedMid: midOf(p2.streams, 'video'), type: 'video' },
        { feedId: 6, feedKey: p2.key, feedMid: midOf(p2.streams, 'audio'), type: 'audio' },
      ],
    });
    expect(up2.streams.map((x) => [x.mid, x.active, x.feedId])).toEqual([
      [sa, true, 6],
      [sv, true, 6],
    ]);
    await link.call({
      op: 'peer.answer',
      sessionId: SESSION,
      handleId: s.handle,
      sdp: await sub.answer(up2.offer.sdp),
    });
    const n = sub.rec(sv).packets;
    pub2.start(100);
    try {
      await waitFor(
        () => sub.rec(sv).sources.filter((x) => x === '6:0').length >= 20,
        5000,
        'media from the new publisher',
      );
      expect(sub.rec(sv).packets).toBeGreaterThan(n);
    } finally {
      pub2.stop();
    }
    for (const h of [s.handle, p2.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });

  it('answers subscriber NACKs from the leg history', async () => {
    const pub = track(new PubClient(8, { audio: false }));
    const p = await publish(link, SESSION, pub);
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [
      { feedId: 8, feedKey: p.key, feedMid: midOf(p.streams, 'video'), type: 'video' },
    ]);
    const mid = s.streams[0]!.mid;
    // the subscriber loses ~10 % of what arrives (werift's debug knob: kept when loss/100 >= random)
    (sub.pc.dtlsTransports[0] as unknown as { config: { debug?: Record<string, number> } }).config.debug = {
      inboundPacketLoss: 90,
    };
    pub.start(100);
    try {
      await sleep(2500);
    } finally {
      pub.stop();
    }
    await sleep(500);
    const info = (await link.request({ op: 'peer.info', sessionId: SESSION, handleId: s.handle })) as unknown as {
      ok: true;
      result: { counters: Array<{ nacksIn: number }>; sfu: { legs: Array<{ retransmitted: number }> } };
    };
    expect(info.result.counters[0]!.nacksIn).toBeGreaterThan(0);
    expect(info.result.sfu.legs[0]!.retransmitted).toBeGreaterThan(0);
    // retransmissions fill most holes: the subscriber ends up with (nearly) every sequence number
    const st = seqStats(sub.rec(mid).seqs);
    expect(st.unique / st.span).toBeGreaterThan(0.95);
    for (const h of [s.handle, p.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });

  it('room fir_freq: the publisher gets a keyframe request every fir_freq seconds, subscribers or not', async () => {
    const periodic = track(new PubClient(1));
    await publish(link, SESSION, periodic, { videocodec: 'vp8', firFreq: 1 });
    const quiet = track(new PubClient(1));
    await publish(link, SESSION, quiet, { videocodec: 'vp8' });
    periodic.start(50);
    quiet.start(50);
    await sleep(3500);
    // About one per second after the first (no subscriber ever asked); none without fir_freq.
    expect(periodic.plis).toBeGreaterThanOrEqual(2);
    expect(periodic.plis).toBeLessThanOrEqual(5);
    expect(quiet.plis).toBe(0);
    periodic.stop();
    quiet.stop();
  });

  it('pause / resume stop and restart forwarding to a subscriber', async () => {
    const pub = track(new PubClient(7, { audio: false }));
    const p = await publish(link, SESSION, pub);
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [
      { feedId: 7, feedKey: p.key, feedMid: midOf(p.streams, 'video'), type: 'video' },
    ]);
    const mid = s.streams[0]!.mid;
    pub.start(100);
    try {
      await waitFor(() => sub.rec(mid).packets >= 20, 5000, 'flowing');
      await link.call({ op: 'sfu.pause', sessionId: SESSION, handleId: s.handle });
      await sleep(150);
      const n = sub.rec(mid).packets;
      await sleep(400);
      expect(sub.rec(mid).packets).toBe(n);
      await link.call({ op: 'sfu.resume', sessionId: SESSION, handleId: s.handle });
      await waitFor(() => sub.rec(mid).packets >= n + 20, 5000, 'resumed');
      const st = seqStats(sub.rec(mid).seqs);
      expect(st.maxGap).toBeLessThanOrEqual(2); // sequence continues across the pause
      // send:false on the m-line stops it too
      await link.call({ op: 'sfu.configure', sessionId: SESSION, handleId: s.handle, streams: [{ mid, send: false }] });
      await sleep(150);
      const m = sub.rec(mid).packets;
      await sleep(300);
      expect(sub.rec(mid).packets).toBe(m);
    } finally {
      pub.stop();
    }
    for (const h of [s.handle, p.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });
});
