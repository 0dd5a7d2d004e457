import { describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { RtpSender } from './support/rtpSender.js';
import { useStreamingStack } from './support/streamingStack.js';
import { videoPackets, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A plain-RTP source that starts over (a restarted encoder, a camera's new RTSP session) comes back
 * with another SSRC and its own sequence numbers. Viewers must not see that jump: passed on, it made
 * the relay's SRTP rollover counter and the viewer's disagree, and the viewer decrypted nothing after
 * it. Each restart here jumps the source 20,000 ahead: over seven restarts at least one wraps far
 * enough, whatever the viewer's sequence offset. The far region's viewer is fed through a forwarder.
 */
describe('Streaming: a source that starts over', () => {
  const ctx = useStreamingStack({ RELAY_REGIONS: 'eu,us' }, 'eu');

  it(
    'viewers here and in another region get every packet in one continuous sequence',
    { timeout: 60_000 },
    async () => {
      const id = 5_000_000 + Math.floor(Math.random() * 1e6);
      const created = await ctx.admin.sync({
        request: 'create',
        type: 'rtp',
        id,
        media: [{ type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' }],
      });
      const port = created.stream.ports[0].port as number;
      const sender = new RtpSender();
      const viewers = [];
      try {
        for (const region of ['eu', 'us']) {
          let seqs: number[] = [];
          const { h, client } = await watch(ctx.stack, id, region, (c) => {
            seqs = videoPackets(c, (rtp) => rtp.header.sequenceNumber);
          });
          await client.connected();
          viewers.push({ h, client, seqs: () => seqs, region });
        }
        const segments = 8;
        const perSegment = 10;
        let seq = 1000;
        for (let s = 0; s < segments; s++) {
          if (s > 0) {
            seq = (seq + 20_000) & 0xffff;
            sender.startOver('video', 0x10000 + s, seq, s * 1_000_000);
          }
          for (let i = 0; i < perSegment; i++) {
            sender.send('video', port, i === 0);
            seq++;
            await sleep(5);
          }
        }
        const total = segments * perSegment;
        for (const v of viewers) {
          await waitFor(() => v.seqs().length >= total, 10_000, `${total} packets in ${v.region}`).catch(() => {});
          const seqs = v.seqs();
          expect(seqs.length, `packets decrypted in ${v.region}`).toBe(total);
          const steps = seqs.slice(1).map((q, i) => (q - seqs[i]!) & 0xffff);
          expect(new Set(steps), `sequence steps in ${v.region}`).toEqual(new Set([1]));
        }
      } finally {
        sender.close();
        for (const v of viewers) {
          await v.client.close();
          await v.h.close();
        }
        await ctx.admin.sync({ request: 'destroy', id });
      }
    },
  );
});
