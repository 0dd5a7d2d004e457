import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { VideoRoomError } from '../plugins/videoroom/errors.js';

/** An HTTP answer of a WHIP/WHEP route that is not a success: the status and a short text. */
export class HttpProblem extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413 | 415 | 422 | 500 | 503,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The status RFC 9725 §4 asks for, from the Janus error a request met: who may not (401 without a
 * token, 403 with a wrong one), what does not exist (404), what is taken (409), what is not a usable
 * offer (400, 422), and a relay or limit that cannot serve now (503).
 */
export function httpProblemOf(err: unknown, hadToken: boolean): HttpProblem {
  if (err instanceof HttpProblem) return err;
  if (!(err instanceof JanusApiError)) return new HttpProblem(500, 'Internal error');
  const reason = err.message;
  // A room with a pin answers a join without one as a missing element: for WHIP that is no credentials.
  if (err.code === VideoRoomError.MISSING_ELEMENT && /\(pin\)/.test(reason)) return new HttpProblem(401, reason);
  switch (err.code) {
    case JanusError.UNAUTHORIZED:
    case JanusError.UNAUTHORIZED_PLUGIN:
    case VideoRoomError.UNAUTHORIZED:
      return new HttpProblem(hadToken ? 403 : 401, reason);
    case VideoRoomError.NO_SUCH_ROOM:
    case VideoRoomError.NO_SUCH_FEED:
    case JanusError.SESSION_NOT_FOUND:
    case JanusError.HANDLE_NOT_FOUND:
      return new HttpProblem(404, reason);
    case VideoRoomError.PUBLISHERS_FULL:
    case VideoRoomError.ID_EXISTS:
    case VideoRoomError.ALREADY_PUBLISHED:
      return new HttpProblem(409, reason);
    case JanusError.JSEP_INVALID_SDP:
    case JanusError.JSEP_UNKNOWN_TYPE:
    case VideoRoomError.INVALID_SDP:
    case JanusError.TRICKE_INVALID_STREAM:
      return new HttpProblem(400, reason);
    case VideoRoomError.INVALID_SDP_TYPE:
    case VideoRoomError.INVALID_ELEMENT:
    case VideoRoomError.MISSING_ELEMENT:
    case JanusError.WEBRTC_STATE:
      return new HttpProblem(422, reason);
    case JanusError.NOT_ACCEPTING_SESSIONS:
    case JanusError.UNKNOWN:
    case VideoRoomError.UNKNOWN_ERROR:
      return new HttpProblem(503, reason);
    default:
      return new HttpProblem(500, reason);
  }
}
