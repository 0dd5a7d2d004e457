/**
 * A minimal TCP-only RTSP server for checking what the relay sends back over the RTSP connection:
 * one VP8 track, UDP SETUP answered 461, RTP sent interleaved on channel 0 once PLAYed, and every
 * interleaved frame the client sends kept in `fromClient` (its RTCP: keyframe requests).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class InterleavedRtspServer {
  readonly fromClient: Array<{ channel: number; data: Buffer }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<InterleavedRtspServer> {
    const server = createServer();
    const s = new InterleavedRtspServer(server);
    server.on('connection', (socket) => s.serve(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return s;
  }

  get url(): string {
    return `rtsp://127.0.0.1:${(this.server.address() as AddressInfo).port}/cam`;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf[0] === 0x24) {
          if (buf.length < 4 || buf.length < 4 + buf.readUInt16BE(2)) return;
          const end = 4 + buf.readUInt16BE(2);
          this.fromClient.push({ channel: buf[1]!, data: Buffer.from(buf.subarray(4, end)) });
          buf = buf.subarray(end);
          continue;
        }
        const headEnd = buf.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = buf.subarray(0, headEnd).toString();
        buf = buf.subarray(headEnd + 4);
        this.answer(socket, head);
      }
    });
  }

  private answer(socket: Socket, head: string): void {
    const method = head.split(' ')[0];
    const cseq = /CSeq: (\d+)/i.exec(head)?.[1] ?? '0';
    const reply = (status: string, headers: string[] = [], body = ''): void => {
      socket.write(
        `RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers.map((h) => `${h}\r\n`).join('')}` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    if (method === 'DESCRIBE') {
      const sdp =
        'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=control:track0\r\n';
      return reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${this.url}/`], sdp);
    }
    if (method === 'SETUP') {
      if (!/RTP\/AVP\/TCP/.test(head)) return reply('461 Unsupported Transport');
      return reply('200 OK', ['Session: 12345678;timeout=60', 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1']);
    }
    if (method === 'PLAY') {
      reply('200 OK', ['Session: 12345678']);
      return this.sendVideo(socket);
    }
    reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
  }

  /** VP8 packets at 30/s, a keyframe every 60 (so a viewer's keyframe request is what gets it one sooner). */
  private sendVideo(socket: Socket): void {
    let seq = 1;
    const timer = setInterval(() => {
      if (socket.destroyed) return clearInterval(timer);
      const pkt = Buffer.alloc(12 + 500, 0x55);
      pkt[0] = 0x80;
      pkt[1] = 96 | 0x80;
      pkt.writeUInt16BE(seq & 0xffff, 2);
      pkt.writeUInt32BE((seq * 3000) >>> 0, 4);
      pkt.writeUInt32BE(4321, 8);
      pkt[12] = 0x10;
      pkt[13] = seq % 60 === 1 ? 0x00 : 0x01;
      const head = Buffer.from([0x24, 0, 0, 0]);
      head.writeUInt16BE(pkt.length, 2);
      socket.write(Buffer.concat([head, pkt]));
      seq++;
    }, 33);
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
