import type { Command } from '../../shared/control/commands.js';
import { VIDEOROOM_PLUGIN } from '../../shared/control/sfu.js';
import { executeEchoCommand } from '../echo/commands.js';
import { peerKey } from '../peer/table.js';
import { executeSfuCommand, isSfuCommand } from '../sfu/commands.js';
import type { CommandContext, Outcome } from './context.js';

/**
 * Executes one validated edge command (the caller has already checked the welcome): commands for one
 * peer run one after another, each by its plugin's handlers. The plugin is the peer's, or for
 * `peer.create` the one named; `sfu.*` ops are the VideoRoom's.
 */
export function executeCommand(ctx: CommandContext, cmd: Command): Promise<Outcome> {
  const key = peerKey(cmd.sessionId, cmd.handleId);
  return ctx.peers.serialize(key, () => {
    const videoroom =
      isSfuCommand(cmd) ||
      ctx.peers.get(key)?.plugin === VIDEOROOM_PLUGIN ||
      (cmd.op === 'peer.create' && cmd.plugin === VIDEOROOM_PLUGIN);
    return videoroom ? executeSfuCommand(ctx, key, cmd) : executeEchoCommand(ctx, key, cmd);
  });
}
