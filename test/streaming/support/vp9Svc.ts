/**
 * Synthetic VP9 SVC RTP, as an L3T3 encoder in non-flexible mode sends it (RFC 9628): every picture
 * has three spatial layer frames (SID 0..2) of two packets each; pictures cycle through temporal
 * layers 0,2,1,2; a key picture every `gop` pictures (P=0, the scalability structure on its first
 * packet, upper layers inter-layer predicted). The RTP marker ends the picture (end of SID 2).
 * Each payload's last 4 bytes carry the sender's own packet number, so a test sees what arrived.
 */
import { createSocket, type Socket } from 'node:dgram';

/** The temporal layer of each picture of the cycle (L3T3). */
const TEMPORAL_CYCLE = [0, 2, 1, 2];

export interface SvcPacketSpec {
  pictureId: number;
  tl0PicIdx: number;
  tid: number;
  sid: number;
  key: boolean;
  start: boolean;
  end: boolean;
}

/** The payload descriptor of one packet: I, L (non-flexible: TL0PICIDX), B/E, P, V on a key picture's first packet. */
export function svcDescriptor(s: SvcPacketSpec): Buffer {
  const withSs = s.key && s.sid === 0 && s.start;
  const b0 =
    0x80 | // I
    (s.key ? 0 : 0x40) | // P
    0x20 | // L
    (s.start ? 0x08 : 0) |
    (s.end ? 0x04 : 0) |
    (withSs ? 0x02 : 0);
  const pid = [0x80 | ((s.pictureId >> 8) & 0x7f), s.pictureId & 0xff];
  // TID | U | SID | D: a temporal layer above 0 is a switching-up point; upper spatial layers depend on the lower
  const layer = (s.tid << 5) | (s.tid > 0 ? 0x10 : 0) | (s.sid << 1) | (s.sid > 0 ? 1 : 0);
  const ss = withSs
    ? [
        (2 << 5) | 0x10, // N_S = 2 (three layers), Y: sizes follow, no G
        ...[320, 180, 640, 360, 1280, 720].flatMap((v) => [v >> 8, v & 0xff]),
      ]
    : [];
  return Buffer.from([b0, ...pid, layer, s.tl0PicIdx & 0xff, ...ss]);
}

export interface SentPacket extends SvcPacketSpec {
  /** The sender's packet number (also in the payload's last 4 bytes) and RTP sequence number. */
  n: number;
  seq: number;
  marker: boolean;
}

export class Vp9SvcSender {
  private readonly sock: Socket = createSocket('udp4');
  private picture = 0;
  private tl0 = 0;
  private n = 0;
  private seq = 4000;
  readonly sent: SentPacket[] = [];

  constructor(
    private readonly port: number,
    private readonly gop = 20,
  ) {}

  /** Sends one picture: three spatial layer frames of two packets each. */
  sendPicture(): void {
    const key = this.picture % this.gop === 0;
    const tid = key ? 0 : TEMPORAL_CYCLE[this.picture % TEMPORAL_CYCLE.length]!;
    if (tid === 0 && this.picture > 0) this.tl0++;
    for (let sid = 0; sid < 3; sid++)
      for (let part = 0; part < 2; part++) {
        const spec: SvcPacketSpec = {
          pictureId: this.picture & 0x7fff,
          tl0PicIdx: this.tl0,
          tid,
          sid,
          key,
          start: part === 0,
          end: part === 1,
        };
        const marker = sid === 2 && part === 1;
        const n = this.n++;
        const seq = this.seq++ & 0xffff;
        const body = Buffer.alloc(200, 0x33);
        body.writeUInt32BE(n, body.length - 4);
        const h = Buffer.alloc(12);
        h[0] = 0x80;
        h[1] = (marker ? 0x80 : 0) | 98;
        h.writeUInt16BE(seq, 2);
        h.writeUInt32BE((this.picture * 3000) >>> 0, 4);
        h.writeUInt32BE(0x5c5c, 8);
        this.sock.send(Buffer.concat([h, svcDescriptor(spec), body]), this.port, '127.0.0.1');
        this.sent.push({ ...spec, n, seq, marker });
      }
    this.picture++;
  }

  close(): void {
    this.sock.close();
  }
}

/** The sender's packet number in a received payload. */
export const packetNumber = (payload: Buffer) => payload.readUInt32BE(payload.length - 4);
