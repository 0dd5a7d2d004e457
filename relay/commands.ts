import type { Command, CommandOf, PeerOptions, TrickleCandidate } from '../shared/control/commands.js';
import { VIDEOROOM_PLUGIN } from '../shared/control/sfu.js';
import { Codes, RelayError } from './errors.js';
import type { Logger } from './logger.js';
import type { PortPool } from './net/ports.js';
import { PeerRegistry } from './registry.js';
import { executeSfuCommand, isSfuCommand } from './sfu/commands.js';
import type { SfuHub } from './sfu/hub.js';

/** What a command produced: the reply's `result`, and work to do once the reply is on the wire. */
export interface Outcome {
  result: Record<string, unknown>;
  after?: () => void;
}

export interface CommandContext {
  registry: PeerRegistry;
  ports: PortPool;
  capacity: number;
  logger: Logger;
  isDraining(): boolean;
  emitCandidates(sessionId: number, handleId: number, candidates: TrickleCandidate[]): void;
  /** VideoRoom peers (relay/sfu). */
  sfu?: SfuHub;
}

/** Executes one validated edge command (the caller has already checked the welcome). */
export async function executeCommand(ctx: CommandContext, cmd: Command): Promise<Outcome> {
  const key = PeerRegistry.key(cmd.sessionId, cmd.handleId);
  return ctx.registry.serialize(key, () => run(ctx, key, cmd));
}

function peerOf(ctx: CommandContext, key: string) {
  const s = ctx.registry.get(key);
  if (!s) throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  return s;
}

async function run(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> {
  const sfu = ctx.sfu;
  if (sfu && (isSfuCommand(cmd) || sfu.get(key) || (cmd.op === 'peer.create' && cmd.plugin === VIDEOROOM_PLUGIN))) {
    return executeSfuCommand({ ...ctx, sfu, otherPeers: ctx.registry.size, otherHas: (k) => ctx.registry.get(k) !== undefined }, key, cmd);
  }
  if (isSfuCommand(cmd) || (cmd.op === 'peer.create' && cmd.plugin === VIDEOROOM_PLUGIN)) throw new RelayError(Codes.UNKNOWN, 'VideoRoom is not available on this relay');
  switch (cmd.op) {
    case 'peer.create':
      return create(ctx, key, cmd);
    case 'peer.offer': {
      const s = peerOf(ctx, key);
      const sdp = await s.acceptOffer(cmd.sdp);
      return withCandidates(ctx, cmd, s.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    case 'peer.answer': {
      const s = peerOf(ctx, key);
      await s.acceptAnswer(cmd.sdp);
      return { result: {} };
    }
    case 'peer.trickle': {
      const s = peerOf(ctx, key);
      await s.addCandidate(cmd.candidate);
      return { result: {} };
    }
    case 'peer.hangup': {
      const s = peerOf(ctx, key);
      await ctx.registry.hangup(s, cmd.reason);
      return { result: {} };
    }
    case 'echo.configure': {
      const s = peerOf(ctx, key);
      const { op: _op, sessionId: _s, handleId: _h, ...settings } = cmd;
      return { result: s.configure(settings) };
    }
    case 'peer.info':
      return { result: peerOf(ctx, key).info() };
  }
}

async function create(ctx: CommandContext, key: string, cmd: CommandOf<'peer.create'>): Promise<Outcome> {
  if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
  if (ctx.registry.get(key)) throw new RelayError(Codes.WEBRTC_STATE, `Peer ${key} already has a PeerConnection`);
  if (ctx.registry.size + (ctx.sfu?.size ?? 0) >= ctx.capacity || ctx.ports.available < 1) {
    throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is at capacity');
  }
  const session = ctx.registry.create(cmd.sessionId, cmd.handleId, cmd.options as PeerOptions);
  try {
    if (cmd.offer) {
      const sdp = await session.acceptOffer(cmd.offer.sdp);
      return withCandidates(ctx, cmd, session.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    const sdp = await session.makeOffer();
    return withCandidates(ctx, cmd, session.takeLocalCandidates(), { offer: { type: 'offer', sdp } });
  } catch (err) {
    await ctx.registry.hangup(session, 'Close PC', { notifyEdge: false, notifyClient: false });
    throw err;
  }
}

function withCandidates(ctx: CommandContext, cmd: Command, candidates: TrickleCandidate[] | undefined, result: Record<string, unknown>): Outcome {
  if (!candidates) return { result };
  return { result, after: () => ctx.emitCandidates(cmd.sessionId, cmd.handleId, candidates) };
}
