import type { CommandOf } from '../../shared/control/commands.js';
import type { PeerBase } from '../peer/base.js';
import type { CommandContext, Outcome } from './context.js';

/** The `peer.*` ops every plugin answers the same way. */
export type CommonPeerOp = CommandOf<'peer.trickle'> | CommandOf<'peer.hangup'> | CommandOf<'peer.info'>;

export async function executeCommonPeerOp(ctx: CommandContext, peer: PeerBase, cmd: CommonPeerOp): Promise<Outcome> {
  switch (cmd.op) {
    case 'peer.trickle':
      await peer.addCandidate(cmd.candidate);
      return { result: {} };
    case 'peer.hangup':
      await ctx.peers.hangup(peer, cmd.reason);
      return { result: {} };
    case 'peer.info':
      return { result: peer.info() };
  }
}
