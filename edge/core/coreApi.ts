import type { RelaySettings } from '../../shared/control/messages.js';
import type { RelayEntry } from '../relays/directory.js';
import type { AdmitRequest } from './addressAdmission.js';
import type { RemoteCounts, RemoteCreator, RemoteTally } from './remoteCreator.js';
import type { SharedSettings } from './settings.js';
import type { Counts } from './shardApi.js';

/** What the core coordinator answers over RPC (`CoreCoordinator` implements it). */
export interface CoreCoordinatorApi extends Rpc.DurableObjectBranded {
  getSettings(): Promise<SharedSettings>;
  /** Applies a change and waits until every shard has it. */
  updateSettings(patch: Partial<Omit<SharedSettings, 'version'>>): Promise<SharedSettings>;
  counts(): Promise<Counts>;
  customEvent(schema: string, data: Record<string, unknown>): Promise<void>;
  /** A relay registered; the answer is the relay-wide settings it must apply. */
  relayUp(entry: RelayEntry): Promise<RelaySettings>;
  relayHeartbeat(entry: RelayEntry): Promise<void>;
  relayDraining(relayId: string, linkId: string): Promise<void>;
  relayDown(relayId: string, linkId: string): Promise<void>;
  pickRelay(region?: string): Promise<RelayEntry | undefined>;
  /** Per-client-address limits (offers, PeerConnections): undefined when admitted, else why not. */
  admit(req: AdmitRequest): Promise<string | undefined>;
  listRelays(): Promise<RelayEntry[]>;
  roomCreated(room: number | string): Promise<void>;
  roomDestroyed(room: number | string): Promise<void>;
  listRooms(): Promise<Array<number | string>>;
  /** A creator's remote publishers over every room (`own`: the asking room's tally, its new one included). */
  countRemotePublishers(room: number | string, creator: RemoteCreator, own: RemoteTally): Promise<RemoteCounts>;
}
