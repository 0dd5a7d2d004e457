import { randomBytes } from 'node:crypto';
import { RtpHeader, RtpPacket, RTCRtpReceiver } from 'werift';
import { describe, expect, it } from 'vitest';
import { installFastRtpHeader, parseRtpHeader } from '../../relay/peer/fastRtpHeader.js';
import { installReceiverFeedbackCache } from '../../relay/peer/receiverFeedbackCache.js';

// werift's own parser, kept before anything replaces it
const weriftParse = RtpHeader.deSerialize.bind(RtpHeader);

/** A random well-formed RTP packet: CSRCs, padding, one-byte, two-byte or other extension profiles. */
function randomPacket(i: number): Buffer {
  const header = new RtpHeader({
    marker: i % 3 === 0,
    payloadType: i % 128,
    sequenceNumber: (i * 7919) & 0xffff,
    timestamp: (i * 2654435761) >>> 0,
    ssrc: (i * 40503 + 1) >>> 0,
    csrc: Array.from({ length: i % 4 }, (_, k) => (i * 31 + k) >>> 0),
    extensionProfile: i % 5 === 0 ? 0x1000 : 0xbede,
    extensions:
      i % 7 === 0
        ? []
        : Array.from({ length: 1 + (i % 3) }, (_, k) => ({
            id: 1 + ((i + k) % 14),
            payload: randomBytes(1 + ((i + k) % 4)),
          })),
  });
  const payload = randomBytes(20 + (i % 50));
  const packet = new RtpPacket(header, payload).serialize();
  if (i % 11 !== 0) return packet;
  // padding: P bit, 4 bytes of it
  const padded = Buffer.concat([packet, Buffer.from([0, 0, 0, 4])]);
  padded[0]! |= 0x20;
  return padded;
}

describe("the relay's receive path through werift", () => {
  it('parses every well-formed RTP header exactly as werift does', () => {
    for (let i = 0; i < 2000; i++) {
      const raw = randomPacket(i);
      expect({ ...parseRtpHeader(raw) }, `packet ${i}`).toEqual({ ...weriftParse(raw) });
    }
    // a profile other than RFC 8285's: one extension of id 0 holding the block
    const other = randomPacket(1);
    other.writeUInt16BE(0x1234, 12 + 4);
    expect({ ...parseRtpHeader(other) }).toEqual({ ...weriftParse(other) });
  });

  it('throws on a truncated packet (a packet werift cannot read either), and on extensions past its end', () => {
    const raw = randomPacket(3); // extensions, 3 CSRCs
    for (const length of [0, 1, 5, 11, 12 + 4 * 3 + 2]) {
      const cut = raw.subarray(0, length);
      expect(() => parseRtpHeader(cut), `length ${length}`).toThrow();
      expect(() => weriftParse(cut), `length ${length}`).toThrow();
    }
    const lying = Buffer.from(raw);
    lying.writeUInt16BE(200, 12 + 4 * 3 + 2); // 800 bytes of extensions announced
    expect(() => parseRtpHeader(lying)).toThrow(RangeError);
  });

  it('once installed, werift parses received packets with it', () => {
    installFastRtpHeader();
    expect(RtpHeader.deSerialize).toBe(parseRtpHeader);
    const raw = randomPacket(12);
    expect(RtpPacket.deSerialize(raw).header).toEqual(weriftParse(raw));
  });

  it("answers the receiver's feedback questions from a cache that negotiation clears", () => {
    const receiver = Object.create(RTCRtpReceiver.prototype) as RTCRtpReceiver & Record<string, unknown>;
    Object.assign(receiver, { codecs: {}, ssrcByRtx: {} });
    const vp8 = (feedback: string[]) => ({
      payloadType: 96,
      name: 'VP8',
      clockRate: 90000,
      rtcpFeedback: feedback.map((type) => ({ type })),
    });
    const prepare = (codec: ReturnType<typeof vp8>) =>
      (receiver as unknown as { prepareReceive(p: unknown): void }).prepareReceive({ codecs: [codec], encodings: [] });
    installReceiverFeedbackCache();
    prepare(vp8(['nack']));
    expect(receiver.nackEnabled).toEqual({ type: 'nack' });
    expect(receiver.twccEnabled).toBeUndefined();
    // the same codecs mutated behind werift's back would not be seen: only negotiation changes them
    prepare(vp8(['nack', 'transport-cc']));
    expect(receiver.twccEnabled).toEqual({ type: 'transport-cc' });
    expect(receiver.nackEnabled).toEqual({ type: 'nack' });
    prepare(vp8([]));
    expect(receiver.nackEnabled).toBeUndefined();
    expect(receiver.twccEnabled).toBeUndefined();
  });
});
