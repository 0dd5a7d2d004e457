/** Streaming error codes (janus_streaming.c, 1.1.2). Errors travel as `{streaming:"event", error_code, error}`. */
export const StreamingError = {
  NO_MESSAGE: 450,
  INVALID_JSON: 451,
  INVALID_REQUEST: 452,
  MISSING_ELEMENT: 453,
  INVALID_ELEMENT: 454,
  NO_SUCH_MOUNTPOINT: 455,
  CANT_CREATE: 456,
  UNAUTHORIZED: 457,
  CANT_SWITCH: 458,
  CANT_RECORD: 459,
  INVALID_STATE: 460,
  UNKNOWN_ERROR: 470,
} as const;

export class StreamingException extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const stError = (code: number, message: string) => new StreamingException(code, message);

/** Validation errors of Streaming requests: 453 for a missing field, 454 for a wrong one. */
export const ST = { missing: StreamingError.MISSING_ELEMENT, invalid: StreamingError.INVALID_ELEMENT };

export const noSuchMountpoint = (id: unknown) =>
  stError(StreamingError.NO_SUCH_MOUNTPOINT, `No such mountpoint/stream ${String(id)}`);

/** An error as Janus's Streaming plugin reports it (470 when it carries no code). */
export function errorEvent(err: unknown): { streaming: 'event'; error_code: number; error: string } {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
  return {
    streaming: 'event',
    error_code: code ?? StreamingError.UNKNOWN_ERROR,
    error: err instanceof Error ? err.message : String(err),
  };
}
