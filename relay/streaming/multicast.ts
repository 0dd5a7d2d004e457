import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { RelayError } from '../errors.js';
import { FORWARD_SOCKET_ERROR } from '../net/sockets.js';

/** Janus's code for an `iface` it cannot use. */
const BAD_IFACE = 456;

/**
 * The address of an `iface` (Janus: an interface name or an address of this host): IPv4 for a media
 * stream's `iface`; with `ipv6` (an RTSP mountpoint's `rtspiface`) an IPv6 address too, and an
 * interface name gives its IPv4 address if it has one, else its first IPv6 one that is not link-local.
 * 456 with `why` when this relay has no such interface or address.
 */
export function ifaceAddress(iface: string, opts: { ipv6?: boolean; why?: string } = {}): string {
  const families = opts.ipv6 ? ['IPv4', 'IPv6'] : ['IPv4'];
  const all = Object.entries(networkInterfaces()).flatMap(([name, addrs]) =>
    (addrs ?? [])
      .filter((a) => families.includes(a.family) && !(a.family === 'IPv6' && a.scopeid !== 0))
      .map((a) => ({ name, address: a.address, family: a.family })),
  );
  const found = isIP(iface)
    ? all.find((a) => a.address === iface)
    : (all.find((a) => a.name === iface && a.family === 'IPv4') ?? all.find((a) => a.name === iface));
  if (!found) throw new RelayError(BAD_IFACE, opts.why ?? 'Invalid network interface configuration for media stream');
  return found.address;
}

/**
 * Joins the multicast `group` on a socket bound to that group's address (so that it receives that
 * group's datagrams only), on the interface of `ifaceAddr` (default: the kernel's choice). 499 when
 * the kernel refuses, as for any mountpoint socket.
 */
export function joinGroup(socket: Socket, group: string, ifaceAddr: string | undefined): void {
  try {
    socket.addMembership(group, ifaceAddr);
  } catch (err) {
    throw new RelayError(FORWARD_SOCKET_ERROR, `Could not join multicast group ${group}: ${(err as Error).message}`);
  }
}
