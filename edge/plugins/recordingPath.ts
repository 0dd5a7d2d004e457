/**
 * Where a recording goes, checked on the edge before a relay is asked (shared/control/recording.ts):
 * a directory on the relay host (absolute; none means the relay's `RELAY_RECORDINGS_DIR`) and a base
 * file name the relay completes with `-<kind>[-<mindex>].mjr`. Janus takes any string and fails to
 * open the file later, with only a log line; here a path that cannot work is refused up front.
 */
export interface RecordingTarget {
  dir?: string;
  base: string;
}

/** The longest base name the relay takes (shared/control/recording.ts). */
export const MAX_BASE_LENGTH = 200;

/** Why `dir` cannot hold recordings (relative, `.`/`..` parts, outside `root`), or undefined when it can. */
export function recordingDirProblem(dir: string, root?: string): string | undefined {
  if (!dir.startsWith('/')) return 'not an absolute path';
  if (dir.length > 1024) return 'too long';
  if (/[\\\0]/.test(dir)) return 'invalid characters';
  if (dir.split('/').some((part) => part === '.' || part === '..')) return 'no . or .. parts';
  if (root !== undefined && !isWithin(dir, root)) return `outside the recordings root ${root}`;
  return undefined;
}

/**
 * A client's `filename` as Janus's recorder reads it: a plain name goes to `dir`; a path (only with
 * no directory configured, as Janus then writes into the path's own folder) must be absolute. Returns
 * the target, or why the filename cannot be used.
 */
export function filenameTarget(filename: string, dir: string | undefined, root?: string): RecordingTarget | string {
  const slash = filename.lastIndexOf('/');
  const base = filename.slice(slash + 1);
  const problem = baseProblem(base);
  if (problem) return problem;
  if (slash < 0) return { ...(dir ? { dir } : {}), base };
  // Janus warns "Unsupported combination of dir and filename" and writes into a folder it may not have.
  if (dir) return 'a file name, not a path, in a room with rec_dir';
  if (!filename.startsWith('/')) return 'a file name or an absolute path';
  const parent = filename.slice(0, slash) || '/';
  const dirProblem = recordingDirProblem(parent, root);
  return dirProblem ?? { dir: parent, base };
}

/** A base name built from ids (string ids may hold anything): separators replaced, bounded as the relay wants. */
export function safeBase(name: string): string {
  return name.replace(/[/\\\0]/g, '_').slice(0, MAX_BASE_LENGTH);
}

/** Janus's `janus_get_real_time()` (µs since the epoch), which its default recording names carry. */
export const realTimeMicros = (nowMs: number) => Math.round(nowMs * 1000);

function baseProblem(base: string): string | undefined {
  if (base === '' || base === '.' || base === '..') return 'no file name';
  if (base.length > MAX_BASE_LENGTH) return `file name longer than ${MAX_BASE_LENGTH} characters`;
  if (/[\\\0]/.test(base)) return 'invalid characters';
  return undefined;
}

function isWithin(dir: string, root: string): boolean {
  const r = root.endsWith('/') && root.length > 1 ? root.slice(0, -1) : root;
  const d = dir.endsWith('/') && dir.length > 1 ? dir.slice(0, -1) : dir;
  return r === '/' || d === r || d.startsWith(`${r}/`);
}
