/**
 * Who added a remote publisher: the session whose request added it, and that request's client
 * address (`CF-Connecting-IP`, when known). Recorded with the publisher in its room's state.
 */
export interface RemoteCreator {
  sessionId: number;
  address?: string;
}

/** One room's remote publishers added by a creator's session and by its address; `total`: those with any creator. */
export interface RemoteTally {
  session: number;
  address: number;
  total: number;
}

/** A creator's remote publishers summed over every room. */
export type RemoteCounts = Pick<RemoteTally, 'session' | 'address'>;
