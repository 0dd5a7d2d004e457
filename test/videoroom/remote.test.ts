import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtcpPayloadSpecificFeedback } from 'werift';
import { EchoClient, waitFor } from '../relay/support/client.js';
import { relayDebug, startStack, type Stack } from '../support/stack.js';
import { Participant, publish, subscribe } from './support/participant.js';

/**
 * Janus remote publishers (§5.7) through the stack: a publisher of room R1 is remotized with
 * publish_remotely to a remote publisher that add_remote_publisher made in room R2 (same relay,
 * loopback UDP), and an R2 subscriber receives it like any publisher.
 */

interface Resources {
  remotePublishers: number;
  remotePortsInUse: number;
  forwarderSockets: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VideoRoom remote publishers through the stack', () => {
  let stack: Stack;
  const resources = (): Promise<Resources> =>
    relayDebug<Resources>(stack, stack.relays[0]!.httpUrl, '/debug/resources');

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it(
    'remotizes a publisher into another room: announced, listed, subscribed (≥ 99 % of video), keyframes back, removed with leaving',
    { timeout: 90_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const r1 = 7_000_000 + Math.floor(Math.random() * 1e6);
      const r2 = r1 + 1;
      await admin.sync({ request: 'create', room: r1 });
      await admin.sync({ request: 'create', room: r2, secret: 'r2' });
      const pub = await publish(stack, r1, 7);
      const watcher = await Participant.connect(stack);
      expect(
        (await watcher.ask({ request: 'join', ptype: 'publisher', room: r2, id: 5 })).plugindata.data.videoroom,
      ).toBe('joined');
      let plisAtPublisher = 0;
      pub.client.pc.dtlsTransports[0]!.onRtcp.subscribe((p) => {
        if (p.type === RtcpPayloadSpecificFeedback.type && (p as RtcpPayloadSpecificFeedback).feedback.count === 1)
          plisAtPublisher++;
      });
      const mids = pub.client.pc.getTransceivers().map((t) => ({ mid: t.mid!, kind: t.kind }));
      const streams = mids.map((m, mindex) => ({
        mid: m.mid,
        mindex,
        type: m.kind,
        codec: m.kind === 'audio' ? 'opus' : 'vp8',
      }));
      let sub: Awaited<ReturnType<typeof subscribe>> | undefined;
      try {
        const added = await admin.sync({
          request: 'add_remote_publisher',
          room: r2,
          secret: 'r2',
          id: 70,
          display: 'far away',
          streams,
        });
        expect(added).toMatchObject({ videoroom: 'success', room: r2, id: 70 });
        expect(added.port).toBeGreaterThan(0);
        expect(added.rtcp_port).toBeGreaterThan(0);
        const announced = await watcher.waitData(
          (d) => Array.isArray(d.publishers) && d.publishers.some((p: { id: number }) => p.id === 70),
          'remote publisher announced',
        );
        expect(announced.plugindata.data.publishers[0]).toMatchObject({
          id: 70,
          display: 'far away',
          streams: [
            { type: 'audio', codec: 'opus' },
            { type: 'video', codec: 'vp8' },
          ],
        });
        expect((await admin.sync({ request: 'listparticipants', room: r2 })).participants).toEqual(
          expect.arrayContaining([expect.objectContaining({ id: 70, display: 'far away', publisher: true })]),
        );

        const remotely = await admin.sync({
          request: 'publish_remotely',
          room: r1,
          publisher_id: 7,
          remote_id: 'to-r2',
          host: '127.0.0.1',
          port: added.port,
          rtcp_port: added.rtcp_port,
        });
        expect(remotely).toEqual({ videoroom: 'success', room: r1, id: 7, remote_id: 'to-r2' });
        const listed = await admin.sync({ request: 'listremotes', room: r1, publisher_id: 7 });
        expect(listed).toEqual({
          videoroom: 'success',
          room: r1,
          id: 7,
          list: [{ remote_id: 'to-r2', host: '127.0.0.1', port: added.port, rtcp_port: added.rtcp_port }],
        });
        expect((await admin.sync({ request: 'list_remotes', room: r1, publisher_id: 7 })).list).toHaveLength(1);

        sub = await subscribe(stack, r2, [70]);
        const vmid = sub.streams.find((s) => s.type === 'video')!.mid as string;
        expect(sub.streams.find((s) => s.type === 'video')).toMatchObject({
          feed_id: 70,
          feed_display: 'far away',
          active: true,
        });
        // the path carries video, then a measured burst
        await waitFor(
          () => {
            pub.client.sendOne(pub.video);
            return (sub!.client.receivedByMid.get(vmid) ?? 0) > 0;
          },
          10_000,
          'video through the remote publisher',
        );
        await sleep(300);
        const burst: number[] = [];
        for (let i = 0; i < 500; i++) {
          burst.push(pub.client.sendOne(pub.video));
          if (i % 10 === 9) await sleep(10);
        }
        await sleep(800);
        const got = burst.filter((t) => sub!.client.echoedTags.video.has(t)).length;
        expect(got / burst.length).toBeGreaterThanOrEqual(0.99);

        // the subscriber's keyframe request reaches the publisher in R1
        await sleep(1100);
        const before = plisAtPublisher;
        const t = sub.client.pc.getTransceivers().find((x) => x.mid === vmid)!;
        await t.receiver.sendRtcpPLI(t.receiver.tracks[0]!.ssrc!);
        await waitFor(() => plisAtPublisher > before, 5000, 'PLI at the original publisher');

        expect(
          (await admin.sync({ request: 'unpublish_remotely', room: r1, publisher_id: 7, remote_id: 'to-r2' }))
            .videoroom,
        ).toBe('success');
        expect((await admin.sync({ request: 'listremotes', room: r1, publisher_id: 7 })).list).toEqual([]);
        expect((await resources()).forwarderSockets).toBe(0);
        expect(await admin.sync({ request: 'remove_remote_publisher', room: r2, secret: 'r2', id: 70 })).toEqual({
          videoroom: 'success',
        });
        await watcher.waitData((d) => d.leaving === 70, 'leaving of the remote publisher');
        const updated = await sub.s.waitData((d) => d.videoroom === 'updated', 'subscriber renegotiation');
        expect(updated.jsep?.type).toBe('offer');
        expect(
          (await admin.sync({ request: 'listparticipants', room: r2 })).participants.some(
            (p: { id: number }) => p.id === 70,
          ),
        ).toBe(false);
        expect(await resources()).toMatchObject({ remotePublishers: 0, remotePortsInUse: 0 });

        // a room destroyed without remove_remote_publisher frees the ports too (Janus #3508)
        await admin.sync({ request: 'add_remote_publisher', room: r2, secret: 'r2', id: 71, streams });
        expect((await resources()).remotePublishers).toBe(1);
        await admin.sync({ request: 'destroy', room: r2, secret: 'r2' });
        expect(await resources()).toMatchObject({ remotePublishers: 0, remotePortsInUse: 0 });
      } finally {
        await sub?.client.close();
        await sub?.s.close();
        await pub.client.close();
        await pub.p.close();
        await watcher.close();
        await admin.close();
      }
    },
  );

