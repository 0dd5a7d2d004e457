import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { RtpSender } from './support/rtpSender.js';
import { StreamingHandle, videoPackets, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The VP8 payload of every video packet the viewer receives, in order. */
const videoPayloads = (client: EchoClient): Buffer[] => videoPackets(client, (rtp) => rtp.payload);

/** VP8 keyframe start: descriptor S=1 partition 0, then a payload header with P=0. */
const isKeyframeStart = (p: Buffer) => (p[0]! & 0x10) !== 0 && (p[1]! & 0x01) === 0;

/**
 * Keyframe buffering (Janus `bufferkf`, on by default for our video streams): a plain-RTP sender
 * cannot be asked for a keyframe, so the mountpoint keeps the packets since the last one and a viewer
 * that starts gets them first: its first video packet is a keyframe, without waiting for the next.
 * A viewer in another region too: the cascade's forwarder gets the buffer when it is added, and the
 * far relay keeps it for its own viewers.
 */
describe('Streaming keyframe buffering', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const cases = [
    { bufferkf: true, region: 'eu', what: 'starts from the buffered keyframe' },
    { bufferkf: true, region: 'us', what: 'in another region starts from the keyframe its cascade brought' },
    { bufferkf: false, region: 'eu', what: 'gets only what follows (bufferkf: false)' },
  ];
  for (const { bufferkf, region, what } of cases) {
    it(`a viewer joining mid-GOP ${what}`, { timeout: 60_000 }, async () => {
      const admin = await StreamingHandle.connect(stack, 'eu');
      const id = 4_000_000 + Math.floor(Math.random() * 1e6);
      const created = await admin.sync({
        request: 'create',
        type: 'rtp',
        id,
        media: [{ type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8', bufferkf }],
      });
      const port = created.stream.ports[0].port as number;
      const sender = new RtpSender();
      sender.send('video', port, true);
      for (let i = 0; i < 29; i++) sender.send('video', port);
      await sleep(200);
      let payloads: Buffer[] = [];
      const { h, client } = await watch(stack, id, region, (c) => (payloads = videoPayloads(c)));
      await client.connected();
      await sleep(300);
      sender.send('video', port);
      if (bufferkf) {
        await waitFor(() => payloads.length >= 31, 5000, 'the buffered GOP and the new packet');
        expect(isKeyframeStart(payloads[0]!)).toBe(true);
        expect(payloads.length).toBe(31);
      } else {
        await waitFor(() => payloads.length >= 1, 5000, 'the new packet');
        await sleep(300);
        expect(payloads.length).toBe(1);
        expect(isKeyframeStart(payloads[0]!)).toBe(false);
      }
      sender.close();
      await client.close();
      await h.close();
      await admin.sync({ request: 'destroy', id });
      await admin.close();
    });
  }
});
