import { abError, AudioBridgeError } from './errors.js';
import type { SyncRequest } from './schemas.js';

/**
 * What Janus's AudioBridge does that this gateway does not do: refused with a clear error that
 * changes nothing, never accepted and then ignored. Today every synchronous request of Janus 1.1.2
 * is served; the table stays as the one place a refusal would go.
 */

/** Synchronous requests Janus 1.1.2 knows that we refuse (499, as Record&Play refuses what it lacks). */
const refusedRequests: Partial<Record<SyncRequest, string>> = {};

export function refusedRequest(request: SyncRequest): string | undefined {
  return refusedRequests[request];
}

export function refuseRequest(request: SyncRequest, what: string): never {
  throw abError(AudioBridgeError.UNKNOWN_ERROR, `${request} is not supported by this gateway (${what})`);
}
