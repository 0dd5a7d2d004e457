import type { CommandOf } from '../../shared/control/commands.js';
import { sfuOptionsSchema, VIDEOROOM_PLUGIN, type SfuCommand } from '../../shared/control/sfu.js';
import { executeCommonPeerOp } from '../commands/common.js';
import { withCandidates, type CommandContext, type CommandEngine, type Outcome } from '../commands/context.js';
import { admitPeer, negotiateNewPeer } from '../commands/create.js';
import { executeRecord, executeRemoteRecord } from '../commands/record.js';
import { syncRemoteRecording } from '../cascade/remoteRecording.js';
import { Codes, RelayError } from '../errors.js';
import type { SfuPeer } from './hub.js';
import { SfuPublisher } from './publisher.js';
import { SfuSubscriber } from './subscriber.js';

/**
 * Runs the commands addressed to VideoRoom peers: `peer.create` with the videoroom plugin, the
 * `peer.*` ops on SFU peers, and the `sfu.*` ops. Called by relay/commands/dispatch.ts inside the per-peer
 * serialization, after validation.
 */

type PeerOp =
  | CommandOf<'peer.create'>
  | CommandOf<'peer.offer'>
  | CommandOf<'peer.answer'>
  | CommandOf<'peer.trickle'>
  | CommandOf<'peer.hangup'>
  | CommandOf<'peer.info'>
  | CommandOf<'peer.record'>;
export type SfuRoutedCommand = PeerOp | SfuCommand | { op: string; sessionId: number; handleId: number };

function peerOf(ctx: CommandContext, key: string): SfuPeer {
  const p = ctx.sfu.get(key);
  if (!p) throw new RelayError(Codes.PEER_NOT_FOUND, `No such VideoRoom peer ${key}`);
  return p;
}

function subscriberOf(ctx: CommandContext, key: string, op: string): SfuSubscriber {
  const p = peerOf(ctx, key);
  if (!(p instanceof SfuSubscriber)) throw new RelayError(Codes.WEBRTC_STATE, `${op} is for subscribers`);
  return p;
}

/** Forwarders belong to publishers: another peer is 466 (no such publisher stream). */
function publisherOf(ctx: CommandContext, key: string, op: string): SfuPublisher {
  const p = peerOf(ctx, key);
  if (!(p instanceof SfuPublisher)) throw new RelayError(Codes.INVALID_STREAM, `${op} is for publishers`);
  return p;
}

/** The VideoRoom engine: its peers' `peer.*` ops and the `sfu.*` ops. */
export const sfuCommands: CommandEngine = {
  plugin: VIDEOROOM_PLUGIN,
  opPrefix: 'sfu.',
  execute: executeSfuCommand,
};

