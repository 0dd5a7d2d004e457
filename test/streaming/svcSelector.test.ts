import { describe, expect, it } from 'vitest';
import { SvcSelector, SvcVerdict } from '../../relay/sfu/svcSelector.js';
import { emptyVp9Descriptor, isVp9SwitchKeyframe, parseVp9Descriptor } from '../../relay/sfu/vp9Descriptor.js';
import { svcDescriptor, type SvcPacketSpec } from './support/vp9Svc.js';

const parse = (bytes: number[]) => {
  const d = emptyVp9Descriptor();
  const ok = parseVp9Descriptor(Uint8Array.from(bytes), d);
  return { ok, d };
};

describe('VP9 payload descriptor (RFC 9628)', () => {
  it('reads a non-flexible key picture start with a 15-bit picture id, layer indices and the scalability structure', () => {
    // I L B V | M + picture id 0x1234 | TID 0 U0 SID 0 D0 | TL0PICIDX 7 | N_S=2 Y (3 × 4 bytes) | VP9 frame
    const { ok, d } = parse([0xaa, 0x92, 0x34, 0x00, 0x07, 0x50, 1, 64, 0, 180, 2, 128, 1, 104, 5, 0, 2, 208, 0x82]);
    expect(ok).toBe(true);
    expect(d).toMatchObject({
      hasPictureId: true,
      pictureId: 0x1234,
      interPicture: false,
      hasLayers: true,
      flexible: false,
      start: true,
      end: false,
      hasScalability: true,
      temporalId: 0,
      spatialId: 0,
      tl0PicIdx: 7,
      spatialLayers: 3,
      headerLength: 18,
    });
    expect(isVp9SwitchKeyframe(d)).toBe(true);
  });

  it('reads TID/U/SID/D of an inter picture end, with a 7-bit picture id', () => {
    // I P L E | picture id 5 | TID 2 U SID 1 D | TL0PICIDX 9
    const { ok, d } = parse([0xe4, 0x05, 0x53, 0x09, 0x00]);
    expect(ok).toBe(true);
    expect(d).toMatchObject({
      pictureId: 5,
      interPicture: true,
      end: true,
      start: false,
      temporalId: 2,
      switchingUp: true,
      spatialId: 1,
      interLayer: true,
      tl0PicIdx: 9,
      headerLength: 4,
    });
    expect(isVp9SwitchKeyframe(d)).toBe(false);
  });

  it('flexible mode: no TL0PICIDX, up to three P_DIFFs follow an inter picture', () => {
    // I P L F B | picture id 1 | TID 1 SID 0 | P_DIFF 1 N, P_DIFF 2 N, P_DIFF 3
    const { ok, d } = parse([0xf8, 0x01, 0x20, 0x03, 0x05, 0x06, 0xff]);
    expect(ok).toBe(true);
    expect(d).toMatchObject({ flexible: true, tl0PicIdx: -1, temporalId: 1, headerLength: 6 });
  });

  it('a plain VP9 descriptor (no layer indices), and truncated ones', () => {
    expect(parse([0x0c, 0x00]).d).toMatchObject({ hasLayers: false, start: true, end: true, headerLength: 1 });
    expect(parse([]).ok).toBe(false);
    expect(parse([0x80]).ok).toBe(false); // I without the picture id
    expect(parse([0x80, 0x80]).ok).toBe(false); // 15-bit picture id cut
    expect(parse([0xa0, 0x01, 0x00]).ok).toBe(false); // non-flexible without TL0PICIDX
    expect(parse([0x02, 0x10, 0x00]).ok).toBe(false); // SS announcing sizes it lacks
  });

  it('reads what the test sender writes', () => {
    const spec: SvcPacketSpec = { pictureId: 300, tl0PicIdx: 4, tid: 2, sid: 1, key: false, start: true, end: false };
    const { d } = parse([...svcDescriptor(spec), 0]);
    expect(d).toMatchObject({ pictureId: 300, tl0PicIdx: 4, temporalId: 2, spatialId: 1, start: true, end: false });
  });
});

