/**
 * Wall-clock time in µs (Janus's janus_get_real_time): the monotonic clock's µs, kept within 1 ms of
 * the system clock (files of different relays are aligned by it; timeOrigin + performance.now() alone
 * drifts from it as the process runs, and Date.now() alone has only ms).
 */
let wallOffsetUs = Date.now() * 1000 - performance.now() * 1000;
export function nowUs(): number {
  const mono = performance.now() * 1000;
  const wall = Date.now() * 1000;
  if (Math.abs(mono + wallOffsetUs - wall) > 1000) wallOffsetUs = wall - mono;
  return Math.floor(mono + wallOffsetUs);
}
