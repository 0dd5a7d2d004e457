import type { CommandOf } from '../../shared/control/commands.js';
import type { RecordingFile } from '../../shared/control/recording.js';
import type { CommandContext } from '../commands/context.js';
import { Codes, RelayError } from '../errors.js';
import { recordingDir } from '../recording/recordingDir.js';

/**
 * `streaming.record`: stops the named streams' files, then starts the requested ones, each in its
 * directory (default RELAY_RECORDINGS_DIR, refused outside RELAY_RECORDINGS_ROOT, created if missing).
 * Answers with the files being written.
 */
export async function recordMountpoint(
  ctx: CommandContext,
  key: string,
  c: CommandOf<'streaming.record'>,
): Promise<RecordingFile[]> {
  const mount = ctx.streaming.get(key);
  if (!mount) throw new RelayError(Codes.PEER_NOT_FOUND, `No such mountpoint ${key}`);
  if (c.stop) await mount.recordings.stop(c.stop.length > 0 ? c.stop : undefined);
  if (c.start?.length) {
    const targets = [];
    for (const t of c.start) targets.push({ mid: t.mid, base: t.base, dir: await recordingDir(t.dir, ctx.recordings) });
    const [sessionId, handleId] = key.split(':').map(Number) as [number, number];
    const emit = ctx.sfu.emitter();
    await mount.recordings.start(targets, {
      queueLimitBytes: ctx.recordings.queueLimitBytes,
      ...(ctx.recordings.hook ? { hook: ctx.recordings.hook } : {}),
      ...(c.report ? { report: c.report } : {}),
      emit: (event) => emit(sessionId, handleId, event),
    });
  }
  return mount.recordings.list();
}
