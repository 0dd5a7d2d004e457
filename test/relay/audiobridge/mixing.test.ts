import { describe, expect, it } from 'vitest';
import type { CommandInput } from '../../../shared/control/commands.js';
import { codecCounts } from '../../../relay/audiobridge/totals.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { AB, joinWebRtc, mixerSettings, SESSION } from './support/join.js';
import { PlainRtpVoice, WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46000, 46099], { env: { RELAY_REMOTE_PORT_MIN: '36000', RELAY_REMOTE_PORT_MAX: '36099' } });

/** Audible: well above the codec's noise floor; inaudible: well below. */
const HEARD = 1500;
const NOT_HEARD = 300;

async function hears(v: { level(f: number): number }, freq: number, what: string): Promise<void> {
  await waitFor(() => v.level(freq) > HEARD, 8000, what);
}
async function doesNotHear(v: { level(f: number): number }, freq: number, what: string): Promise<void> {
  await waitFor(() => v.level(freq) < NOT_HEARD, 8000, what);
}

describe('AudioBridge mixer on the relay', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));
  const c = fx.track(new WebRtcVoice(undefined));

  it('each of three participants hears the others and not itself', async () => {
    await joinWebRtc(fx.link, a, 1, 'ab:1');
    await joinWebRtc(fx.link, b, 2, 'ab:1');
    await joinWebRtc(fx.link, c, 3, 'ab:1');
    await hears(a, 880, 'A hears B');
    await hears(b, 440, 'B hears A');
    await hears(c, 440, 'C hears A');
    await hears(c, 880, 'C hears B');
    expect(a.level(440)).toBeLessThan(NOT_HEARD);
    expect(b.level(880)).toBeLessThan(NOT_HEARD);
    expect(fx.relay.audiobridge.mixerCount).toBe(1);
    const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
    expect(info.counters[0]!.packetsOut).toBeGreaterThan(0);
    // the mix is described by RTCP sender reports, as Janus's
    const reports: number[] = [];
    a.pc.dtlsTransports[0]!.onRtcp.subscribe((packet) => {
      const sr = packet as unknown as { type: number; senderInfo?: { packetCount: number } };
      if (sr.type === 200 && sr.senderInfo) reports.push(sr.senderInfo.packetCount);
    });
    await waitFor(() => reports.length > 0, 3000, 'a sender report');
    expect(reports[0]).toBeGreaterThan(0);
  });

  it('a muted participant is not heard; unmuting brings it back', async () => {
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: 2, settings: { muted: true } });
    await doesNotHear(a, 880, 'A no longer hears muted B');
    await doesNotHear(c, 880, 'C no longer hears muted B');
    expect(c.level(440)).toBeGreaterThan(HEARD);
    // muted for over a second, B hears the whole mix from the encoder idle participants share
    const encoders = codecCounts.encoders;
    await new Promise((r) => setTimeout(r, 1500));
    expect(codecCounts.encoders).toBe(encoders + 1);
    await hears(b, 440, 'muted B still hears A');
    expect(b.level(880)).toBeLessThan(NOT_HEARD);
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: 2, settings: { muted: false } });
    await hears(a, 880, 'A hears B again');
  });

  it('volume scales a voice in the mix', async () => {
    await waitFor(() => c.level(440) > HEARD, 5000, 'C hears A');
    await new Promise((r) => setTimeout(r, 500));
    const full = c.level(440);
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: 1, settings: { volume: 25 } });
    await waitFor(() => c.level(440) < full * 0.4, 5000, 'A quieter at volume 25');
    const quarter = c.level(440);
    expect(quarter).toBeGreaterThan(full * 0.15);
    await fx.link.call({ op: 'ab.configure', sessionId: SESSION, handleId: 1, settings: { volume: 100 } });
  });

  it('a plain-RTP participant (PCMU) hears and is heard', async () => {
    const p = fx.track(new PlainRtpVoice(660));
    const port = await p.bind();
    const res = await fx.link.call({
      op: 'ab.rtpJoin',
      sessionId: SESSION,
      handleId: 4,
      mixer: 'ab:1',
      mixerSettings: mixerSettings(1),
      participant: 4,
      codec: 'pcmu',
      rtp: { ip: '127.0.0.1', port },
    } as Extract<CommandInput, { op: 'ab.rtpJoin' }>);
    expect(res.ip).toBe('127.0.0.1');
    expect(res.port).toBeGreaterThanOrEqual(36000);
    expect(res.port).toBeLessThanOrEqual(36099);
    p.sendTo(res.ip, res.port);
    p.start();
    await hears(p, 440, 'RTP participant hears A');
    await hears(p, 880, 'RTP participant hears B');
    await hears(a, 660, 'A hears the RTP participant');
    expect(p.level(660)).toBeLessThan(NOT_HEARD);
    const info = await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 4 });
    expect(info.selectedPair?.local.port).toBe(res.port);
    expect(info.counters[0]!.packetsIn).toBeGreaterThan(0);
    expect(info.counters[0]!.packetsOut).toBeGreaterThan(0);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 4 });
    await doesNotHear(a, 660, 'the RTP participant is gone');
    expect(fx.relay.audiobridge.rtpParticipant(`${SESSION}:4`)).toBeUndefined();
  });

  it('an Opus plain-RTP participant with no destination given is latched to where its packets come from', async () => {
    const p = fx.track(new PlainRtpVoice(550, 8000, 0, 'opus'));
    await p.bind();
    const res = await fx.link.call({
      op: 'ab.rtpJoin',
      sessionId: SESSION,
      handleId: 5,
      mixer: 'ab:1',
      mixerSettings: mixerSettings(1),
      participant: 5,
      rtp: {},
    } as Extract<CommandInput, { op: 'ab.rtpJoin' }>);
    await new Promise((r) => setTimeout(r, 200));
    expect(p.packetsReceived).toBe(0); // nowhere to send yet
    p.sendTo(res.ip, res.port);
    p.start();
    await hears(p, 440, 'the latched participant hears A');
    await hears(b, 550, 'B hears the Opus RTP participant');
    expect(p.level(550)).toBeLessThan(NOT_HEARD);
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 5 });
  });

  it('ab.move takes a participant to another mixer without renegotiation, and back', async () => {
    await fx.link.call({
      op: 'ab.move',
      sessionId: SESSION,
      handleId: 2,
      mixer: 'ab:2',
      mixerSettings: mixerSettings(2),
      participant: 2,
    });
    expect(fx.relay.audiobridge.mixerCount).toBe(2);
    await doesNotHear(a, 880, 'A no longer hears B');
    await doesNotHear(b, 440, 'B alone in its new room');
    await fx.link.call({
      op: 'ab.move',
      sessionId: SESSION,
      handleId: 2,
      mixer: 'ab:1',
      mixerSettings: mixerSettings(1),
      participant: 2,
    });
    expect(fx.relay.audiobridge.mixerCount).toBe(1); // the emptied mixer is gone
    await hears(a, 880, 'A hears B again');
    await hears(b, 440, 'B hears A again');
  });

  it('a mixer that falls behind drops the missed frames and counts them, without a burst', async () => {
    const mixer = fx.relay.audiobridge.mixer('ab:1')!;
    const mixed = mixer.framesMixed;
    const dropped = mixer.framesDropped;
    const until = Date.now() + 200; // hold the event loop for 10 frames
    while (Date.now() < until) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(mixer.framesDropped - dropped).toBeGreaterThanOrEqual(8);
    // 300 ms passed: about 5 frames were mixed after the stall, not 15
    expect(mixer.framesMixed - mixed).toBeLessThan(10);
    const metrics = await (await fetch(`http://127.0.0.1:${fx.relay.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/relay_audiobridge_frames_dropped_total\{relay="[^"]+"\} [1-9]/);
    expect(metrics).toMatch(/relay_audiobridge_mixers\{relay="[^"]+"\} 1/);
  });

  it('hangups release every mixer, decoder and encoder', async () => {
    for (const h of [1, 2, 3]) await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: h });
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
    expect(fx.relay.audiobridge.participantCount).toBe(0);
  });
});

export { AB };
