import { networkInterfaces } from 'node:os';
import type { RTCPeerConnection } from 'werift';

/**
 * The address werift clients use against the reference Janus. Janus never gathers a loopback
 * candidate, and libnice will not pair its host candidate with a 127.0.0.1 remote, so clients that
 * talk to it bind and announce the host's first non-internal IPv4 address instead (still local
 * delivery in the kernel).
 */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no non-loopback IPv4 address for the clients to use against the reference Janus');
}

/**
 * Moves a werift client's ICE to `addr`. The config covers transports created later (subscribers
 * get theirs from Janus's offer); a publisher's transport already exists from its transceiver, so
 * its ICE agent's options (read when it gathers) are updated too. Call before the client gathers.
 */
export function iceOn(pc: RTCPeerConnection, addr: string): void {
  pc.setConfiguration({ iceInterfaceAddresses: { udp4: addr }, iceAdditionalHostAddresses: [addr] });
  for (const t of pc.iceTransports) {
    const options = (
      t.connection as unknown as { options: { interfaceAddresses?: unknown; additionalHostAddresses?: string[] } }
    ).options;
    options.interfaceAddresses = { udp4: addr };
    options.additionalHostAddresses = [addr];
  }
}
