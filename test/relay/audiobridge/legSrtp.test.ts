/**
 * The SRTP of a bridge's leg between relays (far and home relay in one process here): with the key
 * the edge minted for the leg, a stranger who finds the leg's port is neither mixed nor latched to,
 * the bridged client is still heard and hears the room, and a tampered packet is dropped and counted.
 */
import { createSocket, type Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import type { BridgePeer } from '../../../relay/audiobridge/bridgePeer.js';
import { OpusEncoder } from '../../../relay/audiobridge/opus.js';
import { LegSrtp } from '../../../relay/audiobridge/legSrtp.js';
import { mixerTotals } from '../../../relay/audiobridge/totals.js';
import { SRTP_AES128_CM_HMAC_SHA1_80 } from '../../../relay/srtp/profile.js';
import { createProtector } from '../../../relay/srtp/protector.js';
import type { CommandInput } from '../../../shared/control/commands.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { ToneSource } from './support/goertzel.js';
import { AB, joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46900, 46949], { env: { RELAY_REMOTE_PORT_MIN: '36900', RELAY_REMOTE_PORT_MAX: '36949' } });

const HEARD = 1500;
const NOT_HEARD = 300;
const LEG = 301;
const KEY = Buffer.alloc(16, 7);
const SALT = Buffer.alloc(14, 9);
const srtp = {
  profile: 'AES_CM_128_HMAC_SHA1_80' as const,
  key: KEY.toString('base64'),
  salt: SALT.toString('base64'),
};

/** Opus packets of a tone, as a stranger (or a forger) would send them to the leg. */
class Stranger {
  readonly socket: Socket = createSocket('udp4');
  received = 0;
  private readonly encoder = new OpusEncoder(48000, 1, { bitrate: 32000, complexity: 4, expectedLoss: 0 });
  private readonly tone = new ToneSource(48000, 660, 8000);
  private readonly buf = Buffer.alloc(1500);
  private seq = 0;

  async bind(): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.socket.on('message', () => this.received++);
  }

  /** The next 20 ms of the tone as a plain RTP packet. */
  packet(): Buffer {
    const n = this.encoder.encode(this.tone.frame(), this.buf);
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = 100;
    h.writeUInt16BE(this.seq, 2);
    h.writeUInt32BE(this.seq * 960, 4);
    h.writeUInt32BE(0x5eed, 8);
    this.seq++;
    return Buffer.concat([h, this.buf.subarray(0, n)]);
  }

  send(packet: Buffer, port: number): void {
    this.socket.send(packet, port, '127.0.0.1');
  }

  async close(): Promise<void> {
    this.encoder.close();
    await new Promise<void>((r) => this.socket.close(() => r()));
  }
}

/** The leg's `peer.info` as the relay answers it (the test edge's parse keeps only the common fields). */
async function legInfo(): Promise<Record<string, any>> {
  await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: LEG });
  return fx.relay.audiobridge.rtpParticipant(`${SESSION}:${LEG}`)!.info() as Record<string, any>;
}

/** Packets the leg dropped for SRTP, once at least `n` (polled through peer.info). */
async function droppedAtLeast(n: number, what: string): Promise<number> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const dropped = (await legInfo()).rtp.srtp.dropped as number;
    if (dropped >= n) return dropped;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${dropped} dropped)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('AudioBridge leg SRTP between relays', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));
  const stranger = fx.track(new Stranger());
  let legPort = 0;
  let flood: NodeJS.Timeout | undefined;

  it('a stranger sending to the leg first is neither mixed nor latched to; the bridged client is', async () => {
    await stranger.bind();
    await joinWebRtc(fx.link, b, 2, 'ab:9', { room: 9 });
    const leg = await fx.link.call({
      op: 'ab.rtpJoin',
      sessionId: SESSION,
      handleId: LEG,
      mixer: 'ab:9',
      mixerSettings: mixerSettings(9),
      participant: 1,
      rtp: { payloadType: 100, audioLevelExt: 1 },
      srtp,
    } as Extract<CommandInput, { op: 'ab.rtpJoin' }>);
    legPort = leg.port;
    // the stranger is first: without SRTP the leg would latch to it and mix its tone
    flood = setInterval(() => stranger.send(stranger.packet(), legPort), 20);
    await droppedAtLeast(20, 'the stranger dropped');
    const res = await fx.link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: AB,
      offer: { sdp: await a.offer() },
      options: {
        mixer: 'ab:9',
        mixerSettings: mixerSettings(9),
        participant: 1,
        bridge: { ip: leg.ip, port: leg.port, payloadType: 100, audioLevelExt: 1, srtp },
      },
    } as Extract<CommandInput, { op: 'peer.create' }>);
    if (!('answer' in res)) throw new Error('expected an answer');
    await a.accept(res.answer.sdp);
    await a.connected();
    a.start();
    await waitFor(() => b.level(440) > HEARD, 8000, 'B hears the bridged A');
    await waitFor(() => a.level(880) > HEARD, 8000, 'the bridged A hears B: the leg latched to its bridge');
    expect(b.level(660), "B does not hear the stranger's tone").toBeLessThan(NOT_HEARD);
    expect(a.level(660)).toBeLessThan(NOT_HEARD);
    expect(stranger.received, 'the leg sends the stranger nothing').toBe(0);
    const info = await legInfo();
    expect(info.rtp.destination.port).not.toBe(stranger.socket.address().port);
    const bridge = (fx.relay.registry.get(`${SESSION}:1`) as BridgePeer).bridgeInfo() as Record<string, any>;
    expect(bridge.srtp.dropped).toBe(0);
    expect(JSON.stringify(bridge), 'peer.info never shows the key').not.toContain(srtp.key);
  });

  it('a tampered packet, even one protected with the leg key, is dropped and counted', async () => {
    clearInterval(flood);
    const protector = createProtector(SRTP_AES128_CM_HMAC_SHA1_80, KEY, SALT);
    const before = (await legInfo()).rtp.srtp.dropped as number;
    const totalBefore = mixerTotals.legSrtpDropped;
    for (let i = 0; i < 10; i++) {
      const clear = stranger.packet();
      const sealed = Buffer.from(protector.protectRtp(clear, 12, clear.subarray(12), 0x5eed, clear.readUInt16BE(2), 0));
      sealed[20]! ^= 0x01; // one bit of the encrypted payload
      stranger.send(sealed, legPort);
    }
    await droppedAtLeast(before + 10, 'ten tampered packets dropped');
    expect(mixerTotals.legSrtpDropped - totalBefore).toBe(10);
    expect(b.level(440), 'A is still heard').toBeGreaterThan(HEARD);
    expect(stranger.received).toBe(0);
    for (const h of [1, 2, LEG])
      await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h, reason: 'done' });
  });

  it("one end's own packets sent back to it (a reflection) are dropped, though they would authenticate", () => {
    const home = new LegSrtp(srtp);
    const bridge = new LegSrtp(srtp);
    const clear = stranger.packet();
    const sealed = home.protect(clear);
    expect(bridge.unprotect(sealed)).toEqual(clear);
    expect(home.unprotect(Buffer.from(sealed))).toBeUndefined();
    expect(home.dropped).toBe(1);
  });
});
