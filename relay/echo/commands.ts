import type { Command, CommandOf, PeerOptions } from '../../shared/control/commands.js';
import { executeCommonPeerOp } from '../commands/common.js';
import { withCandidates, type CommandContext, type CommandEngine, type Outcome } from '../commands/context.js';
import { admitPeer, negotiateNewPeer } from '../commands/create.js';
import { executeRecord } from '../commands/record.js';
import { Codes, RelayError } from '../errors.js';
import { ECHOTEST_PLUGIN, EchoSession } from './session.js';

/** The EchoTest engine: its peers' `peer.*` ops and `echo.configure`. */
export const echoCommands: CommandEngine = {
  plugin: ECHOTEST_PLUGIN,
  execute: executeEchoCommand,
};

/** Runs the commands addressed to EchoTest peers (inside the per-peer serialization, after validation). */
async function executeEchoCommand(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> {
  switch (cmd.op) {
    case 'peer.create':
      return create(ctx, key, cmd);
    case 'peer.offer': {
      const s = peerOf(ctx, key);
      const sdp = await s.acceptOffer(cmd.sdp);
      return withCandidates(ctx, cmd, s.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    case 'peer.answer':
      await peerOf(ctx, key).acceptAnswer(cmd.sdp);
      return { result: {} };
    case 'peer.trickle':
    case 'peer.hangup':
    case 'peer.info':
      return executeCommonPeerOp(ctx, peerOf(ctx, key), cmd);
    case 'peer.record':
      return executeRecord(ctx, peerOf(ctx, key), cmd);
    case 'echo.configure': {
      const s = peerOf(ctx, key);
      const { op: _op, sessionId: _s, handleId: _h, ...settings } = cmd;
      return { result: s.configure(settings) };
    }
  }
  throw new RelayError(Codes.WEBRTC_STATE, `${(cmd as { op: string }).op} is not supported on an EchoTest peer`);
}

function peerOf(ctx: CommandContext, key: string): EchoSession {
  const s = ctx.peers.get(key);
  if (!(s instanceof EchoSession)) throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  return s;
}

async function create(ctx: CommandContext, key: string, cmd: CommandOf<'peer.create'>): Promise<Outcome> {
  admitPeer(ctx, key);
  const options = cmd.options as PeerOptions;
  const session = ctx.peers.add(
    cmd.sessionId,
    cmd.handleId,
    options.trickle ?? false,
    (deps) => new EchoSession(deps, options),
  );
  return negotiateNewPeer(ctx, session, async () => {
    if (cmd.offer) {
      const sdp = await session.acceptOffer(cmd.offer.sdp);
      return withCandidates(ctx, cmd, session.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    const sdp = await session.makeOffer();
    return withCandidates(ctx, cmd, session.takeLocalCandidates(), { offer: { type: 'offer', sdp } });
  });
}
