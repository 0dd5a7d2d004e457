import { JanusApiError } from '../../../shared/janus/errors.js';
import type { RecordingFile } from '../../../shared/control/recording.js';
import { EchoTestError } from './errors.js';
import { filenameTarget, realTimeMicros, type RecordingTarget } from '../recordingPath.js';

/** The files of an echo being recorded, by kind, as Janus's echotest lists them (the file names). */
export type EchoRecording = Partial<Record<RecordingFile['kind'], string>>;

/**
 * Where an EchoTest recording goes: Janus writes `<filename>-<audio|video|data>.mjr`, `filename` a
 * name or a path (its folder), else `echotest-<session pointer>-<µs now>-<kind>.mjr` in its working
 * directory; here the handle id stands in for the pointer and the relay's recordings directory for the
 * working directory. A filename that cannot be used is 413.
 */
export function echoRecordingTarget(filename: string | undefined, handleId: number, nowMs: number): RecordingTarget {
  if (filename === undefined) return { base: `echotest-${handleId}-${realTimeMicros(nowMs)}` };
  const target = filenameTarget(filename, undefined);
  if (typeof target === 'string')
    throw new JanusApiError(EchoTestError.INVALID_ELEMENT, `Invalid element (filename: ${target})`);
  return target;
}

/** The relay's files in progress, as Janus's `recording` object: each kind's file name. */
export function recordingFiles(files: RecordingFile[]): EchoRecording {
  const out: EchoRecording = {};
  for (const f of files) out[f.kind] = f.path.slice(f.path.lastIndexOf('/') + 1);
  return out;
}
