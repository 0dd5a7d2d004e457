/** AudioBridge error codes (janus_audiobridge.c). Errors travel as `{audiobridge:"event", error_code, error}`. */
export const AudioBridgeError = {
  UNKNOWN_ERROR: 499,
  NO_MESSAGE: 480,
  INVALID_JSON: 481,
  INVALID_REQUEST: 482,
  MISSING_ELEMENT: 483,
  INVALID_ELEMENT: 484,
  NO_SUCH_ROOM: 485,
  ROOM_EXISTS: 486,
  NOT_JOINED: 487,
  LIBOPUS_ERROR: 488,
  UNAUTHORIZED: 489,
  ID_EXISTS: 490,
  ALREADY_JOINED: 491,
  NO_SUCH_USER: 492,
  INVALID_SDP: 493,
  NO_SUCH_GROUP: 494,
} as const;

export class AudioBridgeException extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const abError = (code: number, message: string) => new AudioBridgeException(code, message);

/** Validation errors of AudioBridge requests: 483 for a missing field, 484 for a wrong one. */
export const AB = { missing: AudioBridgeError.MISSING_ELEMENT, invalid: AudioBridgeError.INVALID_ELEMENT };

export type AbErrorEvent = { audiobridge: 'event'; error_code: number; error: string };

/** An error as Janus's AudioBridge reports it (499 when it carries no code). */
export function errorEvent(err: unknown): AbErrorEvent {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
  return {
    audiobridge: 'event',
    error_code: code ?? AudioBridgeError.UNKNOWN_ERROR,
    error: err instanceof Error ? err.message : String(err),
  };
}

/** Room and participant ids are positive integers unless the deployment uses string ids: 484 otherwise. */
export function idTypeProblem(body: Record<string, unknown>, stringIds: boolean): AudioBridgeException | undefined {
  for (const key of ['room', 'id'] as const) {
    const v = body[key];
    if (v === undefined) continue;
    const ok = stringIds ? typeof v === 'string' : typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
    if (!ok)
      return abError(
        AudioBridgeError.INVALID_ELEMENT,
        `Invalid element type (${key} should be ${stringIds ? 'a string' : 'a positive integer'})`,
      );
  }
  return undefined;
}
