/**
 * The amplitude of one frequency in a block of PCM (Goertzel's algorithm): for a pure tone of
 * amplitude A at `freq`, about A; near 0 for a frequency that is absent.
 */
export function toneAmplitude(samples: Int16Array, rate: number, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = Math.round((n * freq) / rate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** A sine tone cut into 20 ms frames, phase continuous across frames. */
export class ToneSource {
  private phase = 0;
  constructor(
    readonly rate: number,
    readonly freq: number,
    readonly amplitude: number,
  ) {}

  frame(): Int16Array {
    const n = this.rate / 50;
    const out = new Int16Array(n);
    const step = (2 * Math.PI * this.freq) / this.rate;
    for (let i = 0; i < n; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    return out;
  }
}

/** The last `max` samples received, for analysis. */
export class PcmTail {
  private buf: Int16Array;
  private filled = 0;
  constructor(readonly max: number) {
    this.buf = new Int16Array(max);
  }
  push(pcm: Int16Array): void {
    if (pcm.length >= this.max) {
      this.buf.set(pcm.subarray(pcm.length - this.max));
      this.filled = this.max;
      return;
    }
    this.buf.copyWithin(0, pcm.length);
    this.buf.set(pcm, this.max - pcm.length);
    this.filled = Math.min(this.max, this.filled + pcm.length);
  }
  clear(): void {
    this.filled = 0;
    this.buf.fill(0);
  }
  get length(): number {
    return this.filled;
  }
  /** The most recent `n` samples. */
  last(n: number): Int16Array {
    return this.buf.slice(this.max - Math.min(n, this.filled));
  }
}
