import type { CommandOf } from '../../shared/control/commands.js';
import { Codes, RelayError } from '../errors.js';
import type { PeerBase } from '../peer/base.js';
import { recordingDir } from '../recording/recordingDir.js';
import type { CommandContext, Outcome } from './context.js';

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
  });
  return { result: { files } };
}

/** Like Janus's own names (`echotest-…-<µs>`, `videoroom-…-<µs>`) when the edge names none. */
function defaultBase(peer: PeerBase): string {
  const plugin = peer.plugin.split('.').pop() ?? 'peer';
  return `${plugin}-${peer.sessionId}-${peer.handleId}-${Date.now() * 1000}`;
}
