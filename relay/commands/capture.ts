import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import type { CommandOf } from '../../shared/control/commands.js';
import { Codes, RelayError } from '../errors.js';
import { inside, recordingDir } from '../recording/recordingDir.js';
import type { CommandContext, Outcome } from './context.js';

/**
 * `peer.capture` (Janus's `start_pcap` / `start_text2pcap` / `stop_*`) on any peer of this relay or
 * one of its threads: the capture lives in the peer (relay/capture/peerCapture.ts). As Janus, a file
 * that cannot be opened (a folder that cannot be made, one outside RELAY_RECORDINGS_ROOT, a name that
 * leaves its folder) answers only "Error starting pcap dump"; the reason is logged.
 */
export async function executeCapture(
  ctx: CommandContext,
  key: string,
  cmd: CommandOf<'peer.capture'>,
): Promise<Outcome> {
  const peer = ctx.peers.get(key);
  if (!peer) throw new RelayError(Codes.PEER_NOT_FOUND, `No such peer ${key}`);
  if (!cmd.capture) {
    if (!(await peer.capture.stop())) throw new RelayError(Codes.UNKNOWN, 'Capture not started');
    return { result: {} };
  }
  if (peer.closed) throw new RelayError(Codes.WEBRTC_STATE, 'PeerConnection is closing');
  peer.capture.refuseIfRunning(cmd.text);
  const refused = (err: unknown, path?: string) => {
    ctx.logger.warn('cannot start a packet capture', { peer: key, path, error: (err as Error).message });
    return new RelayError(Codes.UNKNOWN, `Error starting ${cmd.text ? 'text2pcap' : 'pcap'} dump`);
  };
  let path: string;
  try {
    path = await capturePath(ctx, cmd);
  } catch (err) {
    throw refused(err);
  }
  try {
    const file = await peer.capture.start({
      path,
      text: cmd.text,
      truncate: cmd.truncate,
      sessionId: peer.sessionId,
      handleId: peer.handleId,
      queueLimitBytes: ctx.recordings.queueLimitBytes,
      log: ctx.logger,
    });
    return { result: { file } };
  } catch (err) {
    throw err instanceof RelayError ? err : refused(err, path);
  }
}

async function capturePath(ctx: CommandContext, cmd: CommandOf<'peer.capture'>): Promise<string> {
  const dir = await recordingDir(cmd.folder, ctx.recordings);
  const name = cmd.filename ?? `janus-text2pcap-${randomInt(0, 2 ** 32 - 1)}.${cmd.text ? 'txt' : 'pcap'}`;
  const path = resolve(dir, name);
  if (path === dir || !inside(path, dir)) throw new Error(`${name} is not a file in ${dir}`);
  return path;
}