async function executeSfuCommand(ctx: CommandContext, key: string, cmd: SfuRoutedCommand): Promise<Outcome> {
  const c = cmd as PeerOp | SfuCommand;
  switch (c.op) {
    case 'peer.create':
      return create(ctx, key, c);
    case 'peer.offer': {
      const p = peerOf(ctx, key);
      if (p instanceof SfuSubscriber) {
        // a subscriber's streams stay as they were: only its answer comes back
        const { sdp } = await p.acceptOffer(c.sdp);
        return withCandidates(ctx, c, p.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
      }
      const { sdp, streams } = await p.acceptOffer(c.sdp);
      return withCandidates(ctx, c, p.takeLocalCandidates(), { answer: { type: 'answer', sdp }, streams });
    }
    case 'peer.answer': {
      const p = peerOf(ctx, key);
      if (!(p instanceof SfuSubscriber))
        throw new RelayError(Codes.UNEXPECTED_ANSWER, 'Publishers send offers, not answers');
      await p.acceptAnswer(c.sdp);
      return { result: {} };
    }
    case 'peer.trickle':
    case 'peer.hangup':
    case 'peer.info':
      return executeCommonPeerOp(ctx, peerOf(ctx, key), c);
    case 'peer.record': {
      const remote = ctx.sfu.remote(key);
      if (remote) return executeRemoteRecord(ctx, remote, c);
      // Janus records publishers' streams; a subscriber has nothing of its own to record
      return executeRecord(ctx, publisherOf(ctx, key, c.op), c);
    }
    case 'sfu.update': {
      const s = subscriberOf(ctx, key, c.op);
      const { sdp, streams } = await s.update(c.add, c.remove);
      return withCandidates(ctx, c, s.takeLocalCandidates(), { offer: { type: 'offer', sdp }, streams });
    }
    case 'sfu.switch':
      subscriberOf(ctx, key, c.op).switchStreams(c.changes);
      return { result: {} };
    case 'sfu.configure': {
      const p = peerOf(ctx, key);
      if (p instanceof SfuPublisher) {
        if (c.restart) throw new RelayError(Codes.WEBRTC_STATE, 'Publishers restart ICE with a new offer');
        p.configure({ bitrate: c.bitrate, keyframe: c.keyframe, streams: c.streams, talking: c.talking });
        return { result: {} };
      }
      if (c.streams) p.configure(c.streams);
      if (c.restart) {
        const { sdp } = await p.restart();
        return withCandidates(ctx, c, p.takeLocalCandidates(), { offer: { type: 'offer', sdp } });
      }
      return { result: {} };
    }
    case 'sfu.pause':
      subscriberOf(ctx, key, c.op).setPaused(true);
      return { result: {} };
    case 'sfu.resume':
      subscriberOf(ctx, key, c.op).setPaused(false);
      return { result: {} };
    case 'sfu.forward': {
      // a remote publisher forwards like a local one (rtp_forward of a remote publisher, chained cascades)
      const remote = ctx.sfu.forwardable(key);
      if (remote) return { result: { forwarders: await remote.forwarders.add(c.streams, c.srtp) } };
      return { result: { forwarders: await publisherOf(ctx, key, c.op).forward(c.streams, c.srtp) } };
    }
    case 'sfu.stopForward': {
      const remote = ctx.sfu.forwardable(key);
      if (remote) {
        if (!remote.forwarders.remove(c.id))
          throw new RelayError(Codes.INVALID_STREAM, `No such RTP forwarder ${c.id}`);
      } else publisherOf(ctx, key, c.op).stopForward(c.id);
      return { result: {} };
    }
    case 'sfu.moderate':
      publisherOf(ctx, key, c.op).moderate(c.mid, c.mute);
      return { result: {} };
    case 'sfu.remoteAdd':
      if (ctx.isDraining()) throw new RelayError(Codes.NOT_ACCEPTING, 'Relay is draining');
      return { result: await ctx.sfu.addRemote(key, c.streams, { port: c.port, rtcp_port: c.rtcp_port }, c.srtp) };
    case 'sfu.remoteUpdate': {
      const r = ctx.sfu.remote(key);
      if (!r) throw new RelayError(Codes.PEER_NOT_FOUND, `No such remote publisher ${key}`);
      r.setSrtp(c.srtp);
      const streams = r.update(c.streams);
      await syncRemoteRecording(r);
      return { result: { streams } };
    }
    case 'sfu.remoteRemove':
      if (!ctx.sfu.removeRemote(key)) throw new RelayError(Codes.PEER_NOT_FOUND, `No such remote publisher ${key}`);
      return { result: {} };
    default:
      throw new RelayError(Codes.WEBRTC_STATE, `${(cmd as { op: string }).op} is not supported on a VideoRoom peer`);
  }
}

async function create(ctx: CommandContext, key: string, cmd: CommandOf<'peer.create'>): Promise<Outcome> {
  admitPeer(ctx, key);
  const role = (cmd.options as { role?: unknown }).role;
  if (role === undefined) throw new RelayError(456, 'Missing mandatory element (options.role)');
  const parsed = sfuOptionsSchema.safeParse(cmd.options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const missing = issue.code === 'invalid_type' && issue.message.includes('undefined');
    const where = issue.path.length ? ` (options.${issue.path.join('.')})` : ' (options.role)';
    throw new RelayError(
      missing ? 456 : 467,
      `${missing ? 'Missing mandatory element' : 'Invalid element type'}${where}`,
    );
  }
  const options = parsed.data;
  if (options.role === 'publisher' && !cmd.offer)
    throw new RelayError(456, 'Missing mandatory element (offer): publishers send an offer');
  const peer = ctx.sfu.create(cmd.sessionId, cmd.handleId, options);
  return negotiateNewPeer(ctx, peer, async () => {
    if (peer instanceof SfuPublisher) {
      const { sdp, streams } = await peer.acceptOffer(cmd.offer!.sdp);
      return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { answer: { type: 'answer', sdp }, streams });
    }
    const requests = options.role === 'subscriber' ? options.streams : [];
    if (cmd.offer) {
      // A subscriber that offers (WHEP): answered, its feeds on the m-lines it offered.
      const { sdp, streams } = await peer.answerOffer(requests, cmd.offer.sdp);
      return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { answer: { type: 'answer', sdp }, streams });
    }
    const { sdp, streams } = await peer.start(requests);
    return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { offer: { type: 'offer', sdp }, streams });
  });
}
