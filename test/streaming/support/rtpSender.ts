/** Plain RTP into a mountpoint from a test: VP8 frames (a keyframe first) and Opus-sized audio packets. */
import { createSocket, type Socket } from 'node:dgram';

export class RtpSender {
  private readonly sock: Socket = createSocket('udp4');
  private seq = { audio: 1, video: 1 };
  private ts = { audio: 0, video: 0 };
  private ssrc = { audio: 5678, video: 1234 };

  /** One RTP packet of `kind` to `port`; a video packet is a VP8 keyframe start when `key`. */
  send(kind: 'audio' | 'video', port: number, key = false): void {
    const payload = Buffer.alloc(kind === 'video' ? 900 : 80, 0x55);
    if (kind === 'video') {
      payload[0] = 0x10; // VP8 descriptor: S=1, partition 0
      payload[1] = key ? 0x00 : 0x01; // VP8 payload header: P=0 is a keyframe
    }
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (kind === 'video' ? 100 : 111) | 0x80;
    h.writeUInt16BE(this.seq[kind]++ & 0xffff, 2);
    h.writeUInt32BE((this.ts[kind] += kind === 'video' ? 3000 : 960) >>> 0, 4);
    h.writeUInt32BE(this.ssrc[kind], 8);
    this.sock.send(Buffer.concat([h, payload]), port, '127.0.0.1');
  }

  /** The sender starts over, as a restarted encoder or a new RTSP session: another SSRC, sequence and timestamp. */
  startOver(kind: 'audio' | 'video', ssrc: number, seq: number, ts: number): void {
    this.ssrc[kind] = ssrc;
    this.seq[kind] = seq;
    this.ts[kind] = ts;
  }

  close(): void {
    this.sock.close();
  }
}
