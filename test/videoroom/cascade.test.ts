import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtcpPayloadSpecificFeedback } from 'werift';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

/**
 * Automatic cascading inside one deployment (RELAY_REGIONS): each PeerConnection sits on a relay of
 * its client's region; a subscriber on another relay than its publisher receives it through one
 * cascade per (publisher, relay), made of the remote-publisher machinery, shared by every subscriber
 * there and removed when the last one leaves or the publisher goes.
 */

interface Resources {
  peers: number;
  remotePublishers: number;
  remotePortsInUse: number;
  forwarderSockets: number;
  udpHandles: number;
  timers: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls an asynchronous condition (a relay census): `waitFor` takes only synchronous ones. */
async function until<T>(pred: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const newRoom = () => 11_000_000 + Math.floor(Math.random() * 1e6);

function helpers(stack: () => Stack) {
  const relay = (region: string) => stack().relays.find((r) => r.region === region)!;
  return {
    relay,
    resources: async (region: string): Promise<Resources> =>
      relayDebug<Resources>(stack(), relay(region).httpUrl, '/debug/resources'),
    handleInfo: async (p: Participant): Promise<Record<string, any>> => {
      const res = await fetch(stack().adminUrl, {
        method: 'POST',
        body: JSON.stringify({
          janus: 'handle_info',
          transaction: 'hi',
          admin_secret: 'janusoverlord',
          session_id: p.sessionId,
          handle_id: p.handleId,
        }),
      });
      return ((await res.json()) as { info: Record<string, any> }).info;
    },
  };
}

/** Counts PLIs arriving at a werift publisher. */
function countPlis(client: EchoClient): { n: number } {
  const c = { n: 0 };
  client.pc.dtlsTransports[0]!.onRtcp.subscribe((p) => {
    if (p.type === RtcpPayloadSpecificFeedback.type && (p as RtcpPayloadSpecificFeedback).feedback.count === 1) c.n++;
  });
  return c;
}

/** Sends a burst of video packets and returns the share each subscriber received. */
async function deliveredShare(pub: EchoClient, videoKey: string, subs: EchoClient[], n = 450): Promise<number[]> {
  const burst: number[] = [];
  for (let i = 0; i < n; i++) {
    burst.push(pub.sendOne(videoKey));
    if (i % 3 === 2) await sleep(20); // ~150 packets/s
  }
  await sleep(800);
  return subs.map((s) => burst.filter((t) => s.echoedTags.video.has(t)).length / burst.length);
}

describe('automatic cascading between relays', () => {
  let stack: Stack;
  const h = helpers(() => stack);

  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'a publisher in eu and three subscribers in us: one link, ≥ 99 % of video, PLIs reach the publisher; the publisher leaving removes the link and its ports',
    { timeout: 120_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const room = newRoom();
      await admin.sync({ request: 'create', room, publishers: 4 });
      const baseEu = await h.resources('eu');
      const baseUs = await h.resources('us');
      const pub = await publish(stack, room, 1, await Participant.connect(stack, 'eu'));
      const plis = countPlis(pub.client);
      const subs: Array<Awaited<ReturnType<typeof subscribe>>> = [];
      for (let i = 0; i < 3; i++) subs.push(await subscribe(stack, room, [1], await Participant.connect(stack, 'us')));
      try {
        // placement: the publisher in eu, every subscriber in us, and exactly one link between them
        expect((await h.handleInfo(pub.p)).relay).toBe(h.relay('eu').id);
        const links = [];
        for (const sub of subs) {
          const info = await h.handleInfo(sub.s);
          expect(info.relay).toBe(h.relay('us').id);
          expect(info.plugin_specific.cascades).toHaveLength(1);
          expect(info.plugin_specific.cascades[0]).toMatchObject({
            feed_id: 1,
            from_relay: h.relay('eu').id,
            to_relay: h.relay('us').id,
          });
          links.push(info.plugin_specific.cascades[0].port);
        }
        expect(new Set(links).size).toBe(1);
        expect((await h.handleInfo(pub.p)).plugin_specific.cascades).toEqual([
          expect.objectContaining({ to_relay: h.relay('us').id, port: links[0] }),
        ]);
        expect((await h.resources('us')).remotePublishers).toBe(baseUs.remotePublishers + 1);
        expect((await h.resources('eu')).remotePublishers).toBe(baseEu.remotePublishers);

        // media crosses the link once and fans out on the far relay
        await waitFor(
          () => {
            pub.client.sendOne(pub.video);
            return subs.every((s) => s.client.received.video > 0);
          },
          10_000,
          'video at every subscriber in us',
        );
        await sleep(300);
        for (const share of await deliveredShare(
          pub.client,
          pub.video,
          subs.map((s) => s.client),
        ))
          expect(share).toBeGreaterThanOrEqual(0.99);

        // a subscriber's keyframe request travels back over the link to the publisher
        await sleep(1100);
        const before = plis.n;
        const vmid = subs[0]!.streams.find((x) => x.type === 'video')!.mid as string;
        const t = subs[0]!.client.pc.getTransceivers().find((x) => x.mid === vmid)!;
        await t.receiver.sendRtcpPLI(t.receiver.tracks[0]!.ssrc!);
        await waitFor(() => plis.n > before, 5000, 'PLI at the publisher in eu');

        // one subscriber leaving keeps the link for the others
        await subs[2]!.s.ask({ request: 'leave' });
        expect((await h.resources('us')).remotePublishers).toBe(baseUs.remotePublishers + 1);

        // the publisher leaves: subscribers renegotiate, the link and its ports are gone on both relays
        expect((await pub.p.ask({ request: 'leave' })).plugindata.data).toMatchObject({ leaving: 'ok' });
        for (const sub of subs.slice(0, 2)) {
          const updated = await sub.s.waitData((d) => d.videoroom === 'updated', 'autoupdate offer');
          expect(updated.plugindata.data.streams.every((x: { active: boolean }) => x.active === false)).toBe(true);
        }
        await until(
          async () => {
            const [eu, us] = [await h.resources('eu'), await h.resources('us')];
            return (
              us.remotePublishers === baseUs.remotePublishers &&
              us.remotePortsInUse === baseUs.remotePortsInUse &&
              eu.forwarderSockets === baseEu.forwarderSockets
            );
          },
          5000,
          'link closed on both relays',
        ).catch(() => undefined);
        expect(await h.resources('us')).toMatchObject({
          remotePublishers: baseUs.remotePublishers,
          remotePortsInUse: baseUs.remotePortsInUse,
        });
        expect((await h.resources('eu')).forwarderSockets).toBe(baseEu.forwarderSockets);
      } finally {
        await pub.client.close();
        for (const sub of subs) await sub.client.close();
        for (const p of [pub.p, ...subs.map((s) => s.s), admin]) await p.close();
      }
    },
  );

  it('carries the streams a publisher adds by renegotiating to the far relay', { timeout: 60_000 }, async () => {
    const admin = await Participant.connect(stack);
    const room = newRoom();
    await admin.sync({ request: 'create', room });
    const p = await Participant.connect(stack, 'eu');
    const watcher = await Participant.connect(stack, 'us');
    const client = new EchoClient();
    let sub: Awaited<ReturnType<typeof subscribe>> | undefined;
    try {
      await p.ask({ request: 'join', ptype: 'publisher', room, id: 2 });
      await watcher.ask({ request: 'join', ptype: 'publisher', room, id: 20 });
      const audio = client.addMedia('audio');
      const first = await p.ask(
        { request: 'configure', audio: true },
        { type: 'offer', sdp: await client.createOffer() },
      );
      await client.acceptAnswer(first.jsep.sdp);
      await p.janus.waitEvent((m) => m.janus === 'webrtcup', 15_000, 'publisher webrtcup');
      sub = await subscribe(stack, room, [2], await Participant.connect(stack, 'us'));
      expect(sub.streams.map((x) => x.type)).toEqual(['audio']);
      await waitFor(
        () => {
          client.sendOne(audio);
          return sub!.client.received.audio > 0;
        },
        10_000,
        'audio through the link',
      );

      // the publisher adds video: the room announces it, and a subscriber in us receives it over the same link
      const video = client.addMedia('video');
      const second = await p.ask({ request: 'configure' }, { type: 'offer', sdp: await client.createOffer() });
      await client.acceptAnswer(second.jsep.sdp);
      await watcher.waitData(
        (d) =>
          Array.isArray(d.publishers) &&
          d.publishers.some((x: { id: number; streams: unknown[] }) => x.id === 2 && x.streams.length === 2),
        'the new stream announced',
      );
      const videoMid = client.pc.getTransceivers()[1]!.mid!;
      const updated = await sub.s.ask({ request: 'subscribe', streams: [{ feed: 2, mid: videoMid }] });
      expect(updated.plugindata.data.videoroom, JSON.stringify(updated)).toBe('updated');
      const answer = await sub.client.acceptOffer(updated.jsep.sdp);
      expect((await sub.s.ask({ request: 'start' }, { type: 'answer', sdp: answer })).plugindata.data).toMatchObject({
        started: 'ok',
      });
      const subVideoMid = (updated.plugindata.data.streams as Array<{ type: string; mid: string }>).find(
        (x) => x.type === 'video',
      )!.mid;
      await waitFor(
        () => {
          client.sendOne(video);
          return (sub!.client.receivedByMid.get(subVideoMid) ?? 0) > 0;
        },
        10_000,
        'the added video through the link',
      );
      expect((await h.handleInfo(sub.s)).plugin_specific.cascades).toHaveLength(1);
    } finally {
      await client.close();
      await sub?.client.close();
      await sub?.s.close();
      for (const x of [p, watcher, admin]) await x.close();
    }
  });

  it(
    'switch to a publisher of the same far relay opens its link and closes the one nobody uses any more',
    { timeout: 60_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const room = newRoom();
      await admin.sync({ request: 'create', room });
      const baseUs = await h.resources('us');
      const one = await publish(stack, room, 5, await Participant.connect(stack, 'eu'));
      const two = await publish(stack, room, 6, await Participant.connect(stack, 'eu'));
      const sub = await subscribe(stack, room, [5], await Participant.connect(stack, 'us'));
      try {
        expect((await h.handleInfo(sub.s)).plugin_specific.cascades.map((c: { feed_id: number }) => c.feed_id)).toEqual(
          [5],
        );
        const lines = sub.streams.map((x) => ({ sub_mid: x.mid as string, type: x.type as string }));
        const twoMids = two.client.pc.getTransceivers().map((t) => ({ mid: t.mid!, kind: t.kind }));
        const switched = await sub.s.ask({
          request: 'switch',
          streams: lines.map((l) => ({
            feed: 6,
            mid: twoMids.find((m) => m.kind === l.type)!.mid,
            sub_mid: l.sub_mid,
          })),
        });
        expect(switched.plugindata.data, JSON.stringify(switched)).toMatchObject({ switched: 'ok', changes: 2 });
        const videoLine = lines.find((l) => l.type === 'video')!.sub_mid;
        const before = sub.client.receivedByMid.get(videoLine) ?? 0;
        await waitFor(
          () => {
            two.client.sendOne(two.video);
            return (sub.client.receivedByMid.get(videoLine) ?? 0) > before + 3;
          },
          10_000,
          'the other publisher’s video after the switch',
        );
        expect((await h.handleInfo(sub.s)).plugin_specific.cascades.map((c: { feed_id: number }) => c.feed_id)).toEqual(
          [6],
        );
        expect((await h.handleInfo(one.p)).plugin_specific.cascades).toEqual([]);
        await until(
          async () => ((await h.resources('us')).remotePublishers === baseUs.remotePublishers + 1 ? true : undefined),
          5_000,
          'one link left in us',
        );
      } finally {
        for (const c of [one.client, two.client, sub.client]) await c.close();
        for (const p of [one.p, two.p, sub.s, admin]) await p.close();
      }
    },
  );

  it(
    '30 subscribe → media → leave cycles across relays end with both relays at baseline',
    { timeout: 120_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const room = newRoom();
      await admin.sync({ request: 'create', room });
      const pub = await publish(stack, room, 3, await Participant.connect(stack, 'eu'));
      pub.client.startSending(pub.video, 20);
      const census = async () => ({ eu: await h.resources('eu'), us: await h.resources('us') });
      const base = await census();
      try {
        for (let i = 0; i < 30; i++) {
          const sub = await subscribe(stack, room, [3], await Participant.connect(stack, 'us'));
          await waitFor(() => sub.client.received.video > 0, 10_000, `video in cycle ${i}`);
          await sub.s.ask({ request: 'leave' });
          await sub.client.close();
          await sub.s.close();
        }
        const settled = await until(
          async () => {
            const now = await census();
            // Timers included: a relay's short-lived timers (retransmit, close grace) may still run for a moment.
            const same = (a: Resources, b: Resources) =>
              a.peers === b.peers &&
              a.remotePublishers === b.remotePublishers &&
              a.remotePortsInUse === b.remotePortsInUse &&
              a.forwarderSockets === b.forwarderSockets &&
              a.udpHandles === b.udpHandles &&
              a.timers <= b.timers + 2;
            return same(now.eu, base.eu) && same(now.us, base.us) ? now : undefined;
          },
          10_000,
          'both relays back to baseline',
        ).catch(() => undefined);
        const now = settled ?? (await census());
        for (const region of ['eu', 'us'] as const) {
          expect(now[region], region).toMatchObject({
            peers: base[region].peers,
            remotePublishers: base[region].remotePublishers,
            remotePortsInUse: base[region].remotePortsInUse,
            forwarderSockets: base[region].forwarderSockets,
            udpHandles: base[region].udpHandles,
          });
          expect(now[region].timers, region).toBeLessThanOrEqual(base[region].timers + 2);
        }
        expect((await h.handleInfo(pub.p)).plugin_specific.cascades).toEqual([]);
      } finally {
        pub.client.stopSending(pub.video);
        await pub.client.close();
        await pub.p.close();
        await admin.close();
      }
    },
  );
});

describe('losing a relay while cascading', () => {
  let stack: Stack;
  const h = helpers(() => stack);

  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us,ap' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'downstream relay killed: its subscribers hang up, the forwarders to it stop, the publisher carries on; upstream relay killed: far subscribers renegotiate and the link and its ports go',
    { timeout: 120_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const room = newRoom();
      await admin.sync({ request: 'create', room });
      const baseEu = await h.resources('eu');
      const baseAp = await h.resources('ap');
      const pub = await publish(stack, room, 4, await Participant.connect(stack, 'eu'));
      const inUs = await subscribe(stack, room, [4], await Participant.connect(stack, 'us'));
      const inAp = await subscribe(stack, room, [4], await Participant.connect(stack, 'ap'));
      const watcher = await Participant.connect(stack, 'ap');
      await watcher.ask({ request: 'join', ptype: 'publisher', room, id: 40 });
      try {
        await waitFor(
          () => {
            pub.client.sendOne(pub.video);
            return inUs.client.received.video > 0 && inAp.client.received.video > 0;
          },
          10_000,
          'video in us and ap',
        );
        expect((await h.handleInfo(pub.p)).plugin_specific.cascades).toHaveLength(2);
        const withTwoLinks = (await h.resources('eu')).forwarderSockets;

        // downstream: us dies
        process.kill(h.relay('us').pid, 'SIGKILL');
        await inUs.s.janus.waitEvent(
          (m) => m.janus === 'hangup' && m.sender === inUs.s.handleId,
          6_000,
          'hangup of the subscriber in us',
        );
        await until(
          async () => ((await h.handleInfo(pub.p)).plugin_specific.cascades.length === 1 ? true : undefined),
          5_000,
          'the link to us dropped',
        );
        expect((await h.resources('eu')).forwarderSockets).toBeLessThan(withTwoLinks);
        const apBefore = inAp.client.received.video;
        await waitFor(
          () => {
            pub.client.sendOne(pub.video);
            return inAp.client.received.video > apBefore + 5;
          },
          5_000,
          'video still reaching ap',
        );

        // upstream: eu dies, with the publisher on it
        process.kill(h.relay('eu').pid, 'SIGKILL');
        await pub.p.janus.waitEvent((m) => m.janus === 'hangup', 6_000, 'hangup of the publisher');
        await watcher.waitData((d) => d.unpublished === 4, 'unpublished seen in ap');
        const updated = await inAp.s.waitData((d) => d.videoroom === 'updated', 'updated offer in ap');
        expect(updated.plugindata.data.streams.every((x: { active: boolean }) => x.active === false)).toBe(true);
        await until(
          async () => {
            const ap = await h.resources('ap');
            return ap.remotePublishers === baseAp.remotePublishers && ap.remotePortsInUse === baseAp.remotePortsInUse
              ? true
              : undefined;
          },
          5_000,
          'the remote publisher in ap closed',
        );
        expect(baseEu.remotePublishers).toBe(0);
        expect((await h.handleInfo(inAp.s)).plugin_specific.cascades).toEqual([]);

        // a Janus remote publisher (add_remote_publisher) on a relay that dies leaves the room too
        const added = await admin.sync({
          request: 'add_remote_publisher',
          room,
          id: 41,
          streams: [{ mid: '0', mindex: 0, type: 'video', codec: 'vp8' }],
        });
        expect(added).toMatchObject({ videoroom: 'success', id: 41, ip: '127.0.0.1' });
        expect((await h.resources('ap')).remotePublishers).toBe(baseAp.remotePublishers + 1);
        process.kill(h.relay('ap').pid, 'SIGKILL');
        await watcher.waitData((d) => d.leaving === 41, 'leaving of the remote publisher on the lost relay', 6_000);
        expect(
          (await admin.sync({ request: 'listparticipants', room })).participants
            .map((x: { id: number }) => x.id)
            .sort(),
        ).toEqual([4, 40]);
      } finally {
        await pub.client.close();
        await inUs.client.close();
        await inAp.client.close();
        for (const p of [pub.p, inUs.s, inAp.s, watcher, admin]) await p.close();
      }
    },
  );
});
