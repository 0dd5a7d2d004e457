import { readdirSync, readlinkSync } from 'node:fs';

/** A census of what the process holds, for /health and the resource-symmetry tests. */
export interface ResourceCensus {
  /** libuv UDP handles (`UDPWrap`; older Node versions say `UDPWRAP`). */
  udpHandles: number;
  /** Sockets of any kind among the open file descriptors (Linux /proc/self/fd; -1 elsewhere). */
  socketFds: number;
  /** Active timers (`Timeout`). */
  timers: number;
  heapUsedBytes: number;
}

export function socketFdCount(): number {
  try {
    let n = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // fd closed while we looked
      }
    }
    return n;
  } catch {
    return -1;
  }
}

export function census(): ResourceCensus {
  let udpHandles = 0;
  let timers = 0;
  for (const r of process.getActiveResourcesInfo()) {
    if (r === 'UDPWrap' || r === 'UDPWRAP') udpHandles++;
    else if (r === 'Timeout') timers++;
  }
  return { udpHandles, socketFds: socketFdCount(), timers, heapUsedBytes: process.memoryUsage().heapUsed };
}
