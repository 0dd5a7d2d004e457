import type { CommandOf } from '../../shared/control/commands.js';
import { Codes, RelayError } from '../errors.js';
import type { PeerBase } from '../peer/base.js';
import { recordingDir } from '../recording/recordingDir.js';
import type { CommandContext, Outcome } from './context.js';
import type { RemotePublisher } from '../cascade/remotePublisher.js';
import { startRemoteRecording, stopRemoteRecording } from '../cascade/remoteRecording.js';

/**
 * `peer.record` on a peer whose plugin records (VideoRoom publishers, EchoTest): starts recording in
 * `dir` (default RELAY_RECORDINGS_DIR, refused outside RELAY_RECORDINGS_ROOT) under `base`, or stops.
 * Starting again while recording changes nothing and lists the files in progress; a stop answers
 * after every file is closed and reported.
 */
export async function executeRecord(
  ctx: CommandContext,
  peer: PeerBase,
  cmd: CommandOf<'peer.record'>,
): Promise<Outcome> {
  if (peer.closed) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
  if (!cmd.record) {
    await peer.stopRecording();
    return { result: { files: [] } };
  }
  const current = peer.recordingFiles();
  if (current) return { result: { files: current } };
  const dir = await recordingDir(cmd.dir, ctx.recordings);
  const base = cmd.base ?? defaultBase(peer);
  const files = await peer.startRecording({
    dir,
    base,
    naming: cmd.naming,
    queueLimitBytes: ctx.recordings.queueLimitBytes,
    ...(cmd.report ? { report: cmd.report } : {}),
    ...(ctx.recordings.hook ? { hook: ctx.recordings.hook } : {}),
  });
  return { result: { files } };
}

/**
 * `peer.record` on a remote publisher (its key is the edge's synthetic one): the same rules, its
 * audio and video streams recorded where its RTP arrives.
 */
export async function executeRemoteRecord(
  ctx: CommandContext,
  remote: RemotePublisher,
  cmd: CommandOf<'peer.record'>,
): Promise<Outcome> {
  if (remote.closed) throw new RelayError(Codes.PEER_NOT_FOUND, `No such remote publisher ${remote.key}`);
  if (!cmd.record) {
    await stopRemoteRecording(remote);
    return { result: { files: [] } };
  }
  const dir = await recordingDir(cmd.dir, ctx.recordings);
  const files = await startRemoteRecording(
    remote,
    {
      dir,
      base: cmd.base ?? `videoroom-remote-${remote.key.replace(':', '-')}-${Date.now() * 1000}`,
      naming: cmd.naming,
      queueLimitBytes: ctx.recordings.queueLimitBytes,
      ...(cmd.report ? { report: cmd.report } : {}),
      ...(ctx.recordings.hook ? { hook: ctx.recordings.hook } : {}),
    },
    ctx.sfu.emitter(),
    ctx.logger,
  );
  return { result: { files } };
}

/** Like Janus's own names (`echotest-…-<µs>`, `videoroom-…-<µs>`) when the edge names none. */
function defaultBase(peer: PeerBase): string {
  const plugin = peer.plugin.split('.').pop() ?? 'peer';
  return `${plugin}-${peer.sessionId}-${peer.handleId}-${Date.now() * 1000}`;
}