  it(
    'a remotized publisher that adds a stream gets it forwarded; update_remote_publisher makes it subscribable',
    { timeout: 60_000 },
    async () => {
      const admin = await Participant.connect(stack);
      const r1 = 9_000_000 + Math.floor(Math.random() * 1e6);
      const r2 = r1 + 1;
      await admin.sync({ request: 'create', room: r1 });
      await admin.sync({ request: 'create', room: r2 });
      const p = await Participant.connect(stack);
      const client = new EchoClient();
      let sub: Awaited<ReturnType<typeof subscribe>> | undefined;
      try {
        await p.ask({ request: 'join', ptype: 'publisher', room: r1, id: 3 });
        client.addMedia('audio');
        const first = await p.ask(
          { request: 'configure', audio: true },
          { type: 'offer', sdp: await client.createOffer() },
        );
        await client.acceptAnswer(first.jsep.sdp);
        await p.janus.waitEvent((m) => m.janus === 'webrtcup', 15_000, 'publisher webrtcup');
        const audioMid = client.pc.getTransceivers()[0]!.mid!;
        const added = await admin.sync({
          request: 'add_remote_publisher',
          room: r2,
          id: 30,
          streams: [{ mid: audioMid, mindex: 0, type: 'audio', codec: 'opus' }],
        });
        expect(
          (
            await admin.sync({
              request: 'publish_remotely',
              room: r1,
              publisher_id: 3,
              remote_id: 'r2',
              host: '127.0.0.1',
              port: added.port,
              rtcp_port: added.rtcp_port,
            })
          ).videoroom,
        ).toBe('success');
        // the publisher adds video and renegotiates
        const video = client.addMedia('video');
        const second = await p.ask({ request: 'configure' }, { type: 'offer', sdp: await client.createOffer() });
        expect(second.plugindata.data.configured).toBe('ok');
        await client.acceptAnswer(second.jsep.sdp);
        const videoMid = client.pc.getTransceivers()[1]!.mid!;
        expect(
          await admin.sync({
            request: 'update_remote_publisher',
            room: r2,
            id: 30,
            streams: [{ mid: videoMid, mindex: 1, type: 'video', codec: 'vp8' }],
          }),
        ).toEqual({ videoroom: 'success' });
        sub = await subscribe(stack, r2, [30]);
        const vmid = sub.streams.find((s) => s.type === 'video')!.mid as string;
        await waitFor(
          () => {
            client.sendOne(video);
            return (sub!.client.receivedByMid.get(vmid) ?? 0) > 5;
          },
          10_000,
          'the added video stream through the remote publisher',
        );
      } finally {
        await sub?.client.close();
        await sub?.s.close();
        await client.close();
        await p.close();
        await admin.sync({ request: 'destroy', room: r2 });
        await admin.close();
      }
      expect(await resources()).toMatchObject({ remotePublishers: 0, remotePortsInUse: 0 });
    },
  );

