import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { remoteSocketCount } from '../../../relay/net/sockets.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import { TestEdge } from '../support/edge.js';
import { udpPortsOf } from '../support/process.js';
import { type RelayResources, spawnedRelayFixture } from '../support/spawnedRelayFixture.js';
import { startRelay } from '../support/relay.js';
import { handleId, PubClient, publish, sleep, SubClient, subscribe } from './support.js';

/**
 * Remote publishers on one relay (Janus add_remote_publisher / publish_remotely, §5.7): a werift
 * publisher's streams are forwarded as plain RTP (SSRC 1000 + mindex*10) to the relay's own remote
 * publisher sockets, and a werift subscriber of the remote publisher receives them.
 */

const SECRET = 'sfu-remote-secret-0123456789';
const ICE_MIN = 42800;
const ICE_MAX = 42899;
const REMOTE_MIN = 42900;
const REMOTE_MAX = 42909; // 10 ports: 5 remote publishers
const SESSION = 7300;

interface Resources extends RelayResources {
  remotePublishers: number;
  remotePortsInUse: number;
  forwarderSockets: number;
}

type PubStreams = Awaited<ReturnType<typeof publish>>['streams'];

/** The `sfu.remoteAdd` streams describing a publisher's streams (what add_remote_publisher carries). */
const remoteStreamsOf = (streams: PubStreams) =>
  streams.map((s) => ({
    mid: s.mid,
    mindex: s.mindex,
    type: s.type as 'audio' | 'video' | 'data',
    ...(s.codec ? { codec: s.codec } : {}),
  }));

/** The `sfu.forward` streams publish_remotely makes: SSRC 1000 + mindex*10, RTCP on the first video stream, data wrapped. */
function remotelyStreams(streams: PubStreams, port: number, rtcpPort: number) {
  let rtcp = false;
  return streams.map((s) => {
    const first = s.type === 'video' && !rtcp;
    if (first) rtcp = true;
    return {
      mid: s.mid,
      host: '127.0.0.1',
      port,
      ssrc: 1000 + s.mindex * 10,
      ...(first ? { rtcp_port: rtcpPort } : {}),
      ...(s.type === 'data' ? { wrap_data: true } : {}),
    };
  });
}

