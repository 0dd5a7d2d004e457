/**
 * The AudioBridge's bridge peer on one relay (the far and the home relay are the same process here,
 * the RTP between them on loopback): a client whose PeerConnection is a bridge peer is mixed as the
 * plain-RTP leg it bridges to, hears the others and not itself, is muted through its leg, follows
 * its leg to a new home (`ab.bridgeTo`) without a break, and every socket and port comes back.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { MediaStreamTrack, RtpPacket } from 'werift';
import { OpusEncoder } from '../../../relay/audiobridge/opus.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { bridgeTotals } from '../../../relay/audiobridge/bridgePeer.js';
import { mixerTotals } from '../../../relay/audiobridge/totals.js';
import { audioBridgeSocketCount } from '../../../relay/net/sockets.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { AB, joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { ToneSource } from './support/goertzel.js';
import { WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46400, 46499], { env: { RELAY_REMOTE_PORT_MIN: '36400', RELAY_REMOTE_PORT_MAX: '36499' } });

const HEARD = 1500;
const NOT_HEARD = 300;
const LEG = 101;
const NEXT_LEG = 102;

async function openLeg(handleId: number, participant: number) {
  return fx.link.call({
    op: 'ab.rtpJoin',
    sessionId: SESSION,
    handleId,
    mixer: 'ab:1',
    mixerSettings: mixerSettings(1),
    participant,
    rtp: { payloadType: 100, audioLevelExt: 1 },
  } as Extract<CommandInput, { op: 'ab.rtpJoin' }>);
}

describe('AudioBridge bridge peer', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));
  const c = fx.track(new WebRtcVoice(undefined));
  const base = { sockets: 0, participants: 0, ports: 0 };

  it('a bridged client hears the others and not itself, and is heard', async () => {
    base.sockets = audioBridgeSocketCount();
    base.participants = mixerTotals.participants;
    base.ports = fx.relay.remotePorts.inUse;
    const leg = await openLeg(LEG, 1);
    const offer = await a.offer();
    const res = await fx.link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: AB,
      offer: { sdp: offer },
      options: {
        mixer: 'ab:1',
        mixerSettings: mixerSettings(1),
        participant: 1,
        bridge: { ip: leg.ip, port: leg.port, payloadType: 100, audioLevelExt: 1 },
      },
    } as Extract<CommandInput, { op: 'peer.create' }>);
    if (!('answer' in res)) throw new Error('expected an answer');
    await a.accept(res.answer.sdp);
    await a.connected();
    a.start();
    await joinWebRtc(fx.link, b, 2, 'ab:1');
    await joinWebRtc(fx.link, c, 3, 'ab:1');
    // the mixer holds the leg, not the bridge peer: three voices
    expect(fx.relay.audiobridge.mixer('ab:1')?.size).toBe(3);
    expect(bridgeTotals.bridges).toBe(1);
    await waitFor(() => a.level(880) > HEARD, 8000, 'bridged A hears B');
    await waitFor(() => b.level(440) > HEARD && c.level(440) > HEARD, 8000, 'B and C hear bridged A');
    expect(a.level(440), 'A does not hear itself').toBeLessThan(NOT_HEARD);
    const info = (await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 })) as Record<string, any>;
    expect(info.counters[0].packetsIn).toBeGreaterThan(0);
    expect(info.counters[0].packetsOut).toBeGreaterThan(0);
  });

  it('muting the leg at home mutes the bridged client', async () => {
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: LEG, settings: { muted: true } });
    await waitFor(() => c.level(440) < NOT_HEARD, 8000, 'C no longer hears muted A');
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: LEG, settings: { muted: false } });
    await waitFor(() => c.level(440) > HEARD, 8000, 'C hears A again');
  });

  it('re-pointed to a new leg (a new home), the bridge carries on both ways', async () => {
    const next = await openLeg(NEXT_LEG, 11);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: LEG, reason: 'rehomed' });
    await fx.link.call({
      op: 'ab.bridgeTo',
      sessionId: SESSION,
      handleId: 1,
      target: { ip: next.ip, port: next.port, payloadType: 100, audioLevelExt: 1 },
    } as Extract<CommandInput, { op: 'ab.bridgeTo' }>);
    const before = a.packetsReceived;
    await new Promise((r) => setTimeout(r, 600));
    await waitFor(() => a.level(880) > HEARD && a.packetsReceived > before + 20, 8000, 'A hears B from the new leg');
    await waitFor(() => c.level(440) > HEARD, 8000, 'C hears A through the new leg');
    expect(a.level(440)).toBeLessThan(NOT_HEARD);
    // a bridge is no mixer participant here: the op for one is refused
    await expect(
      fx.link.call({
        op: 'ab.bridgeTo',
        sessionId: SESSION,
        handleId: 2,
        target: { ip: next.ip, port: next.port, payloadType: 100 },
      }),
    ).rejects.toThrow(/no bridge/);
  });

  it('a bridged client that sends nothing (a listener) still hears the room', async () => {
    const listener = fx.track(new WebRtcVoice(undefined));
    const leg = await openLeg(103, 5);
    const res = await fx.link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 5,
      plugin: AB,
      offer: { sdp: await listener.offer() },
      options: {
        mixer: 'ab:1',
        mixerSettings: mixerSettings(1),
        participant: 5,
        bridge: { ip: leg.ip, port: leg.port, payloadType: 100, audioLevelExt: 1 },
      },
    } as Extract<CommandInput, { op: 'peer.create' }>);
    if (!('answer' in res)) throw new Error('expected an answer');
    await listener.accept(res.answer.sdp);
    await listener.connected();
    // never started: the bridge's priming packets alone tell the home leg where to send
    await waitFor(() => listener.level(880) > HEARD && listener.level(440) > HEARD, 8000, 'the listener hears A and B');
    for (const h of [5, 103])
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'done' });
  });

  it('the bridge adds a fraction of a millisecond each way (per packet, to and from a home socket)', async () => {
    // the home leg is a plain socket here: each Opus payload passes unchanged, so it identifies its packet
    const home = createSocket('udp4');
    await new Promise<void>((r) => home.bind(0, '127.0.0.1', r));
    const e = fx.track(new WebRtcVoice(330));
    const sentUp = new Map<string, number>();
    const track = (e as unknown as { track: MediaStreamTrack }).track;
    const write = track.writeRtp.bind(track);
    track.writeRtp = (rtp: RtpPacket | Buffer) => {
      sentUp.set((rtp as RtpPacket).payload.toString('hex'), performance.now());
      write(rtp);
    };
    const up: number[] = [];
    let bridgeAt: { address: string; port: number } | undefined;
    home.on('message', (msg, rinfo) => {
      bridgeAt ??= { address: rinfo.address, port: rinfo.port };
      const offset = 12 + (msg[0]! & 0x10 ? 4 + 4 * msg.readUInt16BE(14) : 0);
      const t = sentUp.get(msg.subarray(offset).toString('hex'));
      if (t !== undefined) up.push(performance.now() - t);
    });
    const res = await fx.link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 4,
      plugin: AB,
      offer: { sdp: await e.offer() },
      options: {
        mixer: 'ab:1',
        mixerSettings: mixerSettings(1),
        participant: 4,
        bridge: { ip: '127.0.0.1', port: home.address().port, payloadType: 100 },
      },
    } as Extract<CommandInput, { op: 'peer.create' }>);
    if (!('answer' in res)) throw new Error('expected an answer');
    const down: number[] = [];
    const sentDown = new Map<string, number>();
    // the client's receiving track appears with the answer
    for (const t of e.pc.getTransceivers())
      t.onTrack.subscribe((tr) =>
        tr.onReceiveRtp.subscribe((rtp) => {
          const t0 = sentDown.get(rtp.payload.toString('hex'));
          if (t0 !== undefined) down.push(performance.now() - t0);
        }),
      );
    await e.accept(res.answer.sdp);
    await e.connected();
    e.start();
    await waitFor(() => up.length >= 100 && bridgeAt !== undefined, 8000, 'upstream packets at home');
    // downstream: the home sends Opus frames of its own to the bridge
    const encoder = new OpusEncoder(48000, 1, { bitrate: 32000, complexity: 4, expectedLoss: 0 });
    const tone = new ToneSource(48000, 523, 6000);
    const buf = Buffer.alloc(1500);
    for (let i = 0; i < 100; i++) {
      const n = encoder.encode(tone.frame(), buf);
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 100;
      header.writeUInt16BE(i, 2);
      header.writeUInt32BE(i * 960, 4);
      header.writeUInt32BE(0xabc, 8);
      const payload = Buffer.from(buf.subarray(0, n));
      sentDown.set(payload.toString('hex'), performance.now());
      home.send(Buffer.concat([header, payload]), bridgeAt!.port, bridgeAt!.address);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => down.length >= 90, 3000, 'downstream packets at the client');
    encoder.close();
    const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!;
    const report = {
      upMs: { p50: pct(up, 0.5), p99: pct(up, 0.99) },
      downMs: { p50: pct(down, 0.5), p99: pct(down, 0.99) },
    };
    if (process.env.AB_LATENCY_REPORT) process.stderr.write(`bridge per-packet latency: ${JSON.stringify(report)}\n`);
    // client encryption, the relay's SRTP, the bridge and a loopback hop: far under a mixing tick
    expect(report.upMs.p50).toBeLessThan(5);
    expect(report.downMs.p50).toBeLessThan(5);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 4, reason: 'done' });
    await new Promise<void>((r) => home.close(() => r()));
  });

  it('hanging up releases the bridge, its socket and port, and the leg', async () => {
    for (const h of [1, 2, 3, NEXT_LEG])
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'done' });
    await waitFor(() => audioBridgeSocketCount() === base.sockets, 3000, 'sockets closed');
    expect(bridgeTotals.bridges).toBe(0);
    expect(mixerTotals.participants).toBe(base.participants);
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
    await waitFor(() => fx.relay.remotePorts.inUse === base.ports, 3000, 'ports back');
  });
});
