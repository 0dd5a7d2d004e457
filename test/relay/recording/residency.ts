import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { loadKoffi } from '../../../relay/srtp/libcrypto.js';

/**
 * How many bytes of a file sit in the page cache: `fincore` (util-linux) when installed, else
 * mmap(2) + mincore(2) through koffi; undefined when neither is available.
 */
export function residentBytes(path: string): number | undefined {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path]);
  if (r.error === undefined && r.status === 0) return Number(r.stdout.toString().trim());
  return mincoreBytes(path);
}

export function residencyMeasurable(): boolean {
  return spawnSync('fincore', ['--version']).error === undefined || libc() !== undefined;
}

type Fn = (...args: unknown[]) => unknown;
let cached: { mmap: Fn; munmap: Fn; mincore: Fn } | null | undefined;
function libc() {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  const koffi = loadKoffi();
  if (!koffi || process.platform !== 'linux') return undefined;
  try {
    const lib = koffi.load('libc.so.6');
    cached = {
      mmap: lib.func('mmap', 'uintptr_t', ['uintptr_t', 'size_t', 'int', 'int', 'int', 'int64_t']) as Fn,
      munmap: lib.func('munmap', 'int', ['uintptr_t', 'size_t']) as Fn,
      mincore: lib.func('mincore', 'int', ['uintptr_t', 'size_t', 'uint8_t *']) as Fn,
    };
  } catch {
    cached = null;
  }
  return cached ?? undefined;
}

function mincoreBytes(path: string): number | undefined {
  const c = libc();
  if (!c) return undefined;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const PROT_READ = 1;
    const MAP_SHARED = 1;
    const addr = Number(c.mmap(0, size, PROT_READ, MAP_SHARED, fd, 0));
    if (addr === 0 || addr === -1 || addr >= 2 ** 64 - 4096) return undefined;
    try {
      const page = 4096;
      const vec = Buffer.alloc(Math.ceil(size / page));
      if (c.mincore(addr, size, vec) !== 0) return undefined;
      let pages = 0;
      for (const b of vec) pages += b & 1;
      return pages * page;
    } finally {
      c.munmap(addr, size);
    }
  } finally {
    closeSync(fd);
  }
}
