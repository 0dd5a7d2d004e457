/** Record&Play error codes (janus_recordplay.c). */
export const RecordPlayError = {
  NO_MESSAGE: 411,
  INVALID_JSON: 412,
  INVALID_REQUEST: 413,
  INVALID_ELEMENT: 414,
  MISSING_ELEMENT: 415,
  NOT_FOUND: 416,
  INVALID_RECORDING: 417,
  INVALID_STATE: 418,
  INVALID_SDP: 419,
  RECORDING_EXISTS: 420,
  UNKNOWN_ERROR: 499,
} as const;

/** A request refused with the plugin's own error event. */
export class RecordPlayFailure extends Error {
  constructor(
    readonly code: number,
    reason: string,
  ) {
    super(reason);
  }
}

export function errorEvent(code: number, reason: string): Record<string, unknown> {
  return { recordplay: 'event', error_code: code, error: reason };
}
