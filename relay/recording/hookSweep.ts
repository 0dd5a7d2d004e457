import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { RecordingHook } from './hook.js';

/** A file written this recently may belong to a relay still running beside this one: left alone. */
const QUIET_MS = 10_000;

/**
 * `RELAY_RECORDING_HOOK_SWEEP`: at start nothing of this relay is open, so the `.mjr` files in its
 * recordings directory (and below) are what an earlier run left — a crash, a kill, hooks abandoned at
 * shutdown. Each goes to the hook once (`RECORDING_SWEPT=1`, no duration: it was never closed), as
 * many as the hook's queue has room for; the rest wait for the next start.
 */
export async function sweepLeftRecordings(dir: string, hook: RecordingHook, log: Logger): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (err) {
    log.warn('recording sweep: directory not readable', { dir, error: String(err) });
    return 0;
  }
  let handed = 0;
  let left = 0;
  for (const name of names.filter((n) => n.endsWith('.mjr')).sort()) {
    const path = join(dir, name);
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile() || Date.now() - s.mtimeMs < QUIET_MS) continue;
    if (hook.room <= 0) {
      left++;
      continue;
    }
    hook.fileClosed({ path, bytes: s.size, swept: true });
    handed++;
  }
  if (handed + left > 0) log.info('recording sweep', { dir, handed, leftForNextStart: left });
  return handed;
}
