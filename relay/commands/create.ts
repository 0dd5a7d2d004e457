import { Codes, RelayError } from '../errors.js';
import type { PeerBase } from '../peer/base.js';
import type { CommandContext } from './context.js';

/**
 * `peer.create`'s preconditions, the same for every plugin: not draining, no peer yet under the key,
 * room for one more (AudioBridge plain-RTP participants and relay threads' peers count against the
 * capacity as peers). `ports: false`: a relay thread checks its own ICE ports.
 */
export function admitPeer(ctx: CommandContext, key: string, check: { ports: boolean } = { ports: true }): void {
  if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
  if (ctx.peers.get(key) || ctx.threads?.holder(key))
    throw new RelayError(Codes.WEBRTC_STATE, `Peer ${key} already has a PeerConnection`);
  const peers = ctx.peers.size + ctx.audiobridge.rtpCount + (ctx.threads?.size ?? 0);
  if (peers >= ctx.capacity || (check.ports && ctx.ports.available < 1))
    throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is at capacity');
}

/** Runs a new peer's first negotiation; a peer that fails it is closed quietly (the edge gets the error instead). */
export async function negotiateNewPeer<T>(
  ctx: CommandContext,
  peer: PeerBase,
  negotiate: () => Promise<T>,
): Promise<T> {
  try {
    return await negotiate();
  } catch (err) {
    await ctx.peers.hangup(peer, 'Close PC', { notifyEdge: false, notifyClient: false });
    throw err;
  }
}
