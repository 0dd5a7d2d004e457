import { abPeerOptionsSchema, AUDIOBRIDGE_PLUGIN } from '../../shared/control/audiobridge.js';
import type { Command, CommandOf } from '../../shared/control/commands.js';
import { executeCommonPeerOp } from '../commands/common.js';
import { withCandidates, type CommandContext, type CommandEngine, type Outcome } from '../commands/context.js';
import { admitPeer, negotiateNewPeer } from '../commands/create.js';
import { executeRecord } from '../commands/record.js';
import { Codes, RelayError } from '../errors.js';
import { BridgePeer } from './bridgePeer.js';
import { AbPeer } from './peer.js';
import type { Participant } from './participant.js';
import { executeRoomOp, ROOM_OPS, type RoomOp } from './roomCommands.js';
import { RtpParticipant } from './rtpParticipant.js';

/**
 * The AudioBridge engine: its WebRTC participants' `peer.*` ops, plain-RTP participants
 * (`ab.rtpJoin`, ended by `peer.hangup`), `ab.configure` / `ab.resetDecoder` / `ab.move` on
 * either kind, and the rooms' own ops (recording, forwarders, files: ./roomCommands.ts). Every op changes the registry and returns; the mixers' ticks do the media work.
 */
export const audioBridgeCommands: CommandEngine = {
  plugin: AUDIOBRIDGE_PLUGIN,
  opPrefix: 'ab.',
  owns: (ctx, key) => ctx.audiobridge.rtpParticipant(key) !== undefined,
  execute: executeAbCommand,
};

async function executeAbCommand(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> {
  if (ROOM_OPS.has(cmd.op)) return executeRoomOp(ctx, cmd as RoomOp);
  switch (cmd.op) {
    case 'peer.create':
      return create(ctx, key, cmd);
    case 'peer.answer':
      await peerOf(ctx, key).acceptAnswer(cmd.sdp);
      return { result: {} };
    case 'peer.offer': {
      // Renegotiation (ICE restart, re-publish): the participant stays in its mixer
      const peer = peerOf(ctx, key);
      const sdp = await peer.acceptOffer(cmd.sdp);
      return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    case 'peer.hangup': {
      const rtp = ctx.audiobridge.rtpParticipant(key);
      if (rtp) {
        await rtp.close();
        return { result: {} };
      }
      return executeCommonPeerOp(ctx, peerOf(ctx, key), cmd);
    }
    case 'peer.info': {
      const rtp = ctx.audiobridge.rtpParticipant(key);
      if (rtp) return { result: { ...rtp.info(), audiobridge: participantInfo(ctx, rtp.participant) } };
      const peer = peerOf(ctx, key);
      const bridge = peer instanceof BridgePeer ? { bridge: peer.bridgeInfo() } : {};
      return { result: { ...peer.info(), audiobridge: { ...participantInfo(ctx, peer.participant), ...bridge } } };
    }
    case 'peer.trickle':
      return executeCommonPeerOp(ctx, peerOf(ctx, key), cmd);
    case 'peer.record':
      // Janus's mjrs: what a WebRTC participant sends, to a .mjr
      if (ctx.audiobridge.rtpParticipant(key))
        throw new RelayError(Codes.WEBRTC_STATE, 'Plain-RTP AudioBridge participants are not recorded');
      return executeRecord(ctx, peerOf(ctx, key), cmd);
    case 'ab.configure': {
      const p = participantOf(ctx, key);
      p.apply(cmd.settings, ctx.audiobridge.mixerOf(p)?.channels);
      return { result: {} };
    }
    case 'ab.resetDecoder':
      participantOf(ctx, key).resetDecoder();
      return { result: {} };
    case 'ab.move':
      ctx.audiobridge.move(participantOf(ctx, key), cmd.mixer, cmd.mixerSettings, cmd.participant, cmd.settings);
      return { result: {} };
    case 'ab.rtpJoin':
      return rtpJoin(ctx, key, cmd);
    case 'ab.bridgeTo': {
      const peer = peerOf(ctx, key);
      if (!(peer instanceof BridgePeer)) throw new RelayError(Codes.WEBRTC_STATE, `Peer ${key} is no bridge`);
      peer.retarget(cmd.target);
      return { result: {} };
    }
  }
  throw new RelayError(Codes.WEBRTC_STATE, `${cmd.op} is not supported on an AudioBridge participant`);
}

function peerOf(ctx: CommandContext, key: string): AbPeer {
  const p = ctx.peers.get(key);
  if (!(p instanceof AbPeer)) throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  return p;
}

function participantOf(ctx: CommandContext, key: string): Participant {
  const p = ctx.audiobridge.participant(key);
  if (!p) throw new RelayError(Codes.PEER_NOT_FOUND, `No such AudioBridge participant ${key}`);
  return p;
}

function participantInfo(ctx: CommandContext, p: Participant): Record<string, unknown> {
  const mixer = ctx.audiobridge.mixerOf(p);
  return {
    mixer: mixer?.key ?? null,
    participant: p.id,
    codec: p.codec,
    settings: { ...p.settings },
    prebuffering: p.jitter.prebuffering,
    queued: p.jitter.length,
    concealed: p.jitter.concealed,
    dropped: p.jitter.dropped,
  };
}

async function create(ctx: CommandContext, key: string, cmd: CommandOf<'peer.create'>): Promise<Outcome> {
  const parsed = abPeerOptionsSchema.safeParse(cmd.options);
  if (!parsed.success)
    throw new RelayError(Codes.UNKNOWN, `Invalid AudioBridge options (${parsed.error.issues[0]?.message})`);
  const options = parsed.data;
  if (ctx.audiobridge.rtpParticipant(key))
    throw new RelayError(Codes.WEBRTC_STATE, `Peer ${key} already is a plain-RTP participant`);
  admitPeer(ctx, key);
  const peer = ctx.peers.add(cmd.sessionId, cmd.handleId, options.trickle ?? false, (deps) =>
    options.bridge
      ? new BridgePeer(deps, ctx.audiobridge, options, options.bridge)
      : new AbPeer(deps, ctx.audiobridge, options),
  );
  return negotiateNewPeer(ctx, peer, async () => {
    if (peer instanceof BridgePeer) await peer.open(ctx.audiobridge);
    peer.join();
    if (cmd.offer) {
      const sdp = await peer.acceptOffer(cmd.offer.sdp);
      return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
    }
    const sdp = await peer.makeOffer();
    return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { offer: { type: 'offer', sdp } });
  });
}

async function rtpJoin(ctx: CommandContext, key: string, cmd: CommandOf<'ab.rtpJoin'>): Promise<Outcome> {
  if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
  if (ctx.peers.get(key) || ctx.audiobridge.rtpParticipant(key))
    throw new RelayError(Codes.WEBRTC_STATE, `Peer ${key} already is an AudioBridge participant`);
  if (ctx.peers.size + ctx.audiobridge.rtpCount >= ctx.capacity)
    throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is at capacity');
  const r = await RtpParticipant.open(ctx.audiobridge, key, cmd);
  return { result: { ip: ctx.audiobridge.opts.announcedAddress, port: r.port } };
}
