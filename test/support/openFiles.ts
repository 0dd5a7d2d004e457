import { readdirSync, readlinkSync } from 'node:fs';

/** How many files below `dir` the process `pid` holds open: its /proc fd table, real file descriptors. */
export function openFilesUnder(pid: number, dir: string): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}
