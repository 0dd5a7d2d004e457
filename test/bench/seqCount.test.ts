import { describe, expect, it } from 'vitest';
import { SeqCount } from '../../bench/streaming/seqCount.js';

/** A 12-byte RTP header (as SRTP leaves it in the clear) of `ssrc` with sequence number `seq`. */
function packet(ssrc: number, seq: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x80;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

describe("bench:streaming's count of distinct packets by sequence number", () => {
  it('counts each sequence number of a stream once, across the 16-bit wrap and out of order', () => {
    const c = new SeqCount();
    for (const seq of [65_530, 65_532, 65_531, 65_535, 0, 1, 65_534, 1, 0, 2, 65_533]) c.addSrtp(packet(7, seq));
    // 65530…65535 and 0…2: nine distinct, two duplicates
    expect(c.distinct).toBe(9);
  });

  it('keeps streams apart by SSRC and ignores what is too short to be RTP', () => {
    const c = new SeqCount();
    for (let seq = 100; seq < 110; seq++) {
      c.addSrtp(packet(1, seq));
      c.addSrtp(packet(2, seq));
    }
    c.addSrtp(Buffer.alloc(8));
    expect(c.distinct).toBe(20);
  });
});
