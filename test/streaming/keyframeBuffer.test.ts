import { describe, expect, it } from 'vitest';
import { KeyframeBuffer, type BufferedPacket } from '../../relay/sfu/keyframeBuffer.js';

const pkt = (seq: number, ts: number, key: boolean): BufferedPacket => ({
  pt: 96,
  seq,
  ts,
  marker: false,
  payload: Buffer.alloc(1),
  key,
  tid: 0,
});

describe('keyframe buffer', () => {
  it("keeps H.264's SPS/PPS with the IDR that follows in the same timestamp", () => {
    const b = new KeyframeBuffer();
    b.add(pkt(1, 1000, true)); // STAP-A with SPS/PPS
    b.add(pkt(2, 1000, true)); // FU-A start of the IDR
    b.add(pkt(3, 1000, false));
    b.add(pkt(4, 4000, false));
    expect(b.contents.map((p) => p.seq)).toEqual([1, 2, 3, 4]);
  });

  it('starts afresh at a keyframe of a later frame', () => {
    const b = new KeyframeBuffer();
    b.add(pkt(1, 1000, true));
    b.add(pkt(2, 4000, false));
    b.add(pkt(3, 7000, true));
    expect(b.contents.map((p) => p.seq)).toEqual([3]);
  });
});
