import type { RateLimit } from './clientLimits.js';
import { limitError, TokenBuckets, type ClientLimits } from './clientLimits.js';
import type { ShardHost } from './host.js';
import { shardOf } from './ids.js';
import type { Handle, Session, Source } from './session.js';

/** The PeerConnections (open, or being opened) of a session. */
function peersOf(s: Session): number {
  let n = 0;
  for (const h of s.handles.values()) if (h.hasPeer || h.opening) n++;
  return n;
}

/** The PeerConnections the sessions of one client address hold in this shard (the registry is the truth). */
export function peersOfAddress(sessions: Iterable<Session>, address: string): number {
  let n = 0;
  for (const s of sessions) if (s.source.address === address && !s.ending) n += peersOf(s);
  return n;
}

const perSecond = (r: RateLimit) => `at most ${r.perSecond}/s`;

/**
 * The shard's side of the client limits: a session's offers (token bucket) and PeerConnections are
 * checked here; the address's, which span shards, by one call to the core coordinator. Each refusal
 * comes before anything changed. Buckets live in memory: they refill within seconds (see TokenBuckets).
 */
export class PeerAdmission {
  private readonly sessionOffers: TokenBuckets<number>;

  constructor(
    private readonly host: ShardHost,
    private readonly limits: ClientLimits,
    private readonly shardCount: number,
  ) {
    this.sessionOffers = new TokenBuckets(limits.sessionOffers);
  }

  /** A client's `message` carrying an offer; one that would open a PeerConnection is admitted for it too. */
  async offer(s: Session, h: Handle, origin: Source): Promise<void> {
    const newPeer = !h.hasPeer && !h.opening;
    if (newPeer) this.checkSession(s, h);
    if (!this.sessionOffers.take(s.id, this.host.clock.now()))
      throw limitError(`Too many offers from this session (${perSecond(this.limits.sessionOffers)})`);
    const address = origin.address ?? s.source.address;
    const peer = newPeer && this.limits.peersPerAddress > 0 && address === s.source.address;
    if (!address || (this.limits.addressOffers.perSecond <= 0 && !peer)) return;
    const refused = await this.host.core().admit({ address, shard: shardOf(s.id, this.shardCount), offer: true, peer });
    if (refused) throw limitError(refused);
    if (peer) h.admitted = true;
  }

  /** A PeerConnection about to open (also those no client offer asked for, as VideoRoom subscribers). */
  async peer(s: Session, h: Handle): Promise<void> {
    this.checkSession(s, h);
    if (h.admitted) {
      h.admitted = false;
      return;
    }
    const address = s.source.address;
    if (!address || this.limits.peersPerAddress <= 0) return;
    const refused = await this.host
      .core()
      .admit({ address, shard: shardOf(s.id, this.shardCount), offer: false, peer: true });
    if (refused) throw limitError(refused);
  }

  /** The handle's new PeerConnection would be one too many for its session. */
  private checkSession(s: Session, h: Handle): void {
    const max = this.limits.peersPerSession;
    if (max <= 0 || h.hasPeer) return;
    const others = peersOf(s) - (h.opening ? 1 : 0);
    if (others >= max) throw limitError(`Too many PeerConnections in this session (at most ${max})`);
  }
}
