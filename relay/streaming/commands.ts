import type { CommandOf } from '../../shared/control/commands.js';
import { STREAMING_PLUGIN } from '../../shared/control/streaming.js';
import type { CommandContext, CommandEngine, Outcome } from '../commands/context.js';
import { Codes, RelayError } from '../errors.js';
import { sfuCommands } from '../sfu/commands.js';
import { recordMountpoint } from './recordCommand.js';
import { createRtspMountpoint } from './rtsp/command.js';

type StreamingOp =
  | CommandOf<'streaming.create'>
  | CommandOf<'streaming.destroy'>
  | CommandOf<'streaming.info'>
  | CommandOf<'streaming.record'>
  | CommandOf<'streaming.rtsp'>;

/**
 * The Streaming engine: mountpoints (`streaming.*`), and viewers, which are SFU subscribers: their
 * `peer.create` is the VideoRoom engine's, and every later op of theirs reaches it through the peer's plugin.
 */
export const streamingCommands: CommandEngine = {
  plugin: STREAMING_PLUGIN,
  opPrefix: 'streaming.',
  execute(ctx, key, cmd) {
    if (cmd.op === 'peer.create') return sfuCommands.execute(ctx, key, cmd);
    return executeMountpointOp(ctx, key, cmd as StreamingOp);
  },
};

async function executeMountpointOp(ctx: CommandContext, key: string, c: StreamingOp): Promise<Outcome> {
  switch (c.op) {
    case 'streaming.create':
      if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
      return { result: await ctx.streaming.create(key, c.media, c.data, c.srtp) };
    case 'streaming.destroy': {
      const closing = ctx.streaming.destroy(key);
      if (!closing) throw new RelayError(Codes.PEER_NOT_FOUND, `No such mountpoint ${key}`);
      await closing;
      return { result: {} };
    }
    case 'streaming.info': {
      const mount = ctx.streaming.get(key);
      if (!mount) throw new RelayError(Codes.PEER_NOT_FOUND, `No such mountpoint ${key}`);
      return { result: { media: mount.info() } };
    }
    case 'streaming.record':
      return { result: { files: await recordMountpoint(ctx, key, c) } };
    case 'streaming.rtsp':
      return { result: await createRtspMountpoint(ctx, key, c) };
    default:
      throw new RelayError(Codes.WEBRTC_STATE, `${(c as { op: string }).op} is not a Streaming op`);
  }
}
