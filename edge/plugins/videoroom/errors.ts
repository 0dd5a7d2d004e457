/** VideoRoom error codes (janus_videoroom.c, §5.8). Errors travel as `{videoroom:"event", error_code, error}`. */
export const VideoRoomError = {
  UNKNOWN_ERROR: 499,
  NO_MESSAGE: 421,
  INVALID_JSON: 422,
  INVALID_REQUEST: 423,
  JOIN_FIRST: 424,
  ALREADY_JOINED: 425,
  NO_SUCH_ROOM: 426,
  ROOM_EXISTS: 427,
  NO_SUCH_FEED: 428,
  MISSING_ELEMENT: 429,
  INVALID_ELEMENT: 430,
  INVALID_SDP_TYPE: 431,
  PUBLISHERS_FULL: 432,
  UNAUTHORIZED: 433,
  ALREADY_PUBLISHED: 434,
  NOT_PUBLISHED: 435,
  ID_EXISTS: 436,
  INVALID_SDP: 437,
  INVALID_FEED: 438,
} as const;

export class VideoRoomException extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const vrError = (code: number, message: string) => new VideoRoomException(code, message);

/** Validation errors of VideoRoom requests: 429 for a missing field, 430 for a wrong one. */
export const VR = { missing: VideoRoomError.MISSING_ELEMENT, invalid: VideoRoomError.INVALID_ELEMENT };

/** A request that needs a joined handle came on one that is not (424). */
export const joinFirst = () => vrError(VideoRoomError.JOIN_FIRST, 'Invalid request on unconfigured participant');

/** The Janus code an error carries (VideoRoom, core or relay), if any. */
export function errorCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number'
    ? err.code
    : undefined;
}

/** An error as Janus's VideoRoom reports it: `{videoroom:"event", error_code, error}` (499 when it has no code). */
export function errorEvent(err: unknown): { videoroom: 'event'; error_code: number; error: string } {
  return {
    videoroom: 'event',
    error_code: errorCode(err) ?? VideoRoomError.UNKNOWN_ERROR,
    error: err instanceof Error ? err.message : String(err),
  };
}

/** Room and participant ids are integers unless the deployment uses string ids (§5.1 string_ids): 430 otherwise. */
export function idTypeProblem(body: Record<string, unknown>, stringIds: boolean): VideoRoomException | undefined {
  const want = stringIds ? 'string' : 'number';
  for (const key of ['room', 'id', 'feed', 'publisher_id'] as const) {
    const v = body[key];
    if (v !== undefined && typeof v !== want)
      return vrError(
        VideoRoomError.INVALID_ELEMENT,
        `Invalid element type (${key} should be ${stringIds ? 'a string' : 'a positive integer'})`,
      );
  }
  return undefined;
}
