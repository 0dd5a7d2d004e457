import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PictureLossIndication,
  ProtectionProfileAes128CmHmacSha1_80,
  RtcpPayloadSpecificFeedback,
  RtpPacket,
  SrtpSession,
} from 'werift';
import type { Relay } from '../../../relay/relay.js';
import { PortPool } from '../../../relay/net/ports.js';
import { census } from '../../../relay/net/resources.js';
import { forwarderSocketCount, FORWARD_SOCKET_REASON, openForwardSocket } from '../../../relay/net/sockets.js';
import { hasKeyframeRequest } from '../../../relay/sfu/rtcp.js';
import { waitFor } from '../support/client.js';
import type { RelayLink } from '../support/edge.js';
import { relayFixture } from '../support/relayFixture.js';
import { PubClient, publish, seqStats, sleep, SubClient, subscribe } from './support.js';

const SESSION = 7300;

const fx = relayFixture([42400, 42499]);
let relay: Relay;
let link: RelayLink;
beforeAll(() => void ({ relay, link } = fx));
const cleanup = fx.cleanup;
const track = fx.track.bind(fx);

interface Rx {
  msg: Buffer;
  rinfo: RemoteInfo;
}

/** A UDP socket of the test that records every datagram. */
async function sink(): Promise<{ sock: Socket; port: number; rx: Rx[]; close(): Promise<void> }> {
  const sock = createSocket('udp4');
  const rx: Rx[] = [];
  sock.on('message', (msg, rinfo) => rx.push({ msg, rinfo }));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const s = { sock, port: sock.address().port, rx, close: () => new Promise<void>((r) => sock.close(() => r())) };
  cleanup.push(() => s.close());
  return s;
}

const rtpOf = (b: Buffer) => ({
  pt: b[1]! & 0x7f,
  seq: b.readUInt16BE(2),
  ts: b.readUInt32BE(4),
  ssrc: b.readUInt32BE(8),
  payload: b.subarray(12),
});
const midOf = (streams: Array<{ type: string; mid: string }>, type: string) =>
  streams.find((s) => s.type === type)!.mid;
const udp = () => census().udpHandles;

interface Fwd {
  id: number;
  mid: string;
  type: string;
  host: string;
  port: number;
  ssrc?: number;
  pt?: number;
  local_rtcp_port?: number;
  srtp: boolean;
}

async function forward(handle: number, body: Record<string, unknown>): Promise<Fwd[]> {
  const r = await link.call({ op: 'sfu.forward', sessionId: SESSION, handleId: handle, ...body } as never);
  return (r as { forwarders: Fwd[] }).forwarders;
}

