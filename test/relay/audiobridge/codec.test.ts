import { describe, expect, it } from 'vitest';
import { g711Decode, g711Encode } from '../../../relay/audiobridge/g711.js';
import { JitterBuffer } from '../../../relay/audiobridge/jitterBuffer.js';
import { OpusDecoder, OpusEncoder } from '../../../relay/audiobridge/opus.js';
import { codecCounts } from '../../../relay/audiobridge/totals.js';
import { downsample, upsample } from '../../../relay/audiobridge/resample.js';
import { ToneSource, toneAmplitude } from './support/goertzel.js';

const dec = (law: 'pcmu' | 'pcma', code: number) => {
  const out = new Int16Array(1);
  g711Decode(law, Uint8Array.of(code), out);
  return out[0];
};
const enc = (law: 'pcmu' | 'pcma', sample: number) => {
  const out = new Uint8Array(1);
  g711Encode(law, Int16Array.of(sample), out);
  return out[0];
};

describe('G.711 tables', () => {
  it('µ-law matches the reference vectors (ITU-T G.711 / Sun g711.c)', () => {
    expect(enc('pcmu', 0)).toBe(0xff);
    expect(dec('pcmu', 0xff)).toBe(0);
    expect(dec('pcmu', 0x00)).toBe(-32124);
    expect(dec('pcmu', 0x80)).toBe(32124);
    expect(enc('pcmu', 32767)).toBe(0x80);
    expect(enc('pcmu', -32768)).toBe(0x00);
    for (let c = 0; c < 256; c++) if (c !== 0x7f) expect(enc('pcmu', dec('pcmu', c)!)).toBe(c); // 0x7f and 0xff both decode to 0
  });

  it('A-law matches the reference vectors', () => {
    expect(enc('pcma', 0)).toBe(0xd5);
    expect(dec('pcma', 0xd5)).toBe(8);
    expect(dec('pcma', 0x55)).toBe(-8);
    expect(dec('pcma', 0xaa)).toBe(32256);
    expect(dec('pcma', 0x2a)).toBe(-32256);
    for (let c = 0; c < 256; c++) expect(enc('pcma', dec('pcma', c)!)).toBe(c);
  });
});

describe('Opus at the room rates', () => {
  it.each([8000, 16000, 24000, 48000])(
    'a 440 Hz tone survives encode/decode at %i Hz; PLC and FEC give 20 ms',
    (rate) => {
      const before = { ...codecCounts };
      const e = new OpusEncoder(rate, 1, { bitrate: 32000, complexity: 4, expectedLoss: 10 });
      const d = new OpusDecoder(rate);
      const tone = new ToneSource(rate, 440, 8000);
      const packet = Buffer.alloc(1500);
      const frame = new Int16Array(rate / 50);
      const heard: number[] = [];
      for (let i = 0; i < 25; i++) {
        const n = e.encode(tone.frame(), packet);
        expect(d.decode(packet.subarray(0, n), frame)).toBe(rate / 50);
        if (i >= 5) heard.push(...frame);
      }
      expect(toneAmplitude(Int16Array.from(heard), rate, 440)).toBeGreaterThan(5000);
      expect(d.decode(undefined, frame)).toBe(rate / 50); // concealment of one lost frame
      const n = e.encode(tone.frame(), packet);
      expect(d.decode(packet.subarray(0, n), frame, true)).toBe(rate / 50); // FEC of the frame before
      e.close();
      d.close();
      expect(codecCounts).toEqual(before);
    },
  );
});

describe('resampling between 8 kHz and the room rate', () => {
  it('keeps a tone through up- and down-sampling', () => {
    const tone = new ToneSource(8000, 440, 8000).frame();
    const up = new Int16Array(960);
    upsample(tone, 160, 6, up);
    expect(toneAmplitude(up, 48000, 440)).toBeGreaterThan(7000);
    const down = new Int16Array(160);
    downsample(up, 960, 6, down);
    expect(toneAmplitude(down, 8000, 440)).toBeGreaterThan(7000);
  });
});

describe('jitter buffer (Janus prebuffer semantics)', () => {
  const p = (seq: number) => Buffer.from([seq & 0xff]);

  it('holds packets until more than `prebuffer` wait, then plays them in sequence order', () => {
    const jb = new JitterBuffer(3);
    for (const s of [10, 12, 11]) jb.push(s, p(s));
    expect(jb.next(false)).toBeUndefined();
    jb.push(13, p(13));
    const seqs = [jb.next(false), jb.next(false), jb.next(false), jb.next(false)].map((o) =>
      o?.kind === 'packet' ? o.payload[0] : o?.kind,
    );
    expect(seqs).toEqual([10, 11, 12, 13]);
  });

  it('conceals a gap with FEC from the next packet when allowed, else PLC; drops late packets', () => {
    const jb = new JitterBuffer(0);
    jb.push(100, p(100));
    expect(jb.next(true)).toMatchObject({ kind: 'packet' });
    jb.push(103, p(103));
    expect(jb.next(true)).toEqual({ kind: 'plc' }); // 101: 103 is not the next packet
    expect(jb.next(true)).toMatchObject({ kind: 'fec' }); // 102 from 103's FEC
    expect(jb.next(true)).toMatchObject({ kind: 'packet' }); // 103
    jb.push(101, p(101));
    expect(jb.length).toBe(0);
    expect(jb.dropped).toBe(1);
    jb.push(105, p(105));
    expect(jb.next(false)).toEqual({ kind: 'plc' }); // 104, without FEC
    expect(jb.next(false)).toMatchObject({ kind: 'packet', payload: p(105) });
  });

  it('trims a queue that grew to twice the prebuffer back to it', () => {
    const jb = new JitterBuffer(2);
    for (let s = 0; s < 3; s++) jb.push(s, p(s));
    jb.push(3, p(3));
    expect(jb.length).toBe(2);
    expect(jb.next(false)).toMatchObject({ kind: 'packet', payload: p(2) });
  });
});
