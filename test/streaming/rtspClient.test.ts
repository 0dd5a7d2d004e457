import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RtspAuthenticator } from '../../relay/streaming/rtsp/auth.js';
import { RtspConnection } from '../../relay/streaming/rtsp/connection.js';
import { parseRtspSdp } from '../../relay/streaming/rtsp/sdp.js';

describe('the relay’s RTSP client: auth, SDP, framing', () => {
  it('answers a Digest challenge as RFC 2617’s worked example (qop=auth), and Basic', () => {
    const a = new RtspAuthenticator({ user: 'Mufasa', password: 'Circle Of Life' }, () => '0a4f113b');
    expect(
      a.challenge([
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      ]),
    ).toBe(true);
    const header = a.header('GET', '/dir/index.html')!;
    expect(header).toMatch(/^Digest username="Mufasa", realm="testrealm@host.com", .*qop=auth, nc=00000001, /);
    expect(header).toContain('cnonce="0a4f113b"');
    expect(header).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    const noQop = new RtspAuthenticator({ user: 'u', password: 'p' });
    noQop.challenge(['Digest realm="r", nonce="n"']);
    // MD5(MD5(u:r:p):n:MD5(DESCRIBE:rtsp://h/s))
    expect(noQop.header('DESCRIBE', 'rtsp://h/s')).toContain('response="607d88858b86ffea4761dc877df0f9a6"');
    const basic = new RtspAuthenticator({ user: 'bob', password: 'pw' });
    expect(basic.challenge(['Basic realm="x"'])).toBe(true);
    expect(basic.header('PLAY', 'rtsp://h/s')).toBe('Basic Ym9iOnB3');
    expect(new RtspAuthenticator(undefined).challenge(['Basic realm="x"'])).toBe(false);
    expect(
      new RtspAuthenticator({ user: 'u', password: 'p' }).challenge(['Digest realm="r", nonce="n", algorithm=SHA-256']),
    ).toBe(false);
  });

  it('takes each track’s first payload type, its rtpmap and fmtp, and resolves controls against the base', () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=x',
      't=0 0',
      'a=control:*',
      'm=video 0 RTP/AVP 96',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
      'a=control:trackID=1',
      'm=audio 0 RTP/AVP 0',
      'a=control:rtsp://other/abs',
      'm=application 0 RTP/AVP 107',
      'a=rtpmap:107 vnd.onvif.metadata/90000',
      '',
    ].join('\r\n');
    expect(parseRtspSdp(sdp, 'rtsp://cam/live/')).toEqual({
      aggregate: 'rtsp://cam/live/',
      tracks: [
        {
          type: 'video',
          pt: 96,
          codec: 'h264',
          rtpmap: 'H264/90000',
          fmtp: 'packetization-mode=1;profile-level-id=42e01f',
          control: 'rtsp://cam/live/trackID=1',
        },
        { type: 'audio', pt: 0, codec: 'pcmu', rtpmap: 'PCMU/8000', control: 'rtsp://other/abs' },
      ],
    });
  });

  it('matches responses by CSeq, skips interleaved frames and server requests, answers a 401 once', async () => {
    let seen = '';
    const server = createServer((s: Socket) => {
      s.on('data', (d) => {
        seen += d.toString();
        const cseq = /CSeq: (\d+)/.exec(d.toString())![1];
        if (!/Authorization: Basic/.test(d.toString())) {
          s.write(`RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="r"\r\n\r\n`);
          return;
        }
        // an interleaved frame and a request of the server's come first, then the answer in two pieces
        s.write(
          Buffer.concat([
            Buffer.from([0x24, 0, 0, 2, 1, 2]),
            Buffer.from('GET_PARAMETER rtsp://x RTSP/1.0\r\nCSeq: 9\r\n\r\n'),
          ]),
        );
        s.write(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\nContent-Length: 5\r\n\r\nhe`);
        setTimeout(() => s.write('llo'), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const conn = await RtspConnection.open(new URL(`rtsp://127.0.0.1:${port}/s`), {
      connectTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      credentials: { user: 'bob', password: 'pw' },
    });
    const res = await conn.request('DESCRIBE', `rtsp://127.0.0.1:${port}/s`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello');
    expect(seen.match(/^DESCRIBE/gm)).toHaveLength(2);
    conn.close();
    await expect(conn.request('OPTIONS', '*')).rejects.toThrow(/closed/);
    server.close();
    await expect(
      RtspConnection.open(new URL(`rtsp://127.0.0.1:${port}/s`), { connectTimeoutMs: 1000, requestTimeoutMs: 1000 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('hands interleaved frames to onInterleaved by channel, split across reads and in bursts larger than a response may be', async () => {
    const frame = (channel: number, n: number, fill: number) => {
      const f = Buffer.alloc(4 + n, fill);
      f[0] = 0x24;
      f[1] = channel;
      f.writeUInt16BE(n, 2);
      return f;
    };
    const server = createServer((s: Socket) => {
      s.once('data', (d) => {
        const cseq = /CSeq: (\d+)/.exec(d.toString())![1];
        // 400 KB of frames in one write (more than a response may buffer), then one split in two with the answer between
        s.write(Buffer.concat(Array.from({ length: 400 }, (_, i) => frame(i % 2 === 0 ? 0 : 3, 1000, i & 0xff))));
        const split = frame(2, 1200, 7);
        s.write(split.subarray(0, 3));
        setTimeout(
          () => s.write(Buffer.concat([split.subarray(3), Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: ${cseq}\r\n\r\n`)])),
          20,
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const conn = await RtspConnection.open(new URL(`rtsp://127.0.0.1:${port}/s`), {
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    });
    const got: Array<{ channel: number; length: number; first: number }> = [];
    conn.onInterleaved = (channel, f) => got.push({ channel, length: f.length, first: f[0]! });
    expect((await conn.request('OPTIONS', '*')).status).toBe(200);
    expect(got).toHaveLength(401);
    expect(got.slice(0, 2)).toEqual([
      { channel: 0, length: 1000, first: 0 },
      { channel: 3, length: 1000, first: 1 },
    ]);
    expect(got[400]).toEqual({ channel: 2, length: 1200, first: 7 });
    expect(conn.closed).toBe(false);
    conn.close();
    server.close();
  });
});
