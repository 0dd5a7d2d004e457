import type { Clock } from '../clock.js';
import type { PeerEvent } from '../../shared/control/events.js';
import type { RelaySettings } from '../../shared/control/messages.js';
import type { SfuPeerEvent } from '../../shared/control/sfu.js';
import type { AbPeerEvent } from '../../shared/control/audiobridge.js';
import type { Logger } from '../log.js';
import type { HandleAddress } from '../plugins/videoroom/state.js';
import type { RelayEntry } from './directory.js';

/** The part of Durable Object storage a relay link uses; `unconfirmed` writes do not hold replies back. */
export interface LinkStorage {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown, unconfirmed?: boolean): Promise<void>;
  deleteAll(): Promise<void>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** The relay's control socket as the link holds it. */
export interface LinkSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** The calls a link makes to the core coordinator's relay directory. */
export interface LinkDirectory {
  /** Registers the relay; answers the relay-wide settings to send it. */
  relayUp(entry: RelayEntry): Promise<RelaySettings>;
  relayHeartbeat(entry: RelayEntry): Promise<void>;
  relayDraining(relayId: string, linkId: string): Promise<void>;
  relayDown(relayId: string, linkId: string): Promise<void>;
}

/** The session shard that owns a session, as a link sees it. */
export interface LinkShard {
  relayEvent(sessionId: number, handleId: number, linkId: string, event: PeerEvent): Promise<void>;
}

/** A VideoRoom object, as a link sees it. */
export interface LinkRoom {
  sfuEvent(who: HandleAddress, e: SfuPeerEvent): Promise<void>;
  relayLost(linkId: string): Promise<void>;
}

/** An AudioBridge room's object, as a link sees it. */
export interface LinkAudioRoom {
  relayEvent(e: AbPeerEvent): Promise<void>;
}

/**
 * Everything the relay link logic needs from where it runs. The `RelayLink` Durable Object passes
 * its storage, the wall clock, its accepted WebSockets and RPC stubs; unit tests pass an in-memory host.
 */
export interface LinkHost {
  readonly storage: LinkStorage;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Whether event handlers are configured (EVENTS_URL): without them the relay's ICE/DTLS/stats events
   * reach nobody, so the link does not forward them (an RPC to a shard each). Undefined counts as true.
   */
  readonly handlerEvents?: boolean;
  /** The control sockets accepted by this link (at most one). */
  sockets(): LinkSocket[];
  directory(): LinkDirectory;
  shardOfSession(sessionId: number): LinkShard;
  /** A VideoRoom's object, by the name `videoRoomObjectName` gives its room id. */
  room(objectName: string): LinkRoom;
  /** An AudioBridge room's object, by the name `audioBridgeObjectName` gives its room id (none: its events are dropped). */
  audioRoom?(objectName: string): LinkAudioRoom;
}
