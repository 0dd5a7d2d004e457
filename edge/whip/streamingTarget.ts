import { JanusApiError } from '../../shared/janus/errors.js';
import { StreamingError } from '../plugins/streaming/errors.js';
import { HttpProblem, httpProblemOf } from './httpErrors.js';
import type { MediaTarget } from './targets.js';

const STREAMING = 'janus.plugin.streaming';

/** A mountpoint id from the path (`/whep/streaming/<id>`): a positive integer, as the plugin's ids. */
export function pathMountpointId(part: string): number | undefined {
  if (!/^\d{1,16}$/.test(part)) return undefined;
  const n = Number(part);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The status a Streaming error answers a WHEP player with. The plugin's codes (450–470) overlap the
 * core's (455 is an unknown request there, a missing mountpoint here), so they are read here, where
 * the plugin is known; a code the plugin passed on from the core or a relay keeps the core's meaning.
 */
function streamingProblem(code: number, reason: string, hadToken: boolean): HttpProblem {
  switch (code) {
    case StreamingError.NO_SUCH_MOUNTPOINT:
      return new HttpProblem(404, reason);
    case StreamingError.UNAUTHORIZED:
      return new HttpProblem(hadToken ? 403 : 401, reason);
    case StreamingError.MISSING_ELEMENT:
      // a pinned mountpoint watched without a pin: no credentials
      return /\(pin\)/.test(reason) ? new HttpProblem(401, reason) : new HttpProblem(422, reason);
    case StreamingError.INVALID_ELEMENT:
      // e.g. an offer with no m-line a stream of the mountpoint fits
      return new HttpProblem(422, reason);
    case StreamingError.INVALID_STATE:
      return new HttpProblem(409, reason);
    case StreamingError.UNKNOWN_ERROR:
      return new HttpProblem(503, reason);
    case StreamingError.NO_MESSAGE:
    case StreamingError.INVALID_JSON:
    case StreamingError.INVALID_REQUEST:
    case StreamingError.CANT_CREATE:
    case StreamingError.CANT_SWITCH:
    case StreamingError.CANT_RECORD:
      return new HttpProblem(500, reason);
    default:
      return httpProblemOf(new JanusApiError(code, reason), hadToken);
  }
}

/** WHEP `/whep/streaming/<id>`: a viewer of every stream of that mountpoint, the bearer token as its pin. */
export function streamingMountpoint(id: number): MediaTarget {
  return {
    plugin: STREAMING,
    request: (token) => ({ request: 'watch', id, ...(token !== undefined ? { pin: token } : {}) }),
    pluginProblem: streamingProblem,
  };
}
