/**
 * G.711 (ITU-T G.711) µ-law and A-law: one decode table (256 entries) and one encode table
 * (65,536 entries, indexed by the 16-bit sample) per law, built once. Samples are 8 kHz.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

function ulawDecode(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0x0f) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

function ulawEncode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let s = Math.min(sign ? -sample : sample, ULAW_CLIP) + ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  s = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | s) & 0xff;
}

function alawDecode(code: number): number {
  const a = code ^ 0x55;
  const exponent = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = exponent === 0 ? t + 8 : (t + 0x108) << (exponent - 1);
  return a & 0x80 ? t : -t;
}

function alawEncode(sample: number): number {
  const sign = sample >= 0 ? 0x80 : 0;
  const s = Math.min(sign ? sample : -sample - 1, 32767) >> 3;
  let code: number;
  if (s < 32) code = s >> 1;
  else {
    let exponent = 1;
    while (s >> (exponent + 4) > 1 && exponent < 7) exponent++;
    code = (exponent << 4) | ((s >> exponent) & 0x0f);
  }
  return (code | sign) ^ 0x55;
}

function tables(decode: (c: number) => number, encode: (s: number) => number) {
  const dec = new Int16Array(256);
  for (let c = 0; c < 256; c++) dec[c] = decode(c);
  const enc = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) enc[s & 0xffff] = encode(s);
  return { dec, enc };
}

const laws = { pcmu: tables(ulawDecode, ulawEncode), pcma: tables(alawDecode, alawEncode) };
export type G711Law = keyof typeof laws;

/** Decodes `payload` into `out` (one sample per byte); returns the number of samples. */
export function g711Decode(law: G711Law, payload: Uint8Array, out: Int16Array): number {
  const dec = laws[law].dec;
  const n = Math.min(payload.length, out.length);
  for (let i = 0; i < n; i++) out[i] = dec[payload[i]!]!;
  return n;
}

/** Encodes `samples` into `out` (one byte per sample); returns the number of bytes. */
export function g711Encode(law: G711Law, samples: Int16Array, out: Uint8Array): number {
  const enc = laws[law].enc;
  const n = Math.min(samples.length, out.length);
  for (let i = 0; i < n; i++) out[i] = enc[samples[i]! & 0xffff]!;
  return n;
}