describe('VideoRoom remote publishers on the relay', () => {
  const fx = spawnedRelayFixture({
    RELAY_ID: 'sfu-remote',
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: String(ICE_MIN),
    RELAY_ICE_PORT_MAX: String(ICE_MAX),
    RELAY_REMOTE_PORT_MIN: String(REMOTE_MIN),
    RELAY_REMOTE_PORT_MAX: String(REMOTE_MAX),
    RELAY_STATS_PERIOD: '0',
  });

  const addRemote = (
    handle: number,
    streams: ReturnType<typeof remoteStreamsOf>,
    extra: Record<string, unknown> = {},
  ) =>
    fx.link.request({
      op: 'sfu.remoteAdd',
      sessionId: SESSION,
      handleId: handle,
      room: 1,
      streams,
      ...extra,
    } as CommandInput);
  const removeRemote = (handle: number) =>
    fx.link.request({ op: 'sfu.remoteRemove', sessionId: SESSION, handleId: handle } as CommandInput);

  it(
    'feeds a subscriber from a remote publisher: ≥ 99 % of the video, keyframe requests back to the origin, data, clean removal',
    { timeout: 60_000 },
    async () => {
      const base = await fx.resources<Resources>();
      const pub = new PubClient(11, { data: true });
      const sub = new SubClient();
      try {
        const p = await publish(fx.link, SESSION, pub);
        const remoteHandle = handleId();
        const added = await addRemote(remoteHandle, remoteStreamsOf(p.streams));
        expect(added.ok, JSON.stringify(added)).toBe(true);
        const {
          port,
          rtcp_port: rtcpPort,
          streams: remoteStreams,
        } = (added as unknown as { result: { port: number; rtcp_port: number; streams: PubStreams } }).result;
        expect(port).toBeGreaterThanOrEqual(REMOTE_MIN);
        expect(rtcpPort).toBeLessThanOrEqual(REMOTE_MAX);
        expect(remoteStreams.map((s) => s.mid)).toEqual(p.streams.map((s) => s.mid));
        expect(udpPortsOf(fx.relay.pid)).toEqual(expect.arrayContaining([port, rtcpPort]));
        const fw = await fx.link.request({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: p.handle,
          streams: remotelyStreams(p.streams, port, rtcpPort),
        } as CommandInput);
        expect(fw.ok, JSON.stringify(fw)).toBe(true);

        const remoteKey = `${SESSION}:${remoteHandle}`;
        const s = await subscribe(
          fx.link,
          SESSION,
          sub,
          remoteStreams.map((x) => ({
            feedId: 99,
            feedKey: remoteKey,
            feedMid: x.mid,
            type: x.type as 'audio' | 'video' | 'data',
          })),
        );
        expect(s.streams.filter((x) => x.type !== 'data').every((x) => x.active)).toBe(true);
        const vmid = s.streams.find((x) => x.type === 'video')!.mid;
        // warm up until the path carries video, then count a measured burst
        await waitFor(
          () => {
            pub.sendVideo(0);
            return sub.rec(vmid).packets > 0;
          },
          10_000,
          'video through the remote publisher',
        );
        await sleep(300);
        const before = sub.rec(vmid).packets;
        const N = 1000;
        for (let i = 0; i < N; i++) {
          pub.sendVideo(0);
          if (i % 10 === 9) await sleep(10);
        }
        await sleep(800);
        const delivered = sub.rec(vmid).packets - before;
        expect(delivered / N).toBeGreaterThanOrEqual(0.99);

        // a subscriber's PLI reaches the original publisher (through the remote publisher's RTCP back-channel)
        await sleep(1100); // past the per-stream PLI aggregation window
        const plis = pub.plis;
        const t = sub.pc.getTransceivers().find((x) => x.mid === vmid)!;
        await t.receiver.sendRtcpPLI(t.receiver.tracks[0]?.ssrc ?? [...sub.rec(vmid).ssrcs][0]!);
        await waitFor(() => pub.plis > plis, 5000, 'PLI at the publisher');

        // data travels as RTP-wrapped messages
        await waitFor(() => pub.channel?.readyState === 'open', 5000, 'publisher data channel');
        await waitFor(
          () => {
            pub.channel!.send('over the cascade');
            return sub.data.includes('over the cascade');
          },
          10_000,
          'data through the remote publisher',
        );

        // the remote publisher forwards further (rtp_forward of a remote publisher, a chained cascade)
        const sink = createSocket('udp4');
        let sunk = 0;
        sink.on('message', (m) => {
          if (m.length > 12 && m.readUInt32BE(8) === 4343) sunk++;
        });
        await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
        const vfeed = remoteStreams.find((x) => x.type === 'video')!.mid;
        const chained = await fx.link.request({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: remoteHandle,
          streams: [{ mid: vfeed, host: '127.0.0.1', port: sink.address().port, ssrc: 4343 }],
        } as CommandInput);
        expect(chained.ok, JSON.stringify(chained)).toBe(true);
        await waitFor(
          () => {
            pub.sendVideo(0);
            return sunk > 5;
          },
          5000,
          'video forwarded on from the remote publisher',
        );
        sink.close();

        const removed = await removeRemote(remoteHandle);
        expect(removed.ok).toBe(true);
        expect((await removeRemote(remoteHandle)).ok).toBe(false);
        const ports = udpPortsOf(fx.relay.pid);
        expect(ports).not.toContain(port);
        expect(ports).not.toContain(rtcpPort);
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
      } finally {
        await pub.close();
        await sub.close();
      }
      await sleep(500);
      const after = await fx.resources<Resources>();
      expect(after).toMatchObject({
        peers: 0,
        remotePublishers: 0,
        remotePortsInUse: 0,
        forwarderSockets: base.forwarderSockets,
        udpHandles: base.udpHandles,
      });
    },
  );

  it(
    'decrypts SRTP (suite 80) from publish_remotely with the shared key; refuses suite 32',
    { timeout: 30_000 },
    async () => {
      const crypto = Buffer.alloc(30, 7).toString('base64');
      const pub = new PubClient(14, { audio: false });
      const sub = new SubClient();
      const h = handleId();
      try {
        const p = await publish(fx.link, SESSION, pub);
        const refused = await addRemote(handleId(), remoteStreamsOf(p.streams), { srtp: { suite: 32, crypto } });
        expect(refused).toMatchObject({ ok: false, error: { code: 467 } });
        const added = await addRemote(h, remoteStreamsOf(p.streams), { srtp: { suite: 80, crypto } });
        expect(added.ok, JSON.stringify(added)).toBe(true);
        const { port, rtcp_port } = (added as unknown as { result: { port: number; rtcp_port: number } }).result;
        await fx.link.call({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: p.handle,
          streams: remotelyStreams(p.streams, port, rtcp_port),
          srtp: { suite: 80, crypto },
        });
        const s = await subscribe(fx.link, SESSION, sub, [
          { feedId: h, feedKey: `${SESSION}:${h}`, feedMid: p.streams[0]!.mid, type: 'video' },
        ]);
        await waitFor(
          () => {
            pub.sendVideo(0);
            // the payload is readable (publisher 14's tags), not just the SRTP header
            return sub.rec(s.streams[0]!.mid).sources.filter((x) => x === '14:0').length > 5;
          },
          10_000,
          'decrypted video',
        );
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
      } finally {
        await removeRemote(h);
        await pub.close();
        await sub.close();
      }
      expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(0);
    },
  );

  it('answers 499 when the remote port range is exhausted, recovers once ports are freed, and refuses a duplicate key', async () => {
    const streams = [{ mid: '0', mindex: 0, type: 'video' as const, codec: 'vp8' }];
    const handles: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const h = handleId();
        const r = await addRemote(h, streams);
        expect(r.ok, JSON.stringify(r)).toBe(true);
        handles.push(h);
      }
      const extra = handleId();
      const full = await addRemote(extra, streams);
      expect(full).toMatchObject({
        ok: false,
        error: { code: 499, reason: 'Could not open UDP socket for RTP stream' },
      });
      expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(10);
      expect((await addRemote(handles[0]!, streams)).ok).toBe(false); // duplicate key
      expect((await addRemote(handleId(), [{ mid: '0', mindex: 0, type: 'video', codec: 'nope' }])).ok).toBe(false);
      expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(10);
      expect((await removeRemote(handles.shift()!)).ok).toBe(true);
      // a failure half-way (the RTCP port is taken) releases the RTP socket it had opened
      const halfway = await addRemote(extra, streams, { rtcp_port: REMOTE_MAX });
      expect(halfway).toMatchObject({ ok: false, error: { code: 499 } });
      expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(8);
      const again = await addRemote(extra, streams);
      expect(again.ok, JSON.stringify(again)).toBe(true);
      handles.push(extra);
    } finally {
      for (const h of handles) await removeRemote(h);
    }
    const after = await fx.resources<Resources>(false);
    expect(after.remotePortsInUse).toBe(0);
    expect(udpPortsOf(fx.relay.pid).filter((p) => p >= REMOTE_MIN && p <= REMOTE_MAX)).toEqual([]);
  });

  it(
    'a remote publisher with two data streams: both reach its subscribers once, and each is forwarded on by its own forwarder',
    { timeout: 30_000 },
    async () => {
      const sender = createSocket('udp4');
      const sinks = [createSocket('udp4'), createSocket('udp4')];
      const sunk: string[][] = [[], []];
      sinks.forEach((sink, i) => sink.on('message', (m: Buffer) => sunk[i]!.push(m.subarray(12).toString())));
      await Promise.all(sinks.map((sink) => new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()))));
      const sub = new SubClient();
      const remoteHandle = handleId();
      try {
        const added = await addRemote(remoteHandle, [
          { mid: 'd1', mindex: 0, type: 'data' },
          { mid: 'd2', mindex: 1, type: 'data' },
        ]);
        expect(added.ok, JSON.stringify(added)).toBe(true);
        const { port } = (added as unknown as { result: { port: number } }).result;
        let seq = 0;
        /** One text message of data stream `mindex`, RTP-wrapped as publish_remotely sends it (SSRC 1000 + mindex*10). */
        const send = (mindex: number, text: string) => {
          const header = Buffer.alloc(12);
          header[0] = 0x80;
          header.writeUInt16BE(seq++ & 0xffff, 2);
          header.writeUInt32BE(1000 + mindex * 10, 8);
          sender.send(Buffer.concat([header, Buffer.from(text)]), port, '127.0.0.1');
        };
        const remoteKey = `${SESSION}:${remoteHandle}`;
        // as the room subscribes a feed: every stream of it
        const s = await subscribe(fx.link, SESSION, sub, [
          { feedId: 98, feedKey: remoteKey, feedMid: 'd1', type: 'data' },
          { feedId: 98, feedKey: remoteKey, feedMid: 'd2', type: 'data' },
        ]);
        const chained = await fx.link.request({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: remoteHandle,
          streams: ['d1', 'd2'].map((mid, i) => ({
            mid,
            host: '127.0.0.1',
            port: sinks[i]!.address().port,
            ssrc: 5000 + i,
            wrap_data: true,
          })),
        } as CommandInput);
        expect(chained.ok, JSON.stringify(chained)).toBe(true);
        await waitFor(
          () => {
            send(0, 'warm-up');
            return sub.data.includes('warm-up');
          },
          10_000,
          'the subscriber’s channel open',
        );
        const real = (msgs: string[]) => msgs.filter((m) => m !== 'warm-up');
        send(0, 'one of d1');
        send(1, 'one of d2');
        send(0, 'two of d1');
        await waitFor(() => real(sub.data).length >= 3, 5000, 'both streams’ messages at the subscriber');
        await sleep(300);
        expect(real(sub.data)).toEqual(['one of d1', 'one of d2', 'two of d1']);
        expect(real(sunk[0]!)).toEqual(['one of d1', 'two of d1']);
        expect(sunk[1]).toEqual(['one of d2']);
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      } finally {
        await removeRemote(remoteHandle);
        await sub.close();
        for (const socket of [sender, ...sinks]) socket.close();
      }
    },
  );

  it(
    'forwarders take their sockets from the same range: 499 once it is full, working again as soon as ports are freed',
    { timeout: 30_000 },
    async () => {
      const streams = [{ mid: '0', mindex: 0, type: 'video' as const, codec: 'vp8' }];
      const pub = new PubClient(15, { audio: false });
      const sink = createSocket('udp4');
      await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
      const handles: number[] = [];
      try {
        const p = await publish(fx.link, SESSION, pub);
        const target = {
          mid: p.streams.find((s) => s.type === 'video')!.mid,
          host: '127.0.0.1',
          port: sink.address().port,
        };
        for (let i = 0; i < 5; i++) {
          const h = handleId();
          expect((await addRemote(h, streams)).ok).toBe(true);
          handles.push(h);
        }
        const full = await fx.link.request({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: p.handle,
          streams: [target],
        } as CommandInput);
        expect(full).toMatchObject({
          ok: false,
          error: { code: 499, reason: 'Could not open UDP socket for RTP stream' },
        });
        expect((await removeRemote(handles.pop()!)).ok).toBe(true);
        // an RTP socket and an RTCP socket: both from the range
        const fw = await fx.link.request({
          op: 'sfu.forward',
          sessionId: SESSION,
          handleId: p.handle,
          streams: [{ ...target, rtcp_port: target.port }],
        } as CommandInput);
        expect(fw.ok, JSON.stringify(fw)).toBe(true);
        expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(10);
        expect(udpPortsOf(fx.relay.pid).filter((x) => x >= REMOTE_MIN && x <= REMOTE_MAX)).toHaveLength(10);
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
        await waitFor(
          async () => ((await fx.resources<Resources>(false)).remotePortsInUse === 8 ? true : undefined),
          5000,
          'forwarder ports back in the range',
        );
      } finally {
        for (const h of handles) await removeRemote(h);
        await pub.close();
        sink.close();
      }
      expect((await fx.resources<Resources>(false)).remotePortsInUse).toBe(0);
      expect(udpPortsOf(fx.relay.pid).filter((x) => x >= REMOTE_MIN && x <= REMOTE_MAX)).toEqual([]);
    },
  );

  it(
    '100 add → publish remotely → subscribe → unpublish → remove cycles leave sockets, ports and timers at baseline',
    { timeout: 240_000 },
    async () => {
      const pub = new PubClient(12, { audio: false });
      const p = await publish(fx.link, SESSION, pub);
      const CYCLES = 100;
      // each cycle holds 2 remote-publisher ports and an RTCP forwarder port of the 10 (plus the publisher's one forwarder socket)
      const CONCURRENCY = 2;
      let delivered = 0;
      const cycle = async (): Promise<void> => {
        const sub = new SubClient();
        const h = handleId();
        try {
          const added = await addRemote(h, remoteStreamsOf(p.streams));
          if (!added.ok) throw new Error(JSON.stringify(added));
          const { port, rtcp_port } = added.result as { port: number; rtcp_port: number };
          const fw = await fx.link.call({
            op: 'sfu.forward',
            sessionId: SESSION,
            handleId: p.handle,
            streams: remotelyStreams(p.streams, port, rtcp_port),
          });
          const s = await subscribe(fx.link, SESSION, sub, [
            { feedId: h, feedKey: `${SESSION}:${h}`, feedMid: p.streams[0]!.mid, type: 'video' },
          ]);
          const vmid = s.streams[0]!.mid;
          await waitFor(
            () => {
              pub.sendVideo(0);
              return sub.rec(vmid).packets > 0;
            },
            10_000,
            'media in a cycle',
          );
          delivered++;
          for (const f of fw.forwarders)
            await fx.link.call({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: f.id });
          expect((await removeRemote(h)).ok).toBe(true);
          await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
        } finally {
          await sub.close();
        }
      };
      const run = async (n: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next++ < n) await cycle();
          }),
        );
      };
      try {
        await run(4); // warm-up
        await sleep(1000);
        const base = await fx.resources<Resources>();
        await run(CYCLES);
        await sleep(1500);
        const after = await fx.resources<Resources>();
        expect(delivered).toBe(CYCLES + 4);
        expect(after.remotePublishers).toBe(0);
        expect(after.remotePortsInUse).toBe(0);
        expect(after.forwarderSockets).toBe(base.forwarderSockets);
        expect(after.peers).toBe(base.peers);
        expect(after.udpHandles).toBe(base.udpHandles);
        expect(after.socketFds).toBe(base.socketFds);
        expect(after.timers).toBeLessThanOrEqual(base.timers + 2);
        expect(udpPortsOf(fx.relay.pid).filter((x) => x >= REMOTE_MIN && x <= REMOTE_MAX)).toEqual([]);
      } finally {
        await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
        await pub.close();
      }
    },
  );
});

