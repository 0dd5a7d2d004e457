import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 6000;

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '41600',
    RELAY_ICE_PORT_MAX: '41699',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});
afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

/** A VP8 payload descriptor with a temporal layer id (X=1, S=1, T=1), then a tag. */
function vp8Payload(tid: number, tag: number): Buffer {
  const p = Buffer.alloc(60, 0xcc);
  p[0] = 0x90;
  p[1] = 0x20;
  p[2] = tid << 6;
  p.writeUInt32BE(tag, 3);
  return p;
}

describe('EchoTest temporal layers (VP8)', () => {
  it('echoes only layers up to `temporal`, with continuous sequence numbers', async () => {
    const client = new EchoClient();
    const received: Array<{ tid: number; seq: number }> = [];
    client.pc.onTransceiverAdded.subscribe((t) =>
      t.onTrack.subscribe((track) =>
        track.onReceiveRtp.subscribe((rtp) => {
          if (rtp.payload.length > 3 && rtp.payload[0] === 0x90)
            received.push({ tid: rtp.payload[2]! >> 6, seq: rtp.header.sequenceNumber });
        }),
      ),
    );
    client.addMedia('video');
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: await client.createOffer() },
      options: { temporal: 0 },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();
    const t = client.pc.getTransceivers()[0]!;
    const track = t.sender.track!;
    let seq = 1000;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        seq++;
        const tid = [0, 2, 1, 2][seq % 4]!;
        track.writeRtp(
          new RtpPacket(
            new RtpHeader({
              payloadType: 96,
              sequenceNumber: seq & 0xffff,
              timestamp: seq * 3000,
              ssrc: 1,
              marker: true,
            }),
            vp8Payload(tid, seq),
          ),
        );
      }
    };
    send(80);
    await waitFor(() => received.length >= 15, 10_000, 'base layer echoed');
    expect(received.every((r) => r.tid === 0)).toBe(true);
    for (let i = 1; i < received.length; i++) expect((received[i]!.seq - received[i - 1]!.seq) & 0xffff).toBe(1);
    // All layers again.
    await link.call({ op: 'echo.configure', sessionId: SESSION, handleId: 1, temporal: 2 });
    const before = received.length;
    send(40);
    await waitFor(() => received.length >= before + 35, 10_000, 'every layer echoed');
    expect(new Set(received.slice(before).map((r) => r.tid))).toEqual(new Set([0, 1, 2]));
    for (let i = before + 1; i < received.length; i++)
      expect((received[i]!.seq - received[i - 1]!.seq) & 0xffff).toBe(1);
    await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'Janus API' });
    await client.close();
  });
});
