import { expect, it } from 'vitest';
import { RtcpPayloadSpecificFeedback, PictureLossIndication } from 'werift';
import { renderPrometheus } from '../../../relay/metrics.js';
import type { SrtpImplementation } from '../../../relay/srtp/protector.js';
import { EchoClient, waitFor } from '../support/client.js';
import { relayFixture } from '../support/relayFixture.js';

const SESSION = 7100;

/**
 * A werift client against a real in-process relay (EchoTest): its media reaches the relay, is
 * unprotected by relay/srtp's `implementation` and echoed; the same datagrams sent again are
 * counted as replays, altered ones as failed authentication, and neither is echoed nor breaks the call.
 */
export function inboundScenario(implementation: SrtpImplementation, portMin: number): void {
  const fx = relayFixture([portMin, portMin + 49]);

  it(`${implementation}: client media is unprotected by relay/srtp and echoed; replays and forgeries are dropped and counted`, async () => {
    expect(fx.relay.snapshot().mediaPath!.srtp).toBe(implementation);
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const offer = await client.createOffer(true);
    const res = await fx.link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: offer },
      options: { trickle: false },
    });
    if (!('answer' in res)) throw new Error('expected an answer');
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();
    await fx.link.waitEvent(SESSION, 1, 'webrtcup');

    // what the client sends, as it leaves its ICE connection
    const conn = client.pc.dtlsTransports[0]!.iceTransport.connection;
    const sent: Buffer[] = [];
    const send = conn.send.bind(conn);
    conn.send = (data: Buffer) => {
      if (data[0]! >= 128 && data[0]! < 192) sent.push(Buffer.from(data));
      return send(data);
    };

    const before = { ...fx.relay.snapshot().mediaPath!.inbound };
    client.startSending(audio, 20);
    client.startSending(video, 30);
    await waitFor(() => client.echoedTags.audio.size >= 20 && client.echoedTags.video.size >= 20, 10_000, 'echo');
    await client.pc.dtlsTransports[0]!.sendRtcp([
      new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 5, mediaSsrc: 6 }) }),
    ]);
    client.stopSending(audio);
    client.stopSending(video);
    await new Promise((r) => setTimeout(r, 200));
    const inbound = fx.relay.snapshot().mediaPath!.inbound;
    expect(inbound.unprotected - before.unprotected).toBeGreaterThanOrEqual(40);
    expect(inbound.auth).toBe(before.auth);
    expect(inbound.replay).toBe(before.replay);

    const rtp = sent.filter((d) => !(d[1]! >= 192 && d[1]! <= 208));
    const rtcp = sent.filter((d) => d[1]! >= 192 && d[1]! <= 208);
    expect(rtcp.length).toBeGreaterThanOrEqual(1);
    const echoedBefore = client.received.audio + client.received.video;
    const replayed = rtp.slice(-10);
    for (const d of replayed) await send(d);
    await send(rtcp.at(-1)!);
    // forged: another SSRC (no replay window yet, so the tag decides), or the tag itself altered
    for (const d of rtp.slice(-5)) {
      const forged = Buffer.from(d);
      forged[11]! ^= 0x40;
      await send(forged);
    }
    const forgedRtcp = Buffer.from(rtcp.at(-1)!);
    forgedRtcp[7]! ^= 1;
    await send(forgedRtcp);
    await waitFor(() => fx.relay.snapshot().mediaPath!.inbound.auth - before.auth >= 6, 5000, 'forgeries counted');
    const after = fx.relay.snapshot().mediaPath!.inbound;
    expect(after.replay - before.replay).toBe(11);
    expect(after.auth - before.auth).toBe(6);
    await new Promise((r) => setTimeout(r, 200));
    expect(client.received.audio + client.received.video).toBe(echoedBefore); // nothing of it was echoed

    // the call goes on
    client.startSending(audio, 20);
    const tags = client.echoedTags.audio.size;
    await waitFor(() => client.echoedTags.audio.size >= tags + 10, 10_000, 'echo after the forgeries');
    expect(renderPrometheus(fx.relay.snapshot(), 'r')).toMatch(
      new RegExp(`relay_srtp_inbound_packets_total\\{relay="r",result="replay"\\} ${after.replay}`),
    );
    await client.close();
    await fx.link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'Janus API' });
  });
}
