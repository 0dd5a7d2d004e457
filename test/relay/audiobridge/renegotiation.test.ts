import { describe, expect, it } from 'vitest';
import { disableDefaultStun, hardenDtls } from '../../../relay/peer/werift.js';
import { waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';
import { joinWebRtc, SESSION } from './support/join.js';
import { WebRtcVoice } from './support/voiceClient.js';

const fx = relayFixture([46700, 46749], { env: { RELAY_REMOTE_PORT_MIN: '36700', RELAY_REMOTE_PORT_MAX: '36749' } });

const HEARD = 1500;
const NOT_HEARD = 300;

/** The client's new offer on its existing PeerConnection (janus.js's ICE restart or re-publish). */
async function reoffer(v: WebRtcVoice, iceRestart: boolean): Promise<string> {
  const offer = await v.pc.createOffer({ iceRestart });
  disableDefaultStun(v.pc);
  await v.pc.setLocalDescription(offer);
  return v.pc.localDescription!.sdp;
}

/**
 * werift (our test client) restarts its ICE agent on new credentials but runs connectivity checks
 * only while DTLS is not up; a browser runs them. The relay answers them (it is the controlled agent).
 */
function restartChecks(v: WebRtcVoice): void {
  for (const dtls of v.pc.dtlsTransports) dtls.iceTransport.start().catch(() => undefined);
}

describe('AudioBridge renegotiation', () => {
  const a = fx.track(new WebRtcVoice(440));
  const b = fx.track(new WebRtcVoice(880));

  it('answers an ICE-restart offer; the participant stays in its mixer, hearing and heard', async () => {
    await joinWebRtc(fx.link, a, 1, 'ab:r');
    await joinWebRtc(fx.link, b, 2, 'ab:r');
    await waitFor(() => a.level(880) > HEARD && b.level(440) > HEARD, 8000, 'both hear each other');
    const before = (await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 })).counters[0]!;

    const res = await fx.link.call({ op: 'peer.offer', sessionId: SESSION, handleId: 1, sdp: await reoffer(a, true) });
    if (!('answer' in res)) throw new Error('expected an answer');
    expect(res.answer.sdp).toMatch(/^m=audio [1-9]\d* /m);
    await a.pc.setRemoteDescription({ type: 'answer', sdp: res.answer.sdp });
    hardenDtls(a.pc);
    restartChecks(a);
    expect(fx.relay.audiobridge.mixerCount).toBe(1);
    expect(fx.relay.audiobridge.participantCount).toBe(2);

    a.heard.clear();
    b.heard.clear();
    await waitFor(() => a.level(880) > HEARD && b.level(440) > HEARD, 8000, 'both hear each other after the restart');
    await waitFor(() => a.level(440) < NOT_HEARD, 8000, 'A does not hear itself');
    const after = (await fx.link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 })).counters[0]!;
    expect(after.packetsIn).toBeGreaterThan(before.packetsIn);
    expect(after.packetsOut).toBeGreaterThan(before.packetsOut);
  });

  it('answers a plain re-offer too, and refuses one without the audio m-line codec with 465 (nothing changes)', async () => {
    const res = await fx.link.call({ op: 'peer.offer', sessionId: SESSION, handleId: 2, sdp: await reoffer(b, false) });
    if (!('answer' in res)) throw new Error('expected an answer');
    await b.pc.setRemoteDescription({ type: 'answer', sdp: res.answer.sdp });
    // the same offer with its Opus taken out: refused before anything is applied
    const noOpus = b.pc.localDescription!.sdp.replace(/opus\/48000/gi, 'nope/48000');
    const reply = await fx.link.request({ op: 'peer.offer', sessionId: SESSION, handleId: 2, sdp: noOpus });
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.code).toBe(465);
    b.heard.clear();
    a.heard.clear();
    await waitFor(() => a.level(880) > HEARD && b.level(440) > HEARD, 8000, 'both still hear each other');
    expect(fx.relay.audiobridge.participantCount).toBe(2);
  });

  it('hangs up cleanly after renegotiations', async () => {
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1 });
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 2 });
    expect(fx.relay.audiobridge.mixerCount).toBe(0);
    expect(fx.relay.audiobridge.participantCount).toBe(0);
  });
});