/** One picture as the sender makes it: three spatial layer frames of two packets. */
function picture(pictureId: number, tid: number, key: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let sid = 0; sid < 3; sid++)
    for (let part = 0; part < 2; part++)
      out.push(svcDescriptor({ pictureId, tl0PicIdx: 0, tid, sid, key, start: part === 0, end: part === 1 }));
  return out;
}

describe('VP9 SVC layer selection', () => {
  const run = (sel: SvcSelector, pkts: Buffer[], s: number, t: number, now: number) =>
    pkts.map((p) => sel.accept(p, s, t, now));
  const F = SvcVerdict.FORWARD;
  const M = SvcVerdict.FORWARD_MARKED;
  const D = SvcVerdict.DROP;

  it('waits for a keyframe, then forwards every layer up to the target, the marker on its end', () => {
    const sel = new SvcSelector();
    expect(run(sel, picture(1, 0, false), 2, 2, 0)).toEqual([D, D, D, D, D, D]);
    // the marker only ends the highest spatial layer forwarded (the sender's own marker is kept)
    expect(run(sel, picture(2, 0, true), 2, 2, 10)).toEqual([F, F, F, F, F, M]);
    expect(sel.spatial).toBe(2);
    expect(sel.temporal).toBe(0);
    // a higher temporal layer comes in at its switching point
    expect(run(sel, picture(3, 2, false), 2, 2, 20)).toEqual([F, F, F, F, F, M]);
    expect(sel.temporal).toBe(2);
  });

  it('targets 0/0: only SID 0 of TID 0 pictures, each marked at its end; back up at the next keyframe', () => {
    const sel = new SvcSelector();
    run(sel, picture(1, 0, true), 2, 2, 0);
    run(sel, picture(2, 2, false), 2, 2, 10);
    // down: the temporal layer at the end of a TID 0 frame, the spatial one at a keyframe (non-flexible mode)
    expect(run(sel, picture(3, 0, false), 0, 0, 20)).toEqual([F, F, F, F, F, M]);
    expect(sel.temporal).toBe(0);
    expect(run(sel, picture(4, 2, false), 0, 0, 30)).toEqual([D, D, D, D, D, D]);
    expect(run(sel, picture(5, 0, true), 0, 0, 40)).toEqual([F, M, D, D, D, D]);
    expect(sel.spatial).toBe(0);
    expect(run(sel, picture(6, 1, false), 0, 0, 50)).toEqual([D, D, D, D, D, D]);
    expect(run(sel, picture(7, 0, false), 0, 0, 60)).toEqual([F, M, D, D, D, D]);
    // up again: spatial waits for the keyframe, temporal for a switching point
    expect(run(sel, picture(8, 0, false), 2, 2, 70)).toEqual([F, M, D, D, D, D]);
    expect(run(sel, picture(9, 0, true), 2, 2, 80)).toEqual([F, F, F, F, F, M]);
    expect(run(sel, picture(10, 1, false), 2, 2, 90)).toEqual([F, F, F, F, F, M]);
    expect(sel.temporal).toBe(1);
  });

  it('does not switch up to a spatial layer that sent nothing for 250 ms (as Janus: seen before the keyframe)', () => {
    const sel = new SvcSelector();
    // nothing seen yet: the first keyframe starts at the base layer
    expect(run(sel, picture(1, 0, true), 2, 2, 1000)).toEqual([F, M, D, D, D, D]);
    expect(sel.spatial).toBe(0);
    // SID 2 stops arriving: the next keyframe goes up to SID 1 only
    run(sel, picture(2, 0, false).slice(0, 4), 2, 2, 1100);
    expect(run(sel, picture(3, 0, true).slice(0, 4), 2, 2, 1300)).toEqual([F, F, F, M]);
    expect(sel.spatial).toBe(1);
  });

  it('plain VP9 (no layer indices) passes untouched', () => {
    const sel = new SvcSelector();
    expect(sel.accept(Buffer.from([0x0c, 0x00]), 0, 0, 0)).toBe(F);
  });
});
