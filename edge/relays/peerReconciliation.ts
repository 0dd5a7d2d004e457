import type { ListedPeer } from '../../shared/control/messages.js';
import { peerDigest } from '../../shared/control/peerDigest.js';

/** The link asks for the relay's list at most this often while the digests differ. */
export const LIST_PEERS_MIN_INTERVAL_MS = 5_000;
/**
 * A relay peer the edge does not know is closed only once it is this old: younger ones may be a
 * `peer.create` whose reply is still on its way (it times out after 10 s).
 */
export const UNKNOWN_PEER_GRACE_MS = 15_000;

export interface PeerDifference {
  /** Keys (`${sessionId}:${handleId}`) the edge tracks but the relay no longer has. */
  lost: string[];
  /** Peers the relay has that the edge does not know, older than the grace period. */
  unknown: ListedPeer[];
}

/**
 * Reconciles the PeerConnections a link tracks with the ones its relay holds. Every heartbeat carries
 * the digest of the relay's peers; two differing digests in a row (one may be a creation or hangup in
 * flight) make the link ask for the list, and the list gives what to hang up on either side.
 */
export class PeerReconciliation {
  private mismatches = 0;
  private lastAskedAt = Number.NEGATIVE_INFINITY;

  /** A heartbeat's digest against the peers the link tracks; true when the link should ask for the list. */
  shouldAsk(relayDigest: string | undefined, known: Iterable<string>, now: number): boolean {
    if (relayDigest === undefined) return false;
    if (relayDigest === peerDigest(known)) {
      this.mismatches = 0;
      return false;
    }
    this.mismatches++;
    if (this.mismatches < 2 || now - this.lastAskedAt < LIST_PEERS_MIN_INTERVAL_MS) return false;
    this.lastAskedAt = now;
    return true;
  }

  /** What differs between the relay's list and the peers the link tracks. */
  difference(listed: readonly ListedPeer[], known: ReadonlySet<string>): PeerDifference {
    const onRelay = new Set(listed.map((p) => `${p.sessionId}:${p.handleId}`));
    return {
      lost: [...known].filter((key) => !onRelay.has(key)),
      unknown: listed.filter((p) => !known.has(`${p.sessionId}:${p.handleId}`) && p.ageMs > UNKNOWN_PEER_GRACE_MS),
    };
  }
}
