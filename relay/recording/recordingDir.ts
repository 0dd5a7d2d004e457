import { mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { Codes, RelayError } from '../errors.js';
import type { RecordingHook } from './hook.js';

/** Where recordings go on this relay (RELAY_RECORDINGS_DIR / RELAY_RECORDINGS_ROOT, relay/config.ts). */
export interface RecordingSettings {
  /** The directory used when `peer.record` names none. */
  defaultDir: string;
  /** When set, every recording directory must be inside it. */
  root: string | undefined;
  /** Per file: what may wait to be written (bytes) before packets are dropped. */
  queueLimitBytes: number;
  /** Run for every file that closes complete (`RELAY_RECORDING_HOOK`; set by the relay, not the config). */
  hook?: RecordingHook;
}

/** Whether `dir` is `root` or lies under it (paths already resolved). */
export function inside(dir: string, root: string): boolean {
  const rel = relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The directory of a new recording: `requested` or the default, created if missing (as Janus does),
 * refused outside the root, before and after symbolic links are resolved.
 */
export async function recordingDir(requested: string | undefined, s: RecordingSettings): Promise<string> {
  const dir = resolve(requested ?? s.defaultDir);
  const outside = () =>
    new RelayError(Codes.RECORDING_DIR, `Recording directory ${dir} is outside RELAY_RECORDINGS_ROOT (${s.root})`);
  if (s.root !== undefined && !inside(dir, resolve(s.root))) throw outside();
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  } catch (err) {
    throw new RelayError(Codes.UNKNOWN, `Cannot create recording directory ${dir} (${(err as Error).message})`);
  }
  if (s.root !== undefined) {
    const [realDir, realRoot] = await Promise.all([realpath(dir), realpath(s.root).catch(() => resolve(s.root!))]);
    if (!inside(realDir, realRoot)) throw outside();
  }
  return dir;
}
