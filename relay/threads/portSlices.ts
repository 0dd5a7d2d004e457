/**
 * The ICE port range split between the main thread (slice 0: publishers and every other plugin's
 * peers) and each relay thread (slices 1..n), so that each thread's port pool owns its ports and no
 * two pools hand out the same one. The last slice takes the remainder.
 */
export function portSlices(range: readonly [number, number], threads: number): Array<[number, number]> {
  const size = range[1] - range[0] + 1;
  const each = Math.floor(size / (threads + 1));
  const slices: Array<[number, number]> = [];
  for (let i = 0; i <= threads; i++) {
    const min = range[0] + i * each;
    slices.push([min, i === threads ? range[1] : min + each - 1]);
  }
  return slices;
}
