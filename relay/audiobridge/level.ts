/**
 * The RFC 6464 level (0 = loudest … 127 = silence, -dBov) of a decoded frame, for talking
 * detection when the participant's packets carry no audio-level extension.
 */
export function frameLevel(frame: Int16Array, n: number): number {
  if (n <= 0) return 127;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = frame[i]!;
    sum += s * s;
  }
  const rms = Math.sqrt(sum / n);
  if (rms < 1) return 127;
  const dbov = 20 * Math.log10(rms / 32767);
  return Math.max(0, Math.min(127, Math.round(-dbov)));
}
