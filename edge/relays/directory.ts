/** A relay as the edge knows it: where it is, how to reach its link object, how busy it is. */
export interface RelayEntry {
  relayId: string;
  region: string;
  address: string;
  capacity: number;
  load: number;
  peers: number;
  /** Durable Object id (hex) of its RelayLink. */
  linkId: string;
  draining?: boolean;
  lastSeen?: number;
  /** The relay process's CPU, as a fraction of one core (its heartbeats); absent: not reported. */
  cpu?: number;
  /** Its PeerConnections offer IPv6 / ICE-TCP candidates (its registration). */
  ipv6?: boolean;
  iceTcp?: boolean;
}

/**
 * CPU (of one core) below which a relay counts as idle: there the peer count decides placement, so a
 * few percent of noise between heartbeats does not steer calls.
 */
export const CPU_FLOOR = 0.25;

/**
 * How busy a relay is for placement: its peers against its capacity, or its CPU when that is higher
 * and above CPU_FLOOR (a relay whose media thread is busy takes fewer, however few peers it holds).
 */
export function placementLoad(r: Pick<RelayEntry, 'peers' | 'capacity' | 'cpu'>): number {
  const cpu = (r.cpu ?? 0) >= CPU_FLOOR ? (r.cpu ?? 0) : 0;
  return Math.max(r.peers / Math.max(1, r.capacity), cpu);
}

/**
 * A link reports its relay at least this often while it lives (more often when the relay's load
 * changes: see HeartbeatForwarding); losing the relay is reported at once (`down`).
 */
export const DIRECTORY_REFRESH_MS = 30_000;
/**
 * Entries not reported for longer than this are not offered for new PeerConnections: a safety net for
 * a link that died without reporting the loss. Two refresh periods, so one late report is not a loss.
 */
export const STALE_MS = 2 * DIRECTORY_REFRESH_MS;

/**
 * The relays currently connected, kept by the core coordinator from their links' register and
 * heartbeat messages. `pick` chooses the least loaded relay ({@link placementLoad}: peers against
 * capacity, or CPU) in the client's region, falling back to the least loaded anywhere when the region
 * has none; draining relays and full ones are never chosen.
 */
export class RelayDirectory {
  private readonly relays = new Map<string, RelayEntry>();

  up(entry: RelayEntry, now = Date.now()): void {
    this.relays.set(entry.relayId, { ...entry, lastSeen: now });
  }

  /**
   * Refreshes a relay; a reconnected relay's new link simply replaces the old one's entry. Answers
   * the entry when it is new to the directory (another link, or a relay it did not know).
   */
  heartbeat(entry: RelayEntry, now = Date.now()): RelayEntry | undefined {
    const known = this.relays.get(entry.relayId);
    const sameLink = known?.linkId === entry.linkId;
    const draining = sameLink ? known.draining : false;
    const updated = { ...entry, draining, lastSeen: now };
    this.relays.set(entry.relayId, updated);
    return sameLink ? undefined : updated;
  }

  /** Answers the entry when this changed it. */
  draining(relayId: string, linkId: string): RelayEntry | undefined {
    const r = this.relays.get(relayId);
    if (!r || r.linkId !== linkId || r.draining) return undefined;
    r.draining = true;
    return r;
  }

  /** Answers whether the relay was known by that link (and is now forgotten). */
  down(relayId: string, linkId: string): boolean {
    return this.relays.get(relayId)?.linkId === linkId && this.relays.delete(relayId);
  }

  list(): RelayEntry[] {
    return [...this.relays.values()];
  }

  pick(region: string | undefined, now = Date.now()): RelayEntry | undefined {
    const live = this.list().filter((r) => !r.draining && (r.lastSeen ?? 0) > now - STALE_MS && r.peers < r.capacity);
    const local = region ? live.filter((r) => r.region === region) : [];
    const pool = local.length > 0 ? local : live;
    let best: RelayEntry | undefined;
    for (const r of pool) if (!best || placementLoad(r) < placementLoad(best)) best = r;
    if (best) best.peers++; // count the placement until the next heartbeat corrects it
    return best;
  }
}
