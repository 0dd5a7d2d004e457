import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { rejectInOffer } from './support/sdp.js';
import { PubClient, publish } from './sfu/support.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import type { ReplyMessage } from '../../shared/control/messages.js';
import { startRelay } from './support/relay.js';

/**
 * Offers with rejected m-lines (port 0, as a browser writes a stopped transceiver): the relay answers
 * them rejected, the Janus way (port 0, inactive, out of BUNDLE), and the call goes on with the rest,
 * for a first offer and for a renegotiation; an offer that rejects everything is refused (465) and
 * changes nothing.
 */

const SECRET = 'test-secret-0123456789';
const SESSION = 4300;
let nextHandle = 1;

/** The answer's SDP of a successful reply (a failed one fails the test with its error). */
function answerOf(reply: ReplyMessage): string {
  if (!reply.ok) throw new Error(`${reply.error.code} ${reply.error.reason}`);
  return (reply.result as { answer: { sdp: string } }).answer.sdp;
}

/** The m-line of `mid` in an SDP, from its `m=` line to the next. */
function section(sdp: string, mid: string): string {
  return sdp.split(/\r\n(?=m=)/).find((s) => s.includes(`\r\na=mid:${mid}\r\n`) || s.endsWith(`a=mid:${mid}`))!;
}

describe('rejected m-lines in EchoTest offers', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '43100',
      RELAY_ICE_PORT_MAX: '43199',
    });
    link = await edge.nextLink();
    await relay.control.whenReady();
  });
  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  const create = (handleId: number, sdp: string) =>
    link.request({
      op: 'peer.create',
      sessionId: SESSION,
      handleId,
      plugin: 'janus.plugin.echotest',
      offer: { sdp },
      options: {},
    });

  it('answers a rejected m-line with port 0 (here the first, the BUNDLE tag) and echoes the others', async () => {
    const client = new EchoClient();
    client.addMedia('audio');
    const video = client.addMedia('video');
    const handleId = nextHandle++;
    const offer = await client.createOffer();
    const audioMid = client.pc.getTransceivers()[0]!.mid!;
    const reply = await create(handleId, rejectInOffer(offer, ['audio']));
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    const answer = answerOf(reply);
    expect(section(answer, audioMid)).toMatch(/^m=audio 0 UDP\/TLS\/RTP\/SAVPF \d+\r\nc=IN IP4 0\.0\.0\.0\r\n/);
    expect(section(answer, audioMid)).toMatch(/a=inactive/);
    expect(section(answer, audioMid)).not.toMatch(/a=candidate|a=ice-ufrag|a=fingerprint/);
    expect(/a=group:BUNDLE (.*)/.exec(answer)![1]!.split(' ')).not.toContain(audioMid);
    // (werift as a client takes the ICE credentials of the last m-line, so it can only connect when the
    // rejected one is not last; browsers connect either way)
    await client.acceptAnswer(answer);
    await client.connected();
    await link.waitEvent(SESSION, handleId, 'webrtcup');
    client.startSending(video, 20);
    await waitFor(() => client.echoedTags.video.size >= 10, 10_000, 'video echo');
    expect(client.received.audio).toBe(0);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });

  it('a renegotiation that rejects video keeps the call and the audio echo, and stops the video echo', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    const video = client.addMedia('video');
    const handleId = nextHandle++;
    const first = await create(handleId, await client.createOffer());
    expect(first.ok).toBe(true);
    await client.acceptAnswer(answerOf(first));
    await client.connected();
    client.startSending(audio, 20);
    client.startSending(video, 20);
    await waitFor(() => client.echoedTags.video.size >= 5, 10_000, 'video echo');
    const videoMid = client.pc.getTransceivers()[1]!.mid!;

    const reply = await link.request({
      op: 'peer.offer',
      sessionId: SESSION,
      handleId,
      sdp: rejectInOffer(await client.createOffer(), ['video']),
    });
    expect(reply.ok, JSON.stringify(reply)).toBe(true);
    const answer = answerOf(reply);
    expect(section(answer, videoMid)).toMatch(/^m=video 0 /);
    expect(section(answer, videoMid)).toMatch(/a=inactive/);
    expect(/a=group:BUNDLE (.*)/.exec(answer)![1]!.split(' ')).not.toContain(videoMid);
    await new Promise((r) => setTimeout(r, 300));
    const videoBefore = client.received.video;
    const audioBefore = client.echoedTags.audio.size;
    await new Promise((r) => setTimeout(r, 600));
    // the relay no longer echoes the rejected m-line (the client still sends on it), audio goes on
    expect(client.received.video).toBe(videoBefore);
    expect(client.echoedTags.audio.size).toBeGreaterThan(audioBefore + 5);
    expect(link.eventsFor(SESSION, handleId).some((e) => e.kind === 'hangup')).toBe(false);
    expect(relay.registry.get(`${SESSION}:${handleId}`)?.closed).toBe(false);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });

  it('refuses an offer whose every m-line is rejected (465), first or renegotiating, and changes nothing', async () => {
    const client = new EchoClient();
    const audio = client.addMedia('audio');
    client.addMedia('video');
    const handleId = nextHandle++;
    const portsBefore = relay.ports.inUse;
    const offer = await client.createOffer();
    const refused = await create(handleId, rejectInOffer(offer, ['audio', 'video']));
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error.code).toBe(465);
      expect(refused.error.reason).toMatch(/rejected/);
    }
    expect(relay.registry.get(`${SESSION}:${handleId}`)).toBeUndefined();
    await waitFor(() => relay.ports.inUse === portsBefore, 2000, 'no ICE port held');

    // the same handle then calls with a good offer, and a renegotiation rejecting everything is refused
    const ok = await create(handleId, offer);
    expect(ok.ok).toBe(true);
    await client.acceptAnswer(answerOf(ok));
    await client.connected();
    client.startSending(audio, 20);
    await waitFor(() => client.echoedTags.audio.size >= 5, 10_000, 'audio echo');
    const again = await link.request({
      op: 'peer.offer',
      sessionId: SESSION,
      handleId,
      sdp: rejectInOffer(await client.createOffer(), ['audio', 'video']),
    });
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe(465);
    const before = client.echoedTags.audio.size;
    await waitFor(() => client.echoedTags.audio.size >= before + 5, 5_000, 'audio echo after the refusal');
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId, reason: 'Janus API' });
    await client.close();
  });
});