const err = async (cmd: Record<string, unknown>) => {
  const r = await link.request(cmd);
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(cmd).slice(0, 200)}`);
  return r.error;
};

describe('VideoRoom RTP forwarders', () => {
  it('forwards VP8 and Opus as plain RTP (≥ 99 %, requested ssrc/pt, continuous sequence) from one shared socket', async () => {
    const v = await sink();
    const a = await sink();
    const pub = track(new PubClient(1));
    const p = await publish(link, SESSION, pub);
    const [am, vm] = [midOf(p.streams, 'audio'), midOf(p.streams, 'video')];
    const u0 = udp();
    const s0 = forwarderSocketCount();

    const fw = await forward(p.handle, {
      streams: [
        { mid: vm, host: '127.0.0.1', port: v.port, ssrc: 0x1234567, pt: 100 },
        { mid: am, host: 'localhost', port: a.port, ssrc: 0xabcdef, pt: 111 },
      ],
    });
    expect(fw).toHaveLength(2);
    expect(fw[0]).toMatchObject({
      mid: vm,
      type: 'video',
      host: '127.0.0.1',
      port: v.port,
      ssrc: 0x1234567,
      pt: 100,
      srtp: false,
    });
    expect(fw[1]).toMatchObject({
      mid: am,
      type: 'audio',
      host: '127.0.0.1',
      port: a.port,
      ssrc: 0xabcdef,
      pt: 111,
      srtp: false,
    });
    expect(fw[0]!.id).not.toBe(fw[1]!.id);
    expect(fw[0]!.local_rtcp_port).toBeUndefined();
    // one socket for both forwarders
    expect(forwarderSocketCount()).toBe(s0 + 1);
    expect(udp()).toBe(u0 + 1);

    const sent0 = { ...pub.sent };
    pub.start(150);
    await sleep(2000);
    pub.stop();
    await sleep(300);
    const sentV = pub.sent.video - sent0.video;
    const sentA = pub.sent.audio - sent0.audio;
    expect(sentV).toBeGreaterThan(250);
    expect(v.rx.length).toBeGreaterThanOrEqual(Math.floor(sentV * 0.99));
    expect(a.rx.length).toBeGreaterThanOrEqual(Math.floor(sentA * 0.99));
    expect(v.rx.length).toBeLessThanOrEqual(sentV);

    const vr = v.rx.map((x) => rtpOf(x.msg));
    const ar = a.rx.map((x) => rtpOf(x.msg));
    expect(new Set(vr.map((x) => x.ssrc))).toEqual(new Set([0x1234567]));
    expect(new Set(vr.map((x) => x.pt))).toEqual(new Set([100]));
    expect(new Set(ar.map((x) => x.ssrc))).toEqual(new Set([0xabcdef]));
    expect(new Set(ar.map((x) => x.pt))).toEqual(new Set([111]));
    for (const r of [vr, ar]) {
      const st = seqStats(r.map((x) => x.seq));
      expect(st.backwards).toBe(0);
      expect(st.maxGap).toBe(1);
    }
    // timestamps keep the publisher's spacing; payloads are the publisher's, untouched
    expect((vr[1]!.ts - vr[0]!.ts) >>> 0).toBe(3000);
    expect((ar[1]!.ts - ar[0]!.ts) >>> 0).toBe(960);
    expect(vr.every((x) => x.payload[2] === 0x7e && x.payload[3] === 1 && x.payload.length === 200)).toBe(true);
    expect(ar.every((x) => x.payload[0] === 0x7e && x.payload[1] === 1)).toBe(true);
    // same source port: the publisher's single forwarder socket
    expect(v.rx[0]!.rinfo.port).toBe(a.rx[0]!.rinfo.port);
    expect(new Set([...v.rx, ...a.rx].map((x) => x.rinfo.port)).size).toBe(1);

    // peer.info lists them with counters
    const info = (await link.request({ op: 'peer.info', sessionId: SESSION, handleId: p.handle })) as unknown as {
      result: { sfu: { forwarders: Array<Fwd & { packetsOut: number }> } };
    };
    expect(info.result.sfu.forwarders.map((f) => f.id)).toEqual(fw.map((f) => f.id));
    expect(info.result.sfu.forwarders[0]!.packetsOut).toBe(v.rx.length);

    // stopping the first keeps the socket, the last one closes it
    await link.call({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: fw[0]!.id });
    expect(forwarderSocketCount()).toBe(s0 + 1);
    expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: fw[0]!.id })).code).toBe(
      466,
    );
    await link.call({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: fw[1]!.id });
    await waitFor(() => forwarderSocketCount() === s0 && udp() === u0, 5000, 'forwarder socket closed');
    // nothing more arrives
    const n = v.rx.length + a.rx.length;
    pub.start(150);
    await sleep(300);
    pub.stop();
    expect(v.rx.length + a.rx.length).toBe(n);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
  });

  it('rtcp_port: two latch packets from the local RTCP port, a PLI sent back reaches the publisher; hangup closes everything', async () => {
    const v = await sink();
    const r = await sink();
    const base = udp();
    const fds = census().socketFds;
    const s0 = forwarderSocketCount();
    const pub = new PubClient(2, { audio: false });
    try {
      const p = await publish(link, SESSION, pub);
      const vm = midOf(p.streams, 'video');
      const u0 = udp();
      const [f] = await forward(p.handle, {
        streams: [{ mid: vm, host: '127.0.0.1', port: v.port, rtcp_port: r.port }],
      });
      expect(f!.local_rtcp_port).toBeGreaterThan(0);
      expect(f!.ssrc).toBeTypeOf('number');
      expect(f!.pt).toBe(pub.video!.codecs.find((c) => c.name.toLowerCase() === 'vp8')!.payloadType);
      expect(udp()).toBe(u0 + 2);
      expect(forwarderSocketCount()).toBe(s0 + 2);

      await waitFor(() => r.rx.length >= 2, 3000, 'latch packets');
      await sleep(100);
      expect(r.rx).toHaveLength(2);
      for (const x of r.rx) {
        expect(x.msg.length).toBe(12);
        expect(x.msg[0]).toBe(0x80);
        expect(x.msg.subarray(1).every((b) => b === 0)).toBe(true);
        expect(x.rinfo.port).toBe(f!.local_rtcp_port);
      }

      pub.start(100);
      await waitFor(() => v.rx.length > 10, 3000, 'forwarded video');
      expect(rtpOf(v.rx[0]!.msg).ssrc).toBe(f!.ssrc);
      // the forwarder's own PLI (sent when it started) is out of the way: the next one is ours
      await sleep(1200);
      const plis0 = pub.plis;
      const pli = new RtcpPayloadSpecificFeedback({
        feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: f!.ssrc! }),
      }).serialize();
      expect(hasKeyframeRequest(pli)).toBe(true);
      r.sock.send(pli, f!.local_rtcp_port!, '127.0.0.1');
      await waitFor(() => pub.plis > plis0, 3000, 'PLI relayed to the publisher');
      pub.stop();

      // the publisher hangs up: its forwarders and their sockets go with it
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
      await link.waitEvent(SESSION, p.handle, 'hangup');
      expect(forwarderSocketCount()).toBe(s0);
      expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: f!.id })).code).toBe(459);
    } finally {
      await pub.close();
    }
    await waitFor(() => udp() === base, 5000, `UDP handles back to baseline (${base}, now ${udp()})`);
    await waitFor(
      () => census().socketFds === fds,
      5000,
      `socket fds back to baseline (${fds}, now ${census().socketFds})`,
    );
  });

  it('SRTP (suites 80 and 32) decrypts with werift SrtpSession and the same key', async () => {
    const s80 = await sink();
    const s32 = await sink();
    const pub = track(new PubClient(3, { audio: false }));
    const p = await publish(link, SESSION, pub);
    const vm = midOf(p.streams, 'video');
    const key = randomBytes(30);
    const crypto = key.toString('base64');
    const [f80] = await forward(p.handle, {
      streams: [{ mid: vm, host: '127.0.0.1', port: s80.port }],
      srtp: { suite: 80, crypto },
    });
    const [f32] = await forward(p.handle, {
      streams: [{ mid: vm, host: '127.0.0.1', port: s32.port, ssrc: 4242 }],
      srtp: { suite: 32, crypto },
    });
    expect(f80!.srtp).toBe(true);
    expect(f32!.srtp).toBe(true);
    pub.start(150);
    await waitFor(() => s80.rx.length >= 100 && s32.rx.length >= 100, 5000, 'SRTP packets');
    pub.stop();
    await sleep(100);
    const sessionOf = () =>
      new SrtpSession({
        keys: {
          localMasterKey: key.subarray(0, 16),
          localMasterSalt: key.subarray(16),
          remoteMasterKey: key.subarray(0, 16),
          remoteMasterSalt: key.subarray(16),
        },
        profile: ProtectionProfileAes128CmHmacSha1_80,
      });

    const d80 = sessionOf();
    for (const { msg } of s80.rx) {
      expect(msg.length).toBe(12 + 200 + 10);
      const rtp = RtpPacket.deSerialize(d80.decrypt(msg));
      expect(rtp.header.ssrc).toBe(f80!.ssrc);
      expect(rtp.payload[2]).toBe(0x7e);
      expect(rtp.payload[3]).toBe(3);
    }

    // _32: same cipher, tag truncated to 4 bytes; restore the 10-byte tag to let werift decrypt
    const d32 = sessionOf();
    const authKey = (d32.remoteContext as unknown as { srtpSessionAuthTag: Buffer }).srtpSessionAuthTag;
    let roc = 0;
    let prev = -1;
    const seqs: number[] = [];
    for (const { msg } of s32.rx) {
      expect(msg.length).toBe(12 + 200 + 4);
      const seq = msg.readUInt16BE(2);
      if (prev >= 0 && seq < prev && prev - seq > 0x8000) roc++;
      prev = seq;
      seqs.push(seq);
      const body = msg.subarray(0, msg.length - 4);
      const rocBuf = Buffer.alloc(4);
      rocBuf.writeUInt32BE(roc);
      const tag = createHmac('sha1', authKey).update(body).update(rocBuf).digest();
      expect(tag.subarray(0, 4).equals(msg.subarray(msg.length - 4))).toBe(true);
      const rtp = RtpPacket.deSerialize(d32.decrypt(Buffer.concat([body, tag.subarray(0, 10)])));
      expect(rtp.header.ssrc).toBe(4242);
      expect(rtp.payload[2]).toBe(0x7e);
    }
    expect(seqStats(seqs).maxGap).toBe(1);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
  });

  it('simulcast: the highest available layer, switching down at a keyframe when it stops; a fixed substream otherwise', async () => {
    const best = await sink();
    const low = await sink();
    const pub = track(new PubClient(4, { audio: false, rids: ['l', 'm', 'h'] }));
    const p = await publish(link, SESSION, pub);
    const vm = midOf(p.streams, 'video');
    await forward(p.handle, {
      streams: [
        { mid: vm, host: '127.0.0.1', port: best.port, simulcast: true },
        { mid: vm, host: '127.0.0.1', port: low.port, substream: 0 },
      ],
    });
    const layerOf = (x: Rx) => x.msg[12 + 4];
    const isKey = (x: Rx) => x.msg[12 + 1] === 0x00;
    pub.start(60);
    // it starts on what arrives first and climbs to "h" as the layers show up, at keyframes
    await waitFor(() => best.rx.filter((x) => layerOf(x) === 2).length > 30, 5000, 'simulcast forwarding on layer 2');
    pub.stop();
    await sleep(100);
    const top = best.rx.findIndex((x) => layerOf(x) === 2);
    expect(isKey(best.rx[top]!)).toBe(true);
    expect(new Set(best.rx.slice(top).map(layerOf))).toEqual(new Set([2]));
    for (let i = 1; i < top; i++)
      if (layerOf(best.rx[i]!) !== layerOf(best.rx[i - 1]!)) expect(isKey(best.rx[i]!)).toBe(true);
    expect(new Set(low.rx.map(layerOf))).toEqual(new Set([0]));
    const n = best.rx.length;
    // "h" stops: after a second without it the forwarder falls back to "m" at its next keyframe
    const timer = setInterval(() => {
      pub.sendVideo(0);
      pub.sendVideo(1);
    }, 20);
    try {
      await waitFor(() => best.rx.slice(n).some((x) => layerOf(x) === 1), 5000, 'switch to layer 1');
    } finally {
      clearInterval(timer);
    }
    await sleep(100);
    const after = best.rx.slice(n);
    const first = after.findIndex((x) => layerOf(x) === 1);
    expect(isKey(after[first]!)).toBe(true);
    expect(new Set(after.slice(first).map(layerOf))).toEqual(new Set([1]));
    const st = seqStats(best.rx.map((x) => rtpOf(x.msg).seq));
    expect(st.backwards).toBe(0);
    expect(st.maxGap).toBe(1);
    expect(new Set(best.rx.map((x) => rtpOf(x.msg).ssrc)).size).toBe(1);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
  });

  it('forwards data channel messages as raw datagrams', async () => {
    const d = await sink();
    const pub = track(new PubClient(5, { audio: false, data: true }));
    const p = await publish(link, SESSION, pub);
    const dm = midOf(p.streams, 'data');
    const [f] = await forward(p.handle, { streams: [{ mid: dm, host: '127.0.0.1', port: d.port }] });
    expect(f).toMatchObject({ type: 'data', mid: dm, srtp: false });
    expect(f!.ssrc).toBeUndefined();
    if (pub.channel!.readyState !== 'open') await pub.channel!.stateChanged.watch((s) => s === 'open', 10_000);
    pub.channel!.send('hello forwarder');
    await waitFor(() => d.rx.length > 0, 5000, 'data datagram');
    expect(d.rx[0]!.msg.toString()).toBe('hello forwarder');
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
  });

  it('bad input gets Janus codes and leaks no socket', async () => {
    const pub = track(new PubClient(6, { audio: false }));
    const p = await publish(link, SESSION, pub);
    const vm = midOf(p.streams, 'video');
    const sub = track(new SubClient());
    const s = await subscribe(link, SESSION, sub, [{ feedId: 6, feedKey: p.key, feedMid: vm, type: 'video' }]);
    const s0 = forwarderSocketCount();
    const u0 = udp();
    const ok = { mid: vm, host: '127.0.0.1', port: 9 };
    const fwd = (handleId: number, extra: Record<string, unknown>) =>
      err({ op: 'sfu.forward', sessionId: SESSION, handleId, ...extra });

    expect((await fwd(999_999, { streams: [ok] })).code).toBe(459);
    expect((await fwd(s.handle, { streams: [ok] })).code).toBe(466); // a subscriber
    expect((await fwd(p.handle, { streams: [{ ...ok, mid: 'nope' }] })).code).toBe(466);
    expect((await fwd(p.handle, { streams: [ok, { ...ok, mid: 'nope' }] })).code).toBe(466); // all or nothing
    expect((await fwd(p.handle, {})).code).toBe(456);
    expect((await fwd(p.handle, { streams: [] })).code).toBe(467);
    expect((await fwd(p.handle, { streams: [{ ...ok, port: 0 }] })).code).toBe(467);
    expect((await fwd(p.handle, { streams: [{ ...ok, port: 70000 }] })).code).toBe(467);
    expect((await fwd(p.handle, { streams: [{ ...ok, pt: 128 }] })).code).toBe(467);
    expect((await fwd(p.handle, { streams: [{ mid: vm, port: 9 }] })).code).toBe(456);
    expect((await fwd(p.handle, { streams: [{ ...ok, host: '::1' }] })).code).toBe(467);
    expect((await fwd(p.handle, { streams: [{ ...ok, host: 'no-such-host.invalid' }] })).code).toBe(467);
    expect(
      (await fwd(p.handle, { streams: [ok], srtp: { suite: 64, crypto: randomBytes(30).toString('base64') } })).code,
    ).toBe(467);
    const badKey = await fwd(p.handle, {
      streams: [ok],
      srtp: { suite: 80, crypto: randomBytes(16).toString('base64') },
    });
    expect(badKey.code).toBe(467);
    expect(badKey.reason).toMatch(/SRTP/);
    expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle, id: 123456 })).code).toBe(466);
    expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: 999_999, id: 1 })).code).toBe(459);
    expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: s.handle, id: 1 })).code).toBe(466);
    expect((await err({ op: 'sfu.stopForward', sessionId: SESSION, handleId: p.handle })).code).toBe(456);
    expect(forwarderSocketCount()).toBe(s0);
    expect(udp()).toBe(u0);

    // a socket that cannot be opened (an address this host does not have) is 499
    await expect(openForwardSocket(new PortPool(43990, 43999), '203.0.113.7')).rejects.toMatchObject({
      code: 499,
      message: FORWARD_SOCKET_REASON,
    });
    expect(forwarderSocketCount()).toBe(s0);
    await waitFor(() => udp() === u0, 2000, 'failed socket closed');
    for (const h of [s.handle, p.handle])
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'Janus API' });
  });

  it('relay shutdown closes every forwarder socket', async () => {
    // every earlier peer is hung up; close their clients and let the count settle
    for (const f of cleanup.splice(0)) await f().catch(() => undefined);
    const v = await sink();
    let base = -1;
    for (let i = 0; i < 25 && udp() !== base; i++) {
      base = udp();
      await sleep(200);
    }
    const pub = new PubClient(7, { audio: false });
    const p = await publish(link, SESSION, pub);
    const vm = midOf(p.streams, 'video');
    const s0 = forwarderSocketCount();
    await forward(p.handle, { streams: [{ mid: vm, host: '127.0.0.1', port: v.port, rtcp_port: v.port }] });
    expect(forwarderSocketCount()).toBe(s0 + 2);
    expect(udp()).toBeGreaterThanOrEqual(base + 2);
    await relay.stop();
    expect(forwarderSocketCount()).toBe(0);
    await pub.close();
    await waitFor(() => udp() === base, 5000, `UDP handles back to baseline (${base}, now ${udp()})`);
  });
});
