import type { RelaySettings } from '../../shared/control/messages.js';
import type { EmitOptions } from '../events/eventSink.js';
import type { Logger } from '../log.js';
import type { ClientLimits } from './clientLimits.js';
import type { RemoteCreator, RemoteTally } from './remoteCreator.js';
import type { SharedSettings } from './settings.js';
import type { Counts } from './shardApi.js';

/** The part of Durable Object storage the core coordinator uses. */
export interface CoordinatorStorage {
  get<T>(key: string): Promise<T | undefined>;
  list<T>(prefix: string): Promise<Map<string, T>>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
}

/** The calls the coordinator makes to every session shard. */
export interface CoordinatorShard {
  applySettings(settings: SharedSettings): Promise<void>;
  counts(): Promise<Counts>;
  /** The PeerConnections the shard's sessions of a client address hold (per-address limits). */
  peersOf(address: string): Promise<number>;
}

/** The call the coordinator makes to a relay's link object. */
export interface CoordinatorRelayLink {
  applySettings(settings: RelaySettings): Promise<void>;
}

/** The call the coordinator makes to a VideoRoom's object. */
export interface CoordinatorRoom {
  /** The room's remote publishers added by a creator's session and address (its registry answers). */
  remoteTally(creator: RemoteCreator): Promise<RemoteTally>;
}

/** The event handler's sink: `enabled` when a webhook is configured. */
export interface CoordinatorEvents {
  readonly enabled: boolean;
  emit(type: number, event: Record<string, unknown>, opts?: EmitOptions): void;
}

/** What the coordinator reads from the edge's configuration. */
export interface CoordinatorConfig {
  sessionTimeout: number;
  serverName: string;
  /** Seconds between core `status: update` events. */
  statusPeriod: number;
  limits: ClientLimits;
}

/**
 * Everything the core coordinator's logic needs from where it runs. The `CoreCoordinator` Durable
 * Object passes its storage, the wall clock, the event sink and the shards' stubs; unit tests pass an
 * in-memory host.
 */
export interface CoordinatorHost {
  readonly storage: CoordinatorStorage;
  readonly events: CoordinatorEvents;
  readonly log: Logger;
  now(): number;
  /** Every session shard, in order. */
  shards(): CoordinatorShard[];
  /** A relay's link object (relay-wide settings). */
  relayLink(linkId: string): CoordinatorRelayLink;
  /** A VideoRoom's object, by room id (remote publishers per session and per address). */
  room(id: number | string): CoordinatorRoom;
}
