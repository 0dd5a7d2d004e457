import type { Command } from '../../shared/control/commands.js';
import { audioBridgeCommands } from '../audiobridge/commands.js';
import { echoCommands } from '../echo/commands.js';
import { executeCapture } from './capture.js';
import { Codes, RelayError } from '../errors.js';
import { peerKey } from '../peer/table.js';
import { playbackCommands } from '../playback/commands.js';
import { sfuCommands } from '../sfu/commands.js';
import { streamingCommands } from '../streaming/commands.js';
import type { CommandContext, CommandEngine, Outcome } from './context.js';

/** Every media engine of this relay; a new plugin's engine is one more entry. */
const engines: readonly CommandEngine[] = [
  echoCommands,
  sfuCommands,
  playbackCommands,
  audioBridgeCommands,
  streamingCommands,
];

/**
 * Executes one validated edge command (the caller has already checked the welcome): commands for one
 * peer run one after another, each by its engine. An engine's own ops (`sfu.*`) are its; `peer.*` ops
 * go to the engine of the peer's plugin, or for `peer.create` of the plugin named; `peer.capture` is
 * every peer's alike.
 */
export function executeCommand(ctx: CommandContext, cmd: Command): Promise<Outcome> {
  const key = peerKey(cmd.sessionId, cmd.handleId);
  return ctx.peers.serialize(
    key,
    () =>
      ctx.threads?.execute(ctx, key, cmd) ??
      (cmd.op === 'peer.capture' ? executeCapture(ctx, key, cmd) : engineFor(ctx, key, cmd).execute(ctx, key, cmd)),
  );
}

function engineFor(ctx: CommandContext, key: string, cmd: Command): CommandEngine {
  const owner = engines.find((e) => e.opPrefix !== undefined && cmd.op.startsWith(e.opPrefix));
  if (owner) return owner;
  const holder = cmd.op === 'peer.create' ? undefined : engines.find((e) => e.owns?.(ctx, key));
  if (holder) return holder;
  // A remote publisher is no peer, but records (`peer.record`) like one: the VideoRoom engine's.
  const plugin =
    cmd.op === 'peer.create'
      ? cmd.plugin
      : (ctx.peers.get(key)?.plugin ??
        (cmd.op === 'peer.record' && ctx.sfu.remote(key) ? sfuCommands.plugin : undefined));
  const engine = engines.find((e) => e.plugin === plugin);
  if (!engine) throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  return engine;
}
