import { JanusError, defaultReason, type JanusErrorCode } from '../shared/janus/errors.js';

/** A command failure answered as `{ok:false, error:{code, reason}}` with a Janus error code. */
export class RelayError extends Error {
  constructor(
    readonly code: number,
    reason?: string,
  ) {
    super(reason ?? defaultReason[code as JanusErrorCode] ?? 'Unknown error');
  }
}

export const Codes = {
  UNAUTHORIZED: JanusError.UNAUTHORIZED,
  PEER_NOT_FOUND: JanusError.HANDLE_NOT_FOUND,
  INVALID_SDP: JanusError.JSEP_INVALID_SDP,
  INVALID_STREAM: JanusError.TRICKE_INVALID_STREAM,
  UNEXPECTED_ANSWER: JanusError.UNEXPECTED_ANSWER,
  WEBRTC_STATE: JanusError.WEBRTC_STATE,
  NOT_ACCEPTING: JanusError.NOT_ACCEPTING_SESSIONS,
  /** A recording directory outside RELAY_RECORDINGS_ROOT (`peer.record`). */
  RECORDING_DIR: JanusError.UNAUTHORIZED,
  UNKNOWN: JanusError.UNKNOWN,
} as const;
