import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type EchoClient } from '../relay/support/client.js';
import { startStack, type Stack } from '../support/stack.js';
import { StreamingHandle, videoPackets, watch } from './support/viewer.js';

const FMTP = 'profile-level-id=42e01f;packetization-mode=1';

/** ffmpeg's libx264 (baseline, in-band SPS/PPS before each IDR) as plain RTP to `port`; an IDR every `gop` frames. */
function ffmpegH264(port: number, seconds: number, gop: number): ChildProcess {
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${seconds}`],
    ...[
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-profile:v',
      'baseline',
      '-preset',
      'ultrafast',
      '-tune',
      'zerolatency',
    ],
    ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-b:v', '400k'],
    ...['-payload_type', '96', '-ssrc', '4321', '-f', 'rtp', `rtp://127.0.0.1:${port}?pkt_size=1200`],
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The H.264 payloads the viewer receives, in order. */
const videoPayloads = (client: EchoClient): Buffer[] => videoPackets(client, (rtp) => rtp.payload);

const nalType = (p: Buffer) => p[0]! & 0x1f;

/** The NAL unit types inside a STAP-A (RFC 6184 §5.7.1). */
function stapNalTypes(p: Buffer): number[] {
  const types: number[] = [];
  for (let off = 1; off + 2 < p.length; off += 2 + p.readUInt16BE(off)) types.push(p[off + 2]! & 0x1f);
  return types;
}

/**
 * An H.264 mountpoint: its `fmtp` is what viewers are offered (not our default's), at home and in
 * another region; ffmpeg's libx264 RTP reaches a werift viewer there, and one joining mid-GOP starts
 * from the buffered SPS/PPS and IDR
 * (each a keyframe start in its own packet of one timestamp: the buffer keeps them together).
 */
describe('Streaming: H.264 mountpoints', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ RELAY_REGIONS: 'eu,us' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('offers the fmtp, and a viewer joining mid-GOP starts from SPS/PPS and the IDR', { timeout: 60_000 }, async () => {
    const admin = await StreamingHandle.connect(stack, 'eu');
    const id = 7_000_000 + Math.floor(Math.random() * 1e6);
    const created = await admin.sync({
      request: 'create',
      type: 'rtp',
      id,
      media: [{ type: 'video', mid: 'v', port: 0, pt: 96, codec: 'h264', fmtp: FMTP }],
    });
    expect(created.streaming, JSON.stringify(created)).toBe('created');
    const port = created.stream.ports[0].port as number;
    const info = await admin.sync({ request: 'info', id });
    expect(info.info.media[0]).toMatchObject({ codec: 'h264', rtpmap: 'H264/90000', fmtp: FMTP });
    // a 4 s GOP: the viewer joins well after the first IDR and well before the next
    const ffmpeg = ffmpegH264(port, 20, 120);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // at home, and in another region (the cascade's remote publisher offers it too)
      for (const region of ['eu', 'us']) {
        const viewer = await StreamingHandle.connect(stack, region);
        const offer = await viewer.ask({ request: 'watch', id });
        const fmtps = (offer.jsep.sdp as string).match(/^a=fmtp:\d+ .*$/gm) ?? [];
        expect(
          fmtps.map((l) => l.replace(/^a=fmtp:\d+ /, '').trim()),
          region,
        ).toEqual([FMTP]);
        await viewer.close();
      }

      let payloads: Buffer[] = [];
      const { h, client } = await watch(stack, id, 'us', (c) => (payloads = videoPayloads(c)));
      await waitFor(() => payloads.length > 50, 10_000, 'H.264 at the viewer');
      // ffmpeg aggregates SPS and PPS in a STAP-A, then fragments the IDR (FU-A)
      expect(payloads.slice(0, 2).map(nalType)).toEqual([24, 28]);
      expect(stapNalTypes(payloads[0]!).slice(0, 2)).toEqual([7, 8]); // then x264's SEI
      expect(payloads[1]![1]! & 0x9f).toBe(0x85); // FU-A start of an IDR slice
      await client.close();
      await h.close();
    } finally {
      ffmpeg.kill('SIGKILL');
    }
    await admin.sync({ request: 'destroy', id });
    await admin.close();
  });
});
