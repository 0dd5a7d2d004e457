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
  const request = body.request;
  if (request === undefined)
    throw new RecordPlayFailure(RecordPlayError.MISSING_ELEMENT, 'Missing mandatory element (request)');
  if (typeof request !== 'string')
    throw new RecordPlayFailure(RecordPlayError.INVALID_ELEMENT, 'Invalid element type (request should be a string)');
  const name = request.toLowerCase();
  if ((syncRequests as readonly string[]).includes(name) || (asyncRequests as readonly string[]).includes(name))
    return name as RecordPlayRequest;
  throw new RecordPlayFailure(RecordPlayError.INVALID_REQUEST, `Unknown request '${request}'`);
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
