import { describe, expect, it } from 'vitest';
import { portSlices } from '../../../relay/threads/portSlices.js';

describe('ICE port slices of relay threads', () => {
  it('splits the ICE port range between the main thread and each relay thread, disjoint and whole', () => {
    expect(portSlices([20000, 29999], 0)).toEqual([[20000, 29999]]);
    expect(portSlices([44100, 44399], 2)).toEqual([
      [44100, 44199],
      [44200, 44299],
      [44300, 44399],
    ]);
    expect(portSlices([1000, 1010], 2)).toEqual([
      [1000, 1002],
      [1003, 1005],
      [1006, 1010],
    ]);
  });
});
