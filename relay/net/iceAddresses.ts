import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Which addresses a relay's host candidates carry. ICE sockets bind to `bindAddress` (and
 * `bindAddress6` when IPv6 is on); the candidates the client sees follow Janus's `nat_1_1_mapping`
 * with `keep_private_host`: a candidate bound to an address of one family is advertised once per
 * announced address of that family (same port), followed by the bound address itself when
 * `keepPrivateHost` is set; a family with no announced address keeps its bound address.
 */
export interface IceAddressing {
  bindAddress: string;
  bindAddress6?: string | undefined;
  /** RELAY_ANNOUNCED_ADDRESS: public addresses, IPv4 and/or IPv6, in the order given. */
  announced: readonly string[];
  keepPrivateHost: boolean;
}

/** The addresses advertised for a host candidate bound to `boundAddress`. */
export function advertisedHosts(
  boundAddress: string,
  ice: Pick<IceAddressing, 'announced' | 'keepPrivateHost'>,
): string[] {
  const family = isIP(boundAddress);
  const sameFamily = ice.announced.filter((a) => isIP(a) === family);
  if (sameFamily.length === 0) return [boundAddress];
  const hosts = ice.keepPrivateHost ? [...sameFamily, boundAddress] : [...sameFamily];
  return [...new Set(hosts)];
}

/** The addresses ICE sockets bind to: IPv4, then IPv6 when enabled. */
export function boundAddresses(ice: Pick<IceAddressing, 'bindAddress' | 'bindAddress6'>): string[] {
  return ice.bindAddress6 ? [ice.bindAddress, ice.bindAddress6] : [ice.bindAddress];
}

/**
 * The host's first IPv6 address that is not loopback or link-local; unique-local ones (fc00::/7)
 * only when `uniqueLocal` (RELAY_IPV6=true asks for them, `auto` wants a global one).
 */
export function hostIpv6Address(uniqueLocal = false): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv6' || a.internal) continue;
      const first = a.address.toLowerCase();
      if (first.startsWith('fe80') || (!uniqueLocal && /^f[cd]/.test(first))) continue;
      return a.address;
    }
  }
  return undefined;
}
