import { abError, AudioBridgeError } from './errors.js';
import type { ConfigureRequest, CreateRequest, JoinRequest, SyncRequest } from './schemas.js';

/**
 * What Janus's AudioBridge does that this gateway does not do yet: recording each participant (mjrs)
 * and participant groups. They are refused with a clear error and change nothing: never accepted and
 * then ignored.
 */

/** Synchronous requests Janus 1.1.2 knows that we refuse (499, as Record&Play refuses what it lacks). */
const refusedRequests: Partial<Record<SyncRequest, string>> = {};

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
  if (c.groups !== undefined) throw unsupported('groups', 'participant groups are not supported');
}

/** 484 for a participant option (join or configure) that needs what the relay does not do. */
export function refuseUnsupportedParticipantOptions(p: JoinRequest | ConfigureRequest): void {
  if (p.group !== undefined) throw unsupported('group', 'participant groups are not supported');
}
