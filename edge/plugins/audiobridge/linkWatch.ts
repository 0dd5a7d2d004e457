import type { LinkRoom } from '../../relays/linkHost.js';
import type { AudioBridgeApi } from './audioBridgeApi.js';

/** AudioBridge rooms' object names (`audioBridgeObjectName`) start with this. */
const PREFIX = 'ab:';

export function isAudioBridgeObjectName(name: string): boolean {
  return name.startsWith(PREFIX);
}

/**
 * An AudioBridge room as a relay link's watcher: a room with plain-RTP legs on a relay watches its
 * link (those legs are no PeerConnection the link would hang up), and hears when the relay is lost.
 */
export function audioRoomWatcher(room: Pick<AudioBridgeApi, 'relayLost'>): LinkRoom {
  return {
    sfuEvent: async () => undefined,
    relayLost: (linkId) => room.relayLost(linkId),
  };
}
