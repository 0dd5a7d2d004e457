import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PictureLossIndication, RtcpPayloadSpecificFeedback, type RTCRtpTransceiver } from 'werift';
import type { Relay } from '../../../relay/relay.js';
import { census } from '../../../relay/net/resources.js';
import { forwarderSocketCount, remoteSocketCount } from '../../../relay/net/sockets.js';
import { buildNack } from '../../../relay/sfu/rtcp.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import { TestEdge, type RelayLink } from '../support/edge.js';
import { startRelay } from '../support/relay.js';
import { handleId, PubClient, publish, sleep, SubClient, subscribe, vp8Descriptor } from './support.js';

/**
 * NACK / retransmission and per-SSRC keyframe requests on a cascade link: a werift publisher's
 * streams are forwarded (`sfu.forward`, as publish_remotely does) to a remote publisher on the same
 * relay THROUGH A LOSSY UDP PROXY that drops every 20th first transmission of each SSRC; RTCP goes
 * straight to the remote publisher's RTCP port and back. A werift subscriber of the remote publisher
 * counts which of the publisher's tagged video packets arrive.
 */

const SECRET = 'sfu-cascade-nack-secret-0123456789';
const SESSION = 7400;
const DROP_EVERY = 20;

type PubStreams = Awaited<ReturnType<typeof publish>>['streams'];

interface ForwarderCounters {
  id: number;
  mid: string;
  ssrc?: number;
  local_rtcp_port?: number;
  nack?: boolean;
  packetsOut: number;
  plisIn: number;
  nacksIn: number;
  retransmitted: number;
}

/** Drops every `every`-th first transmission per SSRC; a packet repeating a dropped (SSRC, seq) is a retransmission and passes. */
class LossyProxy {
  readonly sock: Socket = createSocket('udp4');
  dropped = 0;
  forwarded = 0;
  retransmissions = 0;
  /** Highest sequence number that passed, per SSRC. */
  readonly lastSeq = new Map<number, number>();
  private readonly count = new Map<number, number>();
  private readonly lost = new Set<number>();

  constructor(
    private readonly to: number,
    private readonly every: number,
  ) {
    this.sock.on('message', (m) => this.onPacket(m));
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    return this.sock.address().port;
  }

  private onPacket(m: Buffer): void {
    if (m.length >= 12 && m[0]! >> 6 === 2) {
      const ssrc = m.readUInt32BE(8);
      const seq = m.readUInt16BE(2);
      const key = ssrc * 0x10000 + seq;
      if (this.lost.delete(key)) this.retransmissions++;
      else {
        const n = (this.count.get(ssrc) ?? 0) + 1;
        this.count.set(ssrc, n);
        if (n % this.every === 0) {
          this.lost.add(key);
          this.dropped++;
          return;
        }
        this.lastSeq.set(ssrc, seq);
      }
    }
    this.forwarded++;
    this.sock.send(m, this.to, '127.0.0.1');
  }

  close(): void {
    this.sock.close();
  }
}

/** The tag counters of the video packets a subscriber receives, per simulcast layer (see PubClient.sendVideo). */
function tagCounters(sub: SubClient): Map<number, Set<number>> {
  const byLayer = new Map<number, Set<number>>();
  sub.pc.onTransceiverAdded.subscribe((t: RTCRtpTransceiver) =>
    t.onTrack.subscribe((track) => {
      if (track.kind !== 'video') return;
      track.onReceiveRtp.subscribe((rtp) => {
        const p = rtp.payload;
        if (p.length < 12) return;
        const d = vp8Descriptor(p);
        if (p[d.len + 1] !== 0x7e) return;
        const layer = p[d.len + 3]!;
        let s = byLayer.get(layer);
        if (!s) byLayer.set(layer, (s = new Set()));
        s.add(p.readUInt32BE(d.len + 4));
      });
    }),
  );
  return byLayer;
}

