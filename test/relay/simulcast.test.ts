import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpHeader } from 'werift';
import type { Relay } from '../../relay/relay.js';
import { EchoClient, waitFor } from './support/client.js';
import { TestEdge, type RelayLink } from './support/edge.js';
import { startRelay } from './support/relay.js';

const SECRET = 'test-secret-0123456789';
const SESSION = 5000;

let edge: TestEdge;
let relay: Relay;
let link: RelayLink;

beforeAll(async () => {
  edge = await new TestEdge({ secret: SECRET }).start();
  relay = await startRelay(edge.url, {
    RELAY_SECRET: SECRET,
    RELAY_ICE_PORT_MIN: '41500',
    RELAY_ICE_PORT_MAX: '41599',
  });
  link = await edge.nextLink();
  await relay.control.whenReady();
});
afterAll(async () => {
  await relay?.stop();
  await edge?.close();
});

/** Adds two send rids ("h" high, "l" low, listed highest first like browsers) to the video m-line. */
function addSimulcast(sdp: string, mid: string): string {
  return sdp.replace(`a=mid:${mid}\r\n`, `a=mid:${mid}\r\na=rid:h send\r\na=rid:l send\r\na=simulcast:send h;l\r\n`);
}

describe('simulcast', () => {
  it('echoes only the selected substream and switches on echo.configure', async () => {
    const client = new EchoClient();
    client.addMedia('video');
    const offer = addSimulcast(await client.createOffer(), client.pc.getTransceivers()[0]!.mid!);
    const res = await link.call({
      op: 'peer.create',
      sessionId: SESSION,
      handleId: 1,
      plugin: 'janus.plugin.echotest',
      offer: { sdp: offer },
    });
    if (!('answer' in res)) throw new Error('expected answer');
    expect(res.answer.sdp).toMatch(/a=simulcast:recv h;l/);
    await client.acceptAnswer(res.answer.sdp);
    await client.connected();

    // Send both layers straight through the client's SRTP transport (werift's sender has no simulcast).
    const t = client.pc.getTransceivers()[0]!;
    const dtls = client.pc.dtlsTransports[0]!;
    const pt = t.codecs.find((c) => c.name.toLowerCase() === 'vp8')!.payloadType!;
    const ids = Object.entries(client.pc.extIdUriMap);
    const midId = Number(ids.find(([, u]) => u.endsWith('sdes:mid'))![0]);
    const ridId = Number(ids.find(([, u]) => u.endsWith('sdes:rtp-stream-id'))![0]);
    const layers = { h: { ssrc: 1111, seq: 100, tag: 1_000_000 }, l: { ssrc: 2222, seq: 5000, tag: 2_000_000 } };
    const sendLayer = (rid: 'h' | 'l') => {
      const l = layers[rid];
      l.seq++;
      l.tag++;
      const payload = Buffer.alloc(100, 0xbb);
      payload[0] = 0x7e;
      payload.writeUInt32BE(l.tag, 1);
      const header = new RtpHeader({
        payloadType: pt,
        sequenceNumber: l.seq & 0xffff,
        timestamp: l.seq * 3000,
        ssrc: l.ssrc,
        marker: true,
        extension: true,
        extensions: [
          { id: midId, payload: Buffer.from(t.mid!) },
          { id: ridId, payload: Buffer.from(rid) },
        ],
      });
      void dtls.sendRtp(payload, header);
    };
    const timer = setInterval(() => {
      sendLayer('h');
      sendLayer('l');
    }, 20);
    try {
      const fromLayer = (base: number) =>
        [...client.echoedTags.video].filter((x) => x > base && x < base + 1_000_000).length;
      // default substream 2 = highest available = "h"
      await waitFor(() => fromLayer(1_000_000) >= 10, 5000, 'high layer echoed');
      expect(fromLayer(2_000_000)).toBeLessThanOrEqual(1); // at most the very first packet before "h" showed up
      const lowBefore = fromLayer(2_000_000);
      await link.call({ op: 'echo.configure', sessionId: SESSION, handleId: 1, substream: 0 });
      await waitFor(() => fromLayer(2_000_000) >= lowBefore + 10, 5000, 'low layer echoed');
      const highNow = fromLayer(1_000_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(fromLayer(1_000_000)).toBe(highNow);
      const info = await link.call({ op: 'peer.info', sessionId: SESSION, handleId: 1 });
      expect(info.echo.substream).toBe(0);
      expect(info.counters[0]!.plisOut).toBeGreaterThanOrEqual(2); // keyframe asked at start and at the switch
    } finally {
      clearInterval(timer);
      await link.call({ op: 'peer.hangup', sessionId: SESSION, handleId: 1, reason: 'Janus API' });
      await client.close();
    }
  });
});
