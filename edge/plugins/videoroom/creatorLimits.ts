import type { RemoteCounts, RemoteCreator, RemoteTally } from '../../core/remoteCreator.js';
import { VideoRoomError, vrError } from './errors.js';
import type { VideoRoomLimits } from './limits.js';
import type { Publisher } from './state.js';

/**
 * One room's remote publishers added by `creator`'s session and by its address, reservations
 * included, read from the room's registry. A creator's session may be gone: its remote publishers
 * stay (as in Janus) and keep their relay ports, so they still count for its address.
 */
export function tallyOf(publishers: readonly Publisher[], creator: RemoteCreator): RemoteTally {
  const t: RemoteTally = { session: 0, address: 0, total: 0 };
  for (const { createdBy } of publishers) {
    if (!createdBy) continue;
    t.total++;
    if (createdBy.sessionId === creator.sessionId) t.session++;
    if (creator.address !== undefined && createdBy.address === creator.address) t.address++;
  }
  return t;
}

/** 432 when a creator's counts over every room, its new remote publisher included, pass a limit. */
export function checkCreatorLimits(counts: RemoteCounts, creator: RemoteCreator, limits: VideoRoomLimits): void {
  const perSession = limits.maxRemotePublishersPerSession;
  if (perSession > 0 && counts.session > perSession)
    throw vrError(
      VideoRoomError.PUBLISHERS_FULL,
      `Maximum number of remote publishers per session (${perSession}) already reached`,
    );
  const perAddress = limits.maxRemotePublishersPerAddress;
  if (creator.address !== undefined && perAddress > 0 && counts.address > perAddress)
    throw vrError(
      VideoRoomError.PUBLISHERS_FULL,
      `Maximum number of remote publishers per client address (${perAddress}) already reached`,
    );
}