describe('remote publishers and relay shutdown', () => {
  it('a relay shutting down closes every remote publisher socket, including one fed with media', async () => {
    const secret = 'sfu-remote-stop-secret-0123456789';
    const edge = await new TestEdge({ secret }).start();
    try {
      const relay = await startRelay(edge.url, {
        RELAY_SECRET: secret,
        RELAY_ICE_PORT_MIN: '42910',
        RELAY_ICE_PORT_MAX: '42949',
        RELAY_REMOTE_PORT_MIN: '42950',
        RELAY_REMOTE_PORT_MAX: '42959',
      });
      const link = await edge.nextLink();
      await link.until(() => link.heartbeats.length > 0, 5000, 'first heartbeat');
      const pub = new PubClient(13, { audio: false });
      const p = await publish(link, SESSION, pub);
      const h = handleId();
      const added = await link.request({
        op: 'sfu.remoteAdd',
        sessionId: SESSION,
        handleId: h,
        streams: remoteStreamsOf(p.streams),
      } as CommandInput);
      expect(added.ok).toBe(true);
      const { port, rtcp_port } = (added as unknown as { result: { port: number; rtcp_port: number } }).result;
      await link.call({
        op: 'sfu.forward',
        sessionId: SESSION,
        handleId: p.handle,
        streams: remotelyStreams(p.streams, port, rtcp_port),
      });
      for (let i = 0; i < 20; i++) pub.sendVideo(0);
      expect(remoteSocketCount()).toBe(2);
      await relay.stop();
      expect(remoteSocketCount()).toBe(0);
      expect(relay.remotePorts.inUse).toBe(0);
      await pub.close();
    } finally {
      await edge.close();
    }
  });
});
