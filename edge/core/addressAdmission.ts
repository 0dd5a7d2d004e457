import { TokenBuckets, type ClientLimits } from './clientLimits.js';

/** One question to the core coordinator about a client address (one RPC per offer or new PeerConnection). */
export interface AdmitRequest {
  address: string;
  /** The shard whose session asks (its PeerConnections are counted there). */
  shard: number;
  /** Takes a token from the address's offer bucket. */
  offer: boolean;
  /** A PeerConnection is about to open for this address. */
  peer: boolean;
}

/**
 * Per-client-address limits, kept by the core coordinator because one address's sessions spread over
 * every shard. Offers: one token bucket per address. PeerConnections: an estimate per address and
 * shard that is never below the truth (admissions add to it; closes are not reported); before it
 * refuses, it recounts on the shards concerned, whose registries are the truth. So nothing drifts:
 * a closed PeerConnection frees its place at the next recount, which happens exactly when it matters.
 */
export class AddressAdmission {
  private readonly offers: TokenBuckets<string>;
  private readonly peers = new Map<string, Map<number, number>>();

  constructor(
    private readonly limits: ClientLimits,
    /** The PeerConnections (open or opening) the shard's sessions of `address` hold now. */
    private readonly countOn: (shard: number, address: string) => Promise<number>,
  ) {
    this.offers = new TokenBuckets(limits.addressOffers);
  }

  /** Undefined when admitted, else the reason of the refusal (nothing is taken then). */
  async admit(req: AdmitRequest, now: number): Promise<string | undefined> {
    const max = this.limits.peersPerAddress;
    if (req.peer && max > 0 && this.total(req.address) >= max) {
      await this.recount(req.address, req.shard);
      if (this.total(req.address) >= max) return `Too many PeerConnections from this client address (at most ${max})`;
    }
    if (req.offer && !this.offers.take(req.address, now))
      return `Too many offers from this client address (at most ${this.limits.addressOffers.perSecond}/s)`;
    if (req.peer && max > 0) {
      const byShard = this.peers.get(req.address) ?? new Map<number, number>();
      byShard.set(req.shard, (byShard.get(req.shard) ?? 0) + 1);
      this.peers.set(req.address, byShard);
    }
    return undefined;
  }

  private total(address: string): number {
    let n = 0;
    for (const c of this.peers.get(address)?.values() ?? []) n += c;
    return n;
  }

  private async recount(address: string, asking: number): Promise<void> {
    const shards = new Set([...(this.peers.get(address)?.keys() ?? []), asking]);
    const counted = await Promise.all([...shards].map(async (n) => [n, await this.countOn(n, address)] as const));
    const byShard = new Map(counted.filter(([, c]) => c > 0));
    if (byShard.size > 0) this.peers.set(address, byShard);
    else this.peers.delete(address);
  }
}