  it('answers Janus’s errors for remote publishers and remotizations', { timeout: 60_000 }, async () => {
    const admin = await Participant.connect(stack);
    const r1 = 8_000_000 + Math.floor(Math.random() * 1e6);
    const r2 = r1 + 1;
    await admin.sync({ request: 'create', room: r1, secret: 's1' });
    await admin.sync({ request: 'create', room: r2 });
    const pub = await publish(stack, r1, 9);
    const video = [{ mid: 'v', mindex: 0, type: 'video', codec: 'vp8' }];
    const code = async (body: Record<string, unknown>) => (await admin.sync(body)).error_code as number | undefined;
    try {
      // add_remote_publisher
      expect(await code({ request: 'add_remote_publisher', room: r1 + 5, streams: video })).toBe(426);
      expect(await code({ request: 'add_remote_publisher', room: r1, secret: 'bad', streams: video })).toBe(433);
      expect(await code({ request: 'add_remote_publisher', room: r2 })).toBe(429);
      expect(await code({ request: 'add_remote_publisher', room: r2, streams: [] })).toBe(430);
      expect(
        await code({ request: 'add_remote_publisher', room: r2, streams: [{ mid: 'v', mindex: 0, type: 'video' }] }),
      ).toBe(429);
      expect(
        await code({
          request: 'add_remote_publisher',
          room: r2,
          streams: [{ mid: 'v', mindex: 0, type: 'video', codec: 'theora' }],
        }),
      ).toBe(429); // sic: Janus's code
      expect(
        await code({ request: 'add_remote_publisher', room: r2, streams: [{ mid: 'v', mindex: 0, type: 'text' }] }),
      ).toBe(430);
      const added = await admin.sync({ request: 'add_remote_publisher', room: r2, id: 80, streams: video });
      expect(added).toMatchObject({ videoroom: 'success', room: r2, id: 80 });
      expect(await code({ request: 'add_remote_publisher', room: r2, id: 80, streams: video })).toBe(436);
      const random = await admin.sync({ request: 'add_remote_publisher', room: r2, streams: video });
      expect(typeof random.id).toBe('number');
      // update / remove
      expect(await code({ request: 'update_remote_publisher', room: r2, id: 81, streams: video })).toBe(428);
      expect(await code({ request: 'update_remote_publisher', room: r2, id: 80 })).toBe(429);
      expect(await admin.sync({ request: 'update_remote_publisher', room: r2, id: 80, streams: [] })).toEqual({
        videoroom: 'success',
      });
      expect(
        await admin.sync({
          request: 'update_remote_publisher',
          room: r2,
          id: 80,
          streams: [{ mid: 'a', mindex: 1, type: 'audio', codec: 'opus' }],
        }),
      ).toEqual({ videoroom: 'success' });
      const listed = await admin.sync({ request: 'listparticipants', room: r2 });
      expect(listed.participants).toEqual(expect.arrayContaining([{ id: 80, remote: true, publisher: true }]));
      expect(listed.participants.filter((p: { remote?: boolean }) => p.remote)).toHaveLength(2);
      expect(await code({ request: 'remove_remote_publisher', room: r2, id: 81 })).toBe(428);
      expect(await code({ request: 'remove_remote_publisher', room: r2, id: 9 })).toBe(428);
      // publish_remotely
      const base = { room: r1, secret: 's1', publisher_id: 9, remote_id: 'x', host: '127.0.0.1', port: added.port };
      expect(await code({ ...base, request: 'publish_remotely', secret: 'bad' })).toBe(433);
      expect(await code({ ...base, request: 'publish_remotely', publisher_id: 10 })).toBe(428);
      expect(await code({ ...base, request: 'publish_remotely', host: undefined })).toBe(429);
      expect(await code({ ...base, request: 'publish_remotely', remote_id: undefined })).toBe(429);
      expect(await code({ ...base, request: 'publish_remotely', port: 0 })).toBe(430);
      expect(await code({ ...base, request: 'publish_remotely', room: r2, secret: undefined, publisher_id: 80 })).toBe(
        430,
      );
      expect((await admin.sync({ ...base, request: 'publish_remotely' })).videoroom).toBe('success');
      expect(await code({ ...base, request: 'publish_remotely' })).toBe(436);
      expect((await admin.sync({ ...base, request: 'publish_remotely', remote_id: 'y' })).videoroom).toBe('success');
      expect(
        (await admin.sync({ request: 'listremotes', room: r1, secret: 's1', publisher_id: 9 })).list.map(
          (x: { remote_id: string }) => x.remote_id,
        ),
      ).toEqual(['x', 'y']);
      expect(await code({ request: 'listremotes', room: r1, secret: 's1', publisher_id: 10 })).toBe(428);
      expect(
        await code({ request: 'unpublish_remotely', room: r1, secret: 's1', publisher_id: 9, remote_id: 'z' }),
      ).toBe(428);
      expect(
        (await admin.sync({ request: 'unpublish_remotely', room: r1, secret: 's1', publisher_id: 9, remote_id: 'x' }))
          .videoroom,
      ).toBe('success');
      // the publisher leaving drops its remotizations (and the relay its forwarders)
      await pub.p.ask({ request: 'leave' });
      for (let i = 0; i < 50 && (await resources()).forwarderSockets !== 0; i++) await sleep(100);
      await admin.sync({ request: 'destroy', room: r2 });
      expect(await resources()).toMatchObject({ remotePublishers: 0, remotePortsInUse: 0, forwarderSockets: 0 });
    } finally {
      await pub.client.close();
      await pub.p.close();
      await admin.close();
    }
  });
});
