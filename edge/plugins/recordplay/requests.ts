import { recordAudioCodecs, recordVideoCodecs } from '../../../shared/control/playback.js';
import { readRequestName } from '../requestName.js';
import { RecordPlayError, RecordPlayFailure } from './errors.js';

/**
 * Record&Play's request checks, with Janus's wording: the request name (case-insensitive, as Janus
 * compares it) and the elements each request reads.
 */

export const syncRequests = ['list', 'update', 'configure'] as const;
export const asyncRequests = ['play', 'start', 'stop', 'record', 'pause', 'resume'] as const;
export type RecordPlayRequest = (typeof syncRequests)[number] | (typeof asyncRequests)[number];

/** The request's name, or the plugin error for a missing, mistyped or unknown one. */
export function requestName(body: Record<string, unknown>): RecordPlayRequest {
  const name = readRequestName(body);
  if (typeof name !== 'string') {
    const code = name.problem === 'missing' ? RecordPlayError.MISSING_ELEMENT : RecordPlayError.INVALID_ELEMENT;
    throw new RecordPlayFailure(code, name.text);
  }
  if ((syncRequests as readonly string[]).includes(name) || (asyncRequests as readonly string[]).includes(name))
    return name as RecordPlayRequest;
  throw new RecordPlayFailure(RecordPlayError.INVALID_REQUEST, `Unknown request '${String(body.request)}'`);
}

/** `play`'s `id` (a positive integer) and `restart` (a boolean). */
export function playRequest(body: Record<string, unknown>): { id: number; restart: boolean } {
  const { id, restart } = body;
  if (id === undefined) throw new RecordPlayFailure(RecordPlayError.MISSING_ELEMENT, 'Missing mandatory element (id)');
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0)
    throw new RecordPlayFailure(
      RecordPlayError.INVALID_ELEMENT,
      'Invalid element type (id should be a positive integer)',
    );
  if (restart !== undefined && typeof restart !== 'boolean')
    throw new RecordPlayFailure(RecordPlayError.INVALID_ELEMENT, 'Invalid element type (restart should be a boolean)');
  return { id, restart: restart === true };
}

/** What `record` asks for; `id` is undefined when the client lets the plugin pick one. */
export interface RecordParams {
  id: number | undefined;
  name: string;
  filename: string | undefined;
  audiocodec: (typeof recordAudioCodecs)[number] | undefined;
  videocodec: (typeof recordVideoCodecs)[number] | undefined;
}

/** Options of Janus's `record` this gateway does not implement: refused rather than ignored. */
const unsupportedRecordOptions = ['videoprofile', 'opusred', 'textdata'] as const;

function invalid(element: string, should: string): RecordPlayFailure {
  return new RecordPlayFailure(
    RecordPlayError.INVALID_ELEMENT,
    `Invalid element type (${element} should be ${should})`,
  );
}

/** A codec element: a string, one we can record (the relay records what it can negotiate). */
function codecOf<T extends string>(
  body: Record<string, unknown>,
  element: string,
  supported: readonly T[],
): T | undefined {
  const value = body[element];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(element, 'a string');
  const name = value.toLowerCase();
  if (!(supported as readonly string[]).includes(name))
    throw new RecordPlayFailure(
      RecordPlayError.UNKNOWN_ERROR,
      `Recording ${value} is not supported by this gateway (${element} can be ${supported.join(', ')})`,
    );
  return name as T;
}

/** `record`'s elements, checked in Janus's order (name, id, filename, update), then the codecs. */
export function recordRequest(body: Record<string, unknown>): RecordParams {
  const { name, id, filename, update } = body;
  if (name === undefined)
    throw new RecordPlayFailure(RecordPlayError.MISSING_ELEMENT, 'Missing mandatory element (name)');
  if (typeof name !== 'string' || name === '') throw invalid('name', 'a non-empty string');
  if (id !== undefined && (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0))
    throw invalid('id', 'a positive integer');
  if (filename !== undefined && typeof filename !== 'string') throw invalid('filename', 'a string');
  if (update !== undefined && typeof update !== 'boolean') throw invalid('update', 'a boolean');
  // The files go in the Record&Play folder: a name with folders in it would put them elsewhere.
  if (
    typeof filename === 'string' &&
    (filename === '' || filename === '.' || filename === '..' || /[/\\\0]/.test(filename))
  )
    throw new RecordPlayFailure(
      RecordPlayError.INVALID_ELEMENT,
      'Invalid element (filename must be a file name, without folders)',
    );
  for (const option of unsupportedRecordOptions)
    if (body[option] !== undefined)
      throw new RecordPlayFailure(
        RecordPlayError.UNKNOWN_ERROR,
        `Recording with ${option} is not supported by this gateway`,
      );
  return {
    id,
    name,
    filename,
    audiocodec: codecOf(body, 'audiocodec', recordAudioCodecs),
    videocodec: codecOf(body, 'videocodec', recordVideoCodecs),
  };
}
