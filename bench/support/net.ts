import { networkInterfaces } from 'node:os';

/**
 * The address werift clients use against the reference Janus. Janus never gathers a loopback
 * candidate, and libnice will not pair its host candidate with a 127.0.0.1 remote, so clients that
 * talk to it bind and announce the host's first non-internal IPv4 address instead (still local
 * delivery in the kernel). Same choice as bench/connect.ts.
 */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address for the clients to use against the reference Janus');
}
