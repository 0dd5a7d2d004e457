import type { LinkRoom } from '../../relays/linkHost.js';
import type { StreamingApi } from './streamingApi.js';

/** The one object holding the deployment's Streaming mountpoints. */
export const STREAMING_OBJECT = 'streaming';

export function isStreamingObjectName(name: string): boolean {
  return name === STREAMING_OBJECT;
}

/** The Streaming object as a relay link's watcher: it hears when a relay it uses is lost. */
export function streamingWatcher(streaming: Pick<StreamingApi, 'relayLost'>): LinkRoom {
  return {
    sfuEvent: async () => undefined,
    relayLost: (linkId) => streaming.relayLost(linkId),
  };
}
