import {
  GenericNack,
  PictureLossIndication,
  ProtectionProfileAes128CmHmacSha1_80,
  RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpTransportLayerFeedback,
  SrtcpSession,
} from 'werift';
import { describe, expect, it } from 'vitest';
import { SendHistory } from '../../../relay/sfu/history.js';
import { buildNack, hasKeyframeRequest, parseRtcpFeedback, seqRange } from '../../../relay/sfu/rtcp.js';

/** The RTCP feedback a cascade link carries: parsing (defensively) and building generic NACKs. */

const pli = (media: number) =>
  new RtcpPayloadSpecificFeedback({
    feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: media }),
  }).serialize();
const weriftNack = (media: number, lost: number[]) =>
  new RtcpTransportLayerFeedback({
    feedback: new GenericNack({ senderSsrc: 1, mediaSourceSsrc: media, lost }),
  }).serialize();
const rr = () =>
  new RtcpRrPacket({
    ssrc: 7,
    reports: [
      new RtcpReceiverInfo({
        ssrc: 1000,
        fractionLost: 0,
        packetsLost: 0,
        highestSequence: 5,
        jitter: 0,
        lsr: 0,
        dlsr: 0,
      }),
    ],
  }).serialize();

/** A FIR (PSFB FMT 4) naming `ssrcs` in its FCI entries. */
function fir(ssrcs: number[]): Buffer {
  const b = Buffer.alloc(12 + ssrcs.length * 8);
  b[0] = 0x84;
  b[1] = 206;
  b.writeUInt16BE(2 + ssrcs.length * 2, 2);
  b.writeUInt32BE(1, 4);
  ssrcs.forEach((s, i) => {
    b.writeUInt32BE(s, 12 + i * 8);
    b[16 + i * 8] = i + 1;
  });
  return b;
}

describe('RTCP feedback parsing', () => {
  it('reads PLIs, FIRs and generic NACKs by media SSRC, also inside compound packets', () => {
    expect(parseRtcpFeedback(pli(1010))).toEqual([{ kind: 'keyframe', ssrc: 1010 }]);
    expect(parseRtcpFeedback(fir([1000, 1001]))).toEqual([
      { kind: 'keyframe', ssrc: 1000 },
      { kind: 'keyframe', ssrc: 1001 },
    ]);
    expect(parseRtcpFeedback(weriftNack(1011, [5, 6, 9, 40]))).toEqual([
      { kind: 'nack', ssrc: 1011, lost: [5, 6, 9, 40] },
    ]);
    const compound = Buffer.concat([rr(), pli(1002), weriftNack(1000, [100])]);
    expect(parseRtcpFeedback(compound)).toEqual([
      { kind: 'keyframe', ssrc: 1002 },
      { kind: 'nack', ssrc: 1000, lost: [100] },
    ]);
    expect(parseRtcpFeedback(rr())).toEqual([]);
  });

  it('refuses anything that is not entirely plain RTCP (truncated, garbage, SRTCP), leaving the header-only check', () => {
    const p = pli(1000);
    expect(parseRtcpFeedback(p.subarray(0, 8))).toBeUndefined(); // length says 12
    expect(parseRtcpFeedback(Buffer.concat([p, Buffer.from([0x80, 0xce])]))).toBeUndefined(); // a partial header
    expect(parseRtcpFeedback(Buffer.alloc(0))).toBeUndefined();
    expect(parseRtcpFeedback(Buffer.from([0x80, 0x60, 0, 0]))).toBeUndefined(); // RTP, not RTCP
    expect(parseRtcpFeedback(Buffer.from([0x41, 206, 0, 2, 0, 0, 0, 1, 0, 0, 3, 232]))).toBeUndefined(); // version 1
    const huge = Buffer.from(p);
    huge.writeUInt16BE(0xffff, 2);
    expect(parseRtcpFeedback(huge)).toBeUndefined();
    // a feedback message too short for its media SSRC is skipped, not read past its end
    expect(parseRtcpFeedback(Buffer.from([0x81, 206, 0, 1, 0, 0, 0, 1]))).toEqual([]);
    // a NACK whose FCI is cut (its length still counts whole words) yields what is there
    expect(parseRtcpFeedback(Buffer.from([0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 3, 232]))).toEqual([]);

    // SRTCP: the first header is in the clear, the media SSRC and everything after are not
    const key = Buffer.alloc(16, 3);
    const salt = Buffer.alloc(14, 4);
    const srtcp = new SrtcpSession({
      keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    });
    const enc = srtcp.encrypt(pli(1010));
    expect(parseRtcpFeedback(enc)).toBeUndefined();
    expect(hasKeyframeRequest(enc)).toBe(true);
    expect(hasKeyframeRequest(srtcp.encrypt(weriftNack(1010, [1])))).toBe(false);
  });
});

describe('generic NACKs', () => {
  it('packs lost sequence numbers into PID/BLP entries that werift reads back', () => {
    const cases: number[][] = [
      [7],
      seqRange(10, 17),
      seqRange(10, 18),
      seqRange(65530, 64),
      [1, 3, 5, 40, 41, 60],
      seqRange(0, 1),
    ];
    for (const lost of cases) {
      const b = buildNack(1, 1020, lost)!;
      expect(b.length % 4).toBe(0);
      expect(b[0]).toBe(0x81);
      expect(b[1]).toBe(205);
      expect((b.readUInt16BE(2) + 1) * 4).toBe(b.length);
      expect(parseRtcpFeedback(b)).toEqual([{ kind: 'nack', ssrc: 1020, lost }]);
      const w = GenericNack.deSerialize(b.subarray(4), undefined as never);
      expect(w.mediaSourceSsrc).toBe(1020);
      expect(w.lost.map((s) => s & 0xffff)).toEqual(lost);
    }
    // 17 consecutive packets fit one entry, 18 need two; 64 need four
    expect(buildNack(1, 1, seqRange(10, 17))!.length).toBe(16);
    expect(buildNack(1, 1, seqRange(10, 18))!.length).toBe(20);
    expect(buildNack(1, 1, seqRange(65530, 64))!.length).toBe(28);
    expect(buildNack(1, 1, [])).toBeUndefined();
    expect(seqRange(65535, 3)).toEqual([65535, 0, 1]);
  });
});

describe('send history payload types', () => {
  it('keeps the payload type of each packet beside its timestamp and marker', () => {
    const h = new SendHistory(512);
    const p = Buffer.from([1]);
    h.put(100, 9000, true, p, 96);
    h.put(101, 9000, false, p);
    expect(h.payloadType(100)).toBe(96);
    expect(h.payloadType(101)).toBe(0);
    expect(h.payload(100 + 512)).toBeUndefined();
    h.put(100 + 512, 1, false, p, 97);
    expect(h.payload(100)).toBeUndefined();
    expect(h.payloadType(612)).toBe(97);
  });
});
