import { abError, AudioBridgeError } from './errors.js';
import type { ConfigureRequest, CreateRequest, JoinRequest, SyncRequest } from './schemas.js';

/**
 * What Janus's AudioBridge does that this gateway does not do yet: the requests and options that need
 * media the relays' mixers do not produce (recordings, forwarders of the mix, announcements, groups).
 * They are refused with a clear error and change nothing: never accepted and then ignored.
 */

/** Synchronous requests Janus 1.1.2 knows that we refuse (499, as Record&Play refuses what it lacks). */
const refusedRequests: Partial<Record<SyncRequest, string>> = {
  rtp_forward: 'RTP forwarding of the mix',
  stop_rtp_forward: 'RTP forwarding of the mix',
  listforwarders: 'RTP forwarding of the mix',
  enable_recording: 'recording the mix',
  enable_mjrs: 'recording participants (mjrs)',
  play_file: 'playing files into a room',
  is_playing: 'playing files into a room',
  stop_file: 'playing files into a room',
};

export function refusedRequest(request: SyncRequest): string | undefined {
  return refusedRequests[request];
}

export function refuseRequest(request: SyncRequest, what: string): never {
  throw abError(AudioBridgeError.UNKNOWN_ERROR, `${request} is not supported by this gateway (${what})`);
}

const unsupported = (name: string, reason: string) =>
  abError(AudioBridgeError.INVALID_ELEMENT, `Invalid element (${name}: ${reason})`);

/** 484 for the first room option that asks for something the gateway does not do. */
export function refuseUnsupportedRoomOptions(c: CreateRequest): void {
  if (c.record === true) throw unsupported('record', 'recording the mix is not supported');
  if (c.record_file !== undefined) throw unsupported('record_file', 'recording the mix is not supported');
  if (c.record_dir !== undefined) throw unsupported('record_dir', 'recording the mix is not supported');
  if (c.mjrs === true) throw unsupported('mjrs', 'recording participants is not supported');
  if (c.mjrs_dir !== undefined) throw unsupported('mjrs_dir', 'recording participants is not supported');
  if (c.groups !== undefined) throw unsupported('groups', 'participant groups are not supported');
}

/** 484 for a participant option (join or configure) that needs what the relay does not do. */
export function refuseUnsupportedParticipantOptions(p: JoinRequest | ConfigureRequest): void {
  if (p.record === true) throw unsupported('record', 'recording participants is not supported');
  if (p.filename !== undefined) throw unsupported('filename', 'recording participants is not supported');
  if (p.group !== undefined) throw unsupported('group', 'participant groups are not supported');
}