describe('cascade link: NACK, retransmission and keyframe requests by SSRC', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '42300',
      RELAY_ICE_PORT_MAX: '42379',
      RELAY_REMOTE_PORT_MIN: '42380',
      RELAY_REMOTE_PORT_MAX: '42389',
    });
    link = await edge.nextLink();
    await link.until(() => link.heartbeats.length > 0, 5000, 'first heartbeat');
  });

  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  const resources = () => ({
    udpHandles: census().udpHandles,
    forwarderSockets: forwarderSocketCount(),
    remoteSockets: remoteSocketCount(),
    remotePortsInUse: relay.remotePorts.inUse,
    remotePublishers: relay.sfu.remoteCount,
    peers: relay.sfu.size,
    icePortsInUse: relay.ports.inUse,
  });

  const forwarders = async (handle: number) => {
    const info = (await link.request({ op: 'peer.info', sessionId: SESSION, handleId: handle })) as unknown as {
      result: { sfu: { forwarders: ForwarderCounters[] } };
    };
    return info.result.sfu.forwarders;
  };

  /**
   * publisher → forwarders → lossy proxy → remote publisher → subscriber; `measure` runs with the
   * path warm and everything open, then all of it is closed and resources must be back to baseline.
   */
  async function cascade(
    opts: { nack: boolean; srtp?: boolean; rids?: string[] },
    measure: (c: {
      pub: PubClient;
      sub: SubClient;
      tags: Map<number, Set<number>>;
      pubHandle: number;
      remoteKey: string;
      vmid: string;
      fw: ForwarderCounters[];
      proxy: LossyProxy;
    }) => Promise<void>,
  ): Promise<void> {
    const base = resources();
    const pub = new PubClient(21, { rids: opts.rids });
    const sub = new SubClient();
    const tags = tagCounters(sub);
    const remoteHandle = handleId();
    const srtp = opts.srtp ? { suite: 80 as const, crypto: Buffer.alloc(30, 9).toString('base64') } : undefined;
    let proxy: LossyProxy | undefined;
    try {
      const p = await publish(link, SESSION, pub);
      const simulcast = opts.rids !== undefined;
      const streams = p.streams.map((s) => ({
        mid: s.mid,
        mindex: s.mindex,
        type: s.type as 'audio' | 'video',
        codec: s.codec!,
        ...(simulcast && s.type === 'video' ? { simulcast: true } : {}),
      }));
      const added = await link.request({
        op: 'sfu.remoteAdd',
        sessionId: SESSION,
        handleId: remoteHandle,
        room: 1,
        streams,
        ...(srtp ? { srtp } : {}),
      } as CommandInput);
      expect(added.ok, JSON.stringify(added)).toBe(true);
      const {
        port,
        rtcp_port: rtcpPort,
        streams: remoteStreams,
      } = (added as unknown as { result: { port: number; rtcp_port: number; streams: PubStreams } }).result;
      proxy = new LossyProxy(port, DROP_EVERY);
      const proxyPort = await proxy.start();
      const fw = await link.call({
        op: 'sfu.forward',
        sessionId: SESSION,
        handleId: p.handle,
        streams: remotely(p.streams, proxyPort, rtcpPort, opts.nack, simulcast ? 3 : 1),
        ...(srtp ? { srtp } : {}),
      });
      expect(fw.forwarders.filter((f) => f.nack === true)).toHaveLength(opts.nack ? (simulcast ? 3 : 1) : 0);

      const remoteKey = `${SESSION}:${remoteHandle}`;
      const s = await subscribe(
        link,
        SESSION,
        sub,
        remoteStreams.map((x) => ({
          feedId: remoteHandle,
          feedKey: remoteKey,
          feedMid: x.mid,
          type: x.type as 'audio' | 'video',
        })),
      );
      const vmid = s.streams.find((x) => x.type === 'video')!.mid;
      const top = simulcast ? 2 : 0;
      await waitFor(
        () => {
          for (let l = 0; l <= top; l++) pub.sendVideo(l);
          return (tags.get(top)?.size ?? 0) > 5;
        },
        10_000,
        'video through the cascade',
      );
      await measure({ pub, sub, tags, pubHandle: p.handle, remoteKey, vmid, fw: await forwarders(p.handle), proxy });

      expect(
        (await link.request({ op: 'sfu.remoteRemove', sessionId: SESSION, handleId: remoteHandle } as CommandInput)).ok,
      ).toBe(true);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: s.handle, reason: 'Janus API' });
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      if (relay.sfu.remote(`${SESSION}:${remoteHandle}`)) relay.sfu.removeRemote(`${SESSION}:${remoteHandle}`);
      proxy?.close();
      await pub.close();
      await sub.close();
    }
    await waitFor(
      () => JSON.stringify(resources()) === JSON.stringify(base),
      5000,
      `resources back to baseline (${JSON.stringify(base)}, now ${JSON.stringify(resources())})`,
    );
  }

  /** Sends `n` video packets per layer (~1000/s) with audio beside them; returns the first tag counter of the window per layer. */
  async function burst(pub: PubClient, layers: number, n: number): Promise<number[]> {
    const first = pub.layers.slice(0, layers).map((l) => l.counter + 1);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < layers; l++) pub.sendVideo(l);
      if (i % 10 === 9) {
        pub.sendAudio();
        await sleep(10);
      }
    }
    return first;
  }

  /** Share of tags [first, first + n) that reached the subscriber. */
  const deliveredRatio = (got: Set<number> | undefined, first: number, n: number) => {
    let k = 0;
    for (let c = first; c < first + n; c++) if (got?.has(c)) k++;
    return k / n;
  };

  const N = 1000;
  const TAIL = 20; // packets after the window, so a loss at its very end is noticed too

  it(
    'with nack:true the subscriber gets ≥ 99 % of the video through a 5 % lossy link; a subscriber PLI reaches the publisher',
    { timeout: 60_000 },
    async () => {
      await cascade({ nack: true }, async ({ pub, sub, tags, pubHandle, remoteKey, vmid, proxy }) => {
        const before = { dropped: proxy.dropped, retrans: proxy.retransmissions };
        const [first] = await burst(pub, 1, N);
        await burst(pub, 1, TAIL);
        await sleep(800);
        const ratio = deliveredRatio(tags.get(0), first!, N);
        const video = (await forwarders(pubHandle)).find((f) => f.local_rtcp_port !== undefined)!;
        const remote = relay.sfu.remote(remoteKey)!.info() as { nacksOut: number; nackedPackets: number };
        expect(proxy.dropped - before.dropped).toBeGreaterThanOrEqual(N / DROP_EVERY);
        expect(ratio).toBeGreaterThanOrEqual(0.99);
        expect(video.nack).toBe(true);
        expect(video.nacksIn).toBeGreaterThan(0);
        expect(video.retransmitted).toBeGreaterThan(0);
        expect(proxy.retransmissions - before.retrans).toBeGreaterThan(0);
        expect(remote.nacksOut).toBeGreaterThan(0);
        expect(video.nacksIn).toBeLessThanOrEqual(remote.nacksOut);

        // a subscriber's keyframe request travels back: leg → remote publisher PLI → forwarder → publisher
        await sleep(1100); // past the per-stream PLI aggregation window on both relays' feeds
        const plis = pub.plis;
        const t = sub.pc.getTransceivers().find((x) => x.mid === vmid)!;
        await t.receiver.sendRtcpPLI(t.receiver.tracks[0]?.ssrc ?? [...sub.rec(vmid).ssrcs][0]!);
        await waitFor(() => pub.plis > plis, 5000, 'PLI at the publisher');
        expect((await forwarders(pubHandle)).find((f) => f.id === video.id)!.plisIn).toBeGreaterThan(video.plisIn);
      });
    },
  );

  it(
    'with nack:false (Janus behaviour) the same link delivers only ≈ 95 % and nothing is retransmitted',
    { timeout: 60_000 },
    async () => {
      await cascade({ nack: false }, async ({ pub, tags, pubHandle, remoteKey, proxy }) => {
        const [first] = await burst(pub, 1, N);
        await burst(pub, 1, TAIL);
        await sleep(800);
        const ratio = deliveredRatio(tags.get(0), first!, N);
        const video = (await forwarders(pubHandle)).find((f) => f.local_rtcp_port !== undefined)!;
        const remote = relay.sfu.remote(remoteKey)!.info() as { nacksOut: number };
        expect(ratio).toBeLessThan(0.97);
        expect(ratio).toBeGreaterThan(0.9);
        expect(video.nack).toBeUndefined();
        expect(remote.nacksOut).toBeGreaterThan(0); // the remote publisher asks anyway…
        expect(video.nacksIn).toBeGreaterThan(0);
        expect(video.retransmitted).toBe(0); // …and is not answered
        expect(proxy.retransmissions).toBe(0);
      });
    },
  );

  it('SRTP: retransmissions are encrypted again and decrypt on the remote publisher', { timeout: 60_000 }, async () => {
    await cascade({ nack: true, srtp: true }, async ({ pub, tags, pubHandle, remoteKey }) => {
      const [first] = await burst(pub, 1, N);
      await burst(pub, 1, TAIL);
      await sleep(800);
      const video = (await forwarders(pubHandle)).find((f) => f.local_rtcp_port !== undefined)!;
      const remote = relay.sfu.remote(remoteKey)!.info() as { nacksOut: number; srtpFailures: number };
      expect(deliveredRatio(tags.get(0), first!, N)).toBeGreaterThanOrEqual(0.99);
      expect(video.retransmitted).toBeGreaterThan(0);
      expect(remote.srtpFailures).toBe(0);
    });
  });

  it(
    'simulcast: feedback on the one RTCP socket is applied to the layer its SSRC names (NACKs, PLIs), unknown SSRCs to the receiving forwarder',
    { timeout: 60_000 },
    async () => {
      await cascade({ nack: true, rids: ['l', 'm', 'h'] }, async ({ pub, tags, pubHandle, fw, proxy }) => {
        const layer = (list: ForwarderCounters[], l: number) =>
          list.find((f) => f.nack === true && f.ssrc! % 10 === l)!;
        expect(fw.filter((f) => f.nack === true)).toHaveLength(3);
        const rtcpPort = layer(fw, 0).local_rtcp_port!;
        expect(layer(fw, 1).local_rtcp_port).toBeUndefined();
        expect(layer(fw, 2).local_rtcp_port).toBeUndefined();

        // every layer's losses are repaired through the layer-0 forwarder's RTCP socket
        const first = await burst(pub, 3, N);
        await burst(pub, 3, TAIL);
        await sleep(800);
        const after = await forwarders(pubHandle);
        expect(deliveredRatio(tags.get(2), first[2]!, N)).toBeGreaterThanOrEqual(0.99);
        for (let l = 0; l < 3; l++) expect(layer(after, l).retransmitted).toBeGreaterThan(0);

        // raw feedback from another socket: the forwarder its SSRC names acts, whatever socket it came in on
        const probe = createSocket('udp4');
        await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
        const pliFor = (ssrc: number) =>
          new RtcpPayloadSpecificFeedback({
            feedback: new PictureLossIndication({ senderSsrc: 5, mediaSsrc: ssrc }),
          }).serialize();
        try {
          probe.send(pliFor(layer(after, 2).ssrc!), rtcpPort, '127.0.0.1');
          await waitForAsync(
            async () => layer(await forwarders(pubHandle), 2).plisIn > layer(after, 2).plisIn,
            'PLI applied to layer 2',
          );
          const mid = await forwarders(pubHandle);
          expect(layer(mid, 0).plisIn).toBe(layer(after, 0).plisIn);
          expect(layer(mid, 1).plisIn).toBe(layer(after, 1).plisIn);

          // a PLI naming no forwarder goes to the receiving one (rtpfwd.c ignores the SSRC)
          probe.send(pliFor(4242), rtcpPort, '127.0.0.1');
          await waitForAsync(
            async () => layer(await forwarders(pubHandle), 0).plisIn > layer(mid, 0).plisIn,
            'unaddressed PLI applied to the receiving forwarder',
          );

          // a NACK naming layer 1 is answered from layer 1's history only
          const f1 = layer(mid, 1);
          const last = proxy.lastSeq.get(f1.ssrc!)!;
          probe.send(buildNack(5, f1.ssrc!, [(last - 2) & 0xffff, (last - 1) & 0xffff, last])!, rtcpPort, '127.0.0.1');
          await waitForAsync(
            async () => layer(await forwarders(pubHandle), 1).retransmitted >= f1.retransmitted + 3,
            'layer 1 retransmits',
          );
          const end = await forwarders(pubHandle);
          expect(layer(end, 1).retransmitted).toBe(f1.retransmitted + 3);
          expect(layer(end, 0).nacksIn).toBe(layer(mid, 0).nacksIn);
          expect(layer(end, 2).nacksIn).toBe(layer(mid, 2).nacksIn);
          expect(layer(end, 0).retransmitted).toBe(layer(mid, 0).retransmitted);
          expect(layer(end, 2).retransmitted).toBe(layer(mid, 2).retransmitted);
        } finally {
          probe.close();
        }
      });
    },
  );
});

/** publish_remotely's forwarders: SSRC 1000 + mindex*10 (+ layer), RTCP on the first video stream's layer 0 only. */
function remotely(streams: PubStreams, port: number, rtcpPort: number, nack: boolean, layers: number) {
  let rtcp = false;
  return streams.flatMap((s) => {
    const n = s.type === 'video' ? layers : 1;
    const first = s.type === 'video' && !rtcp;
    if (first) rtcp = true;
    return Array.from({ length: n }, (_, l) => ({
      mid: s.mid,
      host: '127.0.0.1',
      port,
      ssrc: 1000 + s.mindex * 10 + l,
      ...(first && l === 0 ? { rtcp_port: rtcpPort } : {}),
      ...(layers > 1 && s.type === 'video' ? { substream: l } : {}),
      ...(nack && s.type === 'video' ? { nack: true } : {}),
    }));
  });
}

async function waitForAsync(pred: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
