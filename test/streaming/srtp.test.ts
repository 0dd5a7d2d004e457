import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../relay/support/client.js';
import { SRTP_AES128_CM_HMAC_SHA1_80 } from '../../relay/srtp/profile.js';
import { createProtector } from '../../relay/srtp/protector.js';
import { createUnprotector } from '../../relay/srtp/unprotector.js';
import { startStack, type Stack } from '../support/stack.js';
import { StreamingHandle, watch } from './support/viewer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SUITES = { 80: 'AES_CM_128_HMAC_SHA1_80', 32: 'AES_CM_128_HMAC_SHA1_32' } as const;

/** ffmpeg sending VP8 as SRTP (`-srtp_out_suite`, `-srtp_out_params`: SDES's base64 key + salt) to `port`. */
function ffmpegSrtp(port: number, suite: 32 | 80, crypto: string, seconds: number): ChildProcess {
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-re'],
    ...['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${seconds}`],
    ...['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '300k', '-g', '30'],
    ...['-payload_type', '100', '-ssrc', '2468', '-f', 'rtp'],
    ...['-srtp_out_suite', SUITES[suite], '-srtp_out_params', crypto, `srtp://127.0.0.1:${port}?pkt_size=1200`],
  ];
  return spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const video = [{ type: 'video', mid: 'v', port: 0, pt: 100, codec: 'vp8' }];

/**
 * SRTP ingest (Janus `srtpsuite`/`srtpcrypto`): the relay decrypts what ffmpeg protects, so a
 * viewer receives the media; with a wrong key every packet fails authentication and is dropped
 * (counted), the viewer gets nothing and the relay carries on. Bad options answer the reference's codes.
 */
describe('Streaming: SRTP mountpoints', () => {
  let stack: Stack;
  let admin: StreamingHandle;
  beforeAll(async () => {
    stack = await startStack();
    admin = await StreamingHandle.connect(stack);
  });
  afterAll(async () => {
    await admin?.close();
    await stack?.stop();
  });

  for (const suite of [80, 32] as const) {
    it(
      `suite ${suite}: a viewer receives the decrypted media; a wrong key gives nothing`,
      { timeout: 60_000 },
      async () => {
        const crypto = randomBytes(30).toString('base64');
        const id = 7_100_000 + suite * 1000 + Math.floor(Math.random() * 1000);
        const created = await admin.sync({
          request: 'create',
          type: 'rtp',
          id,
          srtpsuite: suite,
          srtpcrypto: crypto,
          media: video,
        });
        expect(created.streaming, JSON.stringify(created)).toBe('created');
        expect((await admin.sync({ request: 'info', id })).info.srtp).toBe(true);
        const port = created.stream.ports[0].port as number;
        const wrongId = id + 1;
        const wrong = await admin.sync({
          request: 'create',
          type: 'rtp',
          id: wrongId,
          srtpsuite: suite,
          srtpcrypto: randomBytes(30).toString('base64'),
          media: video,
        });
        const wrongPort = wrong.stream.ports[0].port as number;
        const senders = [ffmpegSrtp(port, suite, crypto, 15), ffmpegSrtp(wrongPort, suite, crypto, 15)];
        try {
          const good = await watch(stack, id);
          const bad = await watch(stack, wrongId);
          await waitFor(() => good.client.received.video > 60, 10_000, 'decrypted video at the viewer');
          await sleep(500);
          expect(bad.client.received.video).toBe(0);
          const info = await admin.sync({ request: 'info', id: wrongId });
          expect(info.info.viewers).toBe(1);
          for (const v of [good, bad]) {
            await v.client.close();
            await v.h.close();
          }
        } finally {
          for (const s of senders) s.kill('SIGKILL');
        }
        for (const x of [id, wrongId])
          expect((await admin.sync({ request: 'destroy', id: x })).streaming).toBe('destroyed');
      },
    );
  }

  it('bad SRTP options are refused and create nothing', { timeout: 30_000 }, async () => {
    const crypto = randomBytes(30).toString('base64');
    const code = async (extra: Record<string, unknown>) =>
      (await admin.sync({ request: 'create', type: 'rtp', id: 7_199_999, media: video, ...extra })).error_code;
    expect(await code({ srtpsuite: 33, srtpcrypto: crypto })).toBe(456);
    expect(await code({ srtpsuite: 80, srtpcrypto: 'not base64!' })).toBe(456);
    expect(await code({ srtpsuite: 80, srtpcrypto: 'YWJj' })).toBe(456);
    expect(await code({ srtpsuite: '80', srtpcrypto: crypto })).toBe(454);
    expect(await code({ srtpsuite: 80 })).toBe(453);
    expect(await code({ srtpcrypto: crypto })).toBe(453);
    expect((await admin.sync({ request: 'info', id: 7_199_999 })).error_code).toBe(455);
  });

  it('a keyframe request goes back to the SRTP sender as SRTCP it can verify', { timeout: 30_000 }, async () => {
    const crypto = randomBytes(30).toString('base64');
    const raw = Buffer.from(crypto, 'base64');
    const [key, salt] = [raw.subarray(0, 16), raw.subarray(16)];
    const id = 7_190_000 + Math.floor(Math.random() * 1000);
    const created = await admin.sync({
      request: 'create',
      type: 'rtp',
      id,
      srtpsuite: 80,
      srtpcrypto: crypto,
      media: [{ ...video[0], rtcpport: 0 }],
    });
    expect(created.streaming, JSON.stringify(created)).toBe('created');
    const { port, rtcp_port: rtcpPort } = created.stream.ports[0] as { port: number; rtcp_port: number };
    // the sender: SRTP out, and the SRTCP it gets back verified with the same SDES key
    const protector = createProtector(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const unprotector = createUnprotector(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
    const sock = createSocket('udp4');
    const feedback: Buffer[] = [];
    sock.on('message', (m: Buffer) => feedback.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    let seq = 1;
    const sendVideo = () => {
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = 100 | 0x80;
      h.writeUInt16BE(seq, 2);
      h.writeUInt32BE(seq * 3000, 4);
      h.writeUInt32BE(2468, 8);
      const payload = Buffer.alloc(600, 0x55);
      payload[0] = 0x10;
      payload[1] = seq % 30 === 1 ? 0x00 : 0x01; // a VP8 keyframe every 30 frames
      sock.send(protector.protectRtp(h, 12, payload, 2468, seq, 0), port, '127.0.0.1');
      seq++;
    };
    // an SRTCP receiver report latches our address on the RTCP port
    const rr = Buffer.from([0x80, 201, 0, 1, 0, 0, 0x09, 0xa4]);
    sock.send(protector.protectRtcp(rr, 0), rtcpPort, '127.0.0.1');
    const timer = setInterval(sendVideo, 33);
    try {
      for (let i = 0; i < 10; i++) sendVideo();
      const viewer = await watch(stack, id);
      await waitFor(() => viewer.client.received.video > 10, 10_000, 'video at the viewer');
      await waitFor(() => feedback.length > 0, 10_000, 'a keyframe request back at the sender');
      const clear = unprotector.unprotectRtcp(feedback[0]!);
      expect(typeof clear, `SRTCP verification: ${String(clear)}`).not.toBe('string');
      const pli = clear as Buffer;
      expect(pli[0]! & 0x1f).toBe(1); // FMT 1: PLI
      expect(pli[1]).toBe(206); // PSFB
      expect(pli.readUInt32BE(8)).toBe(2468); // the media SSRC
      await viewer.client.close();
      await viewer.h.close();
    } finally {
      clearInterval(timer);
      sock.close();
    }
    expect((await admin.sync({ request: 'destroy', id })).streaming).toBe('destroyed');
  });
});