describe('rejected m-lines in VideoRoom publisher renegotiations', () => {
  let edge: TestEdge;
  let relay: Relay;
  let link: RelayLink;

  beforeAll(async () => {
    edge = await new TestEdge({ secret: SECRET }).start();
    relay = await startRelay(edge.url, {
      RELAY_SECRET: SECRET,
      RELAY_ICE_PORT_MIN: '43200',
      RELAY_ICE_PORT_MAX: '43299',
    });
    link = await edge.nextLink();
    await relay.control.whenReady();
  });
  afterAll(async () => {
    await relay?.stop();
    await edge?.close();
  });

  it('a renegotiation rejecting video answers it rejected and disabled, keeps the publisher; rejecting all is 465', async () => {
    const pub = new PubClient(31);
    try {
      const p = await publish(link, SESSION, pub);
      const videoMid = pub.video!.mid!;
      const reply = await link.request({
        op: 'peer.offer',
        sessionId: SESSION,
        handleId: p.handle,
        sdp: rejectInOffer(await pub.offer(), ['video']),
      });
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
      const streams = reply.ok ? (reply.result.streams as Array<{ mid: string; disabled?: boolean }>) : [];
      expect(section(answerOf(reply), videoMid)).toMatch(/^m=video 0 [^\r]*\r\nc=IN IP4 0\.0\.0\.0\r\n/);
      expect(streams.find((s) => s.mid === videoMid)).toMatchObject({ disabled: true });
      expect(streams.find((s) => s.mid === pub.audio!.mid)?.disabled).toBeUndefined();

      const all = await link.request({
        op: 'peer.offer',
        sessionId: SESSION,
        handleId: p.handle,
        sdp: rejectInOffer(await pub.offer(), ['audio', 'video']),
      });
      expect(all.ok).toBe(false);
      if (!all.ok) expect(all.error.code).toBe(465);
      await new Promise((r) => setTimeout(r, 300));
      expect(link.eventsFor(SESSION, p.handle).some((e) => e.kind === 'hangup')).toBe(false);
      const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId: p.handle });
      expect(info.dtlsState).toBe('connected');
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: p.handle, reason: 'Janus API' });
    } finally {
      await pub.close();
    }
  });
});
