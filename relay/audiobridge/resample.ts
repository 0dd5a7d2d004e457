/**
 * Integer-ratio resampling between G.711's 8 kHz and the room's rate (16/24/48 kHz are 2, 3 and 6
 * times 8 kHz; Opus itself decodes and encodes at the room rate). Up: linear interpolation; down:
 * the average of each group of samples (a box filter, enough against aliasing for speech).
 */

/** `input` (8 kHz) to `out` (`factor` times as many samples). */
export function upsample(input: Int16Array, n: number, factor: number, out: Int16Array): void {
  if (factor === 1) {
    out.set(input.subarray(0, n));
    return;
  }
  for (let i = 0; i < n; i++) {
    const a = input[i]!;
    const b = i + 1 < n ? input[i + 1]! : a;
    const base = i * factor;
    for (let k = 0; k < factor; k++) out[base + k] = a + Math.round(((b - a) * k) / factor);
  }
}

/** `input` (room rate, `n` samples) to `out` (8 kHz, n / factor samples). */
export function downsample(input: Int16Array, n: number, factor: number, out: Int16Array): void {
  if (factor === 1) {
    out.set(input.subarray(0, n));
    return;
  }
  const m = Math.floor(n / factor);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    const base = i * factor;
    for (let k = 0; k < factor; k++) sum += input[base + k]!;
    out[i] = Math.round(sum / factor);
  }
}
