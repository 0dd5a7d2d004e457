import type { Command, CommandOf } from '../../shared/control/commands.js';
import {
  playOptionsSchema,
  RECORDPLAY_PLUGIN,
  recordOptionsSchema,
  type RecordOptions,
} from '../../shared/control/playback.js';
import { executeCommonPeerOp } from '../commands/common.js';
import { withCandidates, type CommandContext, type CommandEngine, type Outcome } from '../commands/context.js';
import { admitPeer, negotiateNewPeer } from '../commands/create.js';
import { Codes, RelayError } from '../errors.js';
import { findRecording, listRecordings, recordingsFolder } from './library.js';
import { PlaybackError, PlaybackPeer, prepareRecording, unknownPlaybackOp } from './peer.js';
import { isBeingRecorded, RecorderPeer } from './recorder.js';

/** The Record&Play engine: `playback.list`, and the `peer.*` ops of its viewers and recorders. */
export const playbackCommands: CommandEngine = {
  plugin: RECORDPLAY_PLUGIN,
  opPrefix: 'playback.',
  execute: executePlaybackCommand,
};

async function executePlaybackCommand(ctx: CommandContext, key: string, cmd: Command): Promise<Outcome> {
  switch (cmd.op) {
    case 'playback.list':
      return { result: { recordings: await listRecordings(recordingsFolder()) } };
    case 'peer.create':
      return create(ctx, key, cmd);
    case 'peer.answer':
      await viewerOf(ctx, key).acceptAnswer(cmd.sdp);
      return { result: {} };
    case 'peer.trickle':
    case 'peer.hangup':
    case 'peer.info':
      return executeCommonPeerOp(ctx, peerOf(ctx, key), cmd);
  }
  throw unknownPlaybackOp(cmd.op);
}

function peerOf(ctx: CommandContext, key: string): PlaybackPeer | RecorderPeer {
  const p = ctx.peers.get(key);
  if (!(p instanceof PlaybackPeer) && !(p instanceof RecorderPeer))
    throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  return p;
}

function viewerOf(ctx: CommandContext, key: string): PlaybackPeer {
  const p = peerOf(ctx, key);
  if (!(p instanceof PlaybackPeer)) throw unknownPlaybackOp('peer.answer');
  return p;
}

/** Janus's 420: the id names a recording of the folder, or one being recorded here. */
async function assertNewRecording(folder: string, id: number): Promise<void> {
  const listed = await findRecording(folder, id);
  // checked after the folder read, with nothing awaited until the recorder is added (it claims the id)
  if (listed || isBeingRecorded(id))
    throw new RelayError(PlaybackError.RECORDING_EXISTS, `Recording ${id} already exists`);
}

async function createRecorder(
  ctx: CommandContext,
  key: string,
  cmd: CommandOf<'peer.create'>,
  options: RecordOptions,
): Promise<Outcome> {
  if (!cmd.offer) throw new RelayError(Codes.INVALID_SDP, 'A Record&Play recorder needs the client offer');
  const offer = cmd.offer;
  admitPeer(ctx, key);
  const folder = recordingsFolder();
  await assertNewRecording(folder, options.record.id);
  const peer = ctx.peers.add(
    cmd.sessionId,
    cmd.handleId,
    options.trickle ?? false,
    (deps) => new RecorderPeer(deps, options.record, folder),
  );
  return negotiateNewPeer(ctx, peer, async () => {
    const sdp = await peer.acceptOffer(offer.sdp);
    await peer.openFiles(ctx.recordings);
    return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { answer: { type: 'answer', sdp } });
  });
}

async function create(ctx: CommandContext, key: string, cmd: CommandOf<'peer.create'>): Promise<Outcome> {
  const recorder = recordOptionsSchema.safeParse(cmd.options);
  if (recorder.success) return createRecorder(ctx, key, cmd, recorder.data);
  if (cmd.offer) throw new RelayError(Codes.INVALID_SDP, 'A Record&Play viewer gets the offer, it does not send one');
  const options = playOptionsSchema.safeParse(cmd.options);
  if (!options.success) throw new RelayError(Codes.UNKNOWN, 'Record&Play peers need {recording} or {record}');
  admitPeer(ctx, key);
  const folder = recordingsFolder();
  const rec = await prepareRecording(
    folder,
    await findRecording(folder, options.data.recording),
    options.data.recording,
  );
  let peer: PlaybackPeer;
  try {
    peer = ctx.peers.add(
      cmd.sessionId,
      cmd.handleId,
      options.data.trickle ?? false,
      (deps) =>
        new PlaybackPeer(deps, rec, (p, error) => {
          if (error) ctx.logger.warn('playout failed', { peer: p.key, error: String(error) });
          // The recording is over: the PeerConnection closes, as Janus's playout thread ends with close_pc.
          void ctx.peers.hangup(p, 'Close PC');
        }),
    );
  } catch (err) {
    await Promise.allSettled(rec.tracks.map((t) => t.file.close()));
    throw err;
  }
  return negotiateNewPeer(ctx, peer, async () => {
    const sdp = await peer.makeOffer();
    return withCandidates(ctx, cmd, peer.takeLocalCandidates(), { offer: { type: 'offer', sdp } });
  });
}
