import type { Clock } from '../clock.js';
import type { EmitOptions } from '../events/eventSink.js';
import type { Logger } from '../log.js';
import type { RelayEntry } from '../relays/directory.js';
import type { RelayClient } from '../relays/relayClient.js';
import type { AdmitRequest } from './addressAdmission.js';
import type { JanusMessage } from './replies.js';
import type { SharedSettings } from './settings.js';
import type { ShardPeer } from './shardApi.js';

/** The part of Durable Object storage a shard uses; `unconfirmed` writes do not hold replies back. */
export interface ShardStorage {
  get<T>(key: string): Promise<T | undefined>;
  list<T>(prefix: string): Promise<Map<string, T>>;
  put(entries: Record<string, unknown>, unconfirmed?: boolean): Promise<void>;
  delete(keys: string[], unconfirmed?: boolean): Promise<void>;
  setAlarm(at: number): Promise<void>;
}

export type { Clock };

export interface EventEmitter {
  emit(type: number, event: Record<string, unknown>, opts?: EmitOptions): void;
}

/** The calls a shard makes to the core coordinator. */
export interface CorePeer {
  getSettings(): Promise<SharedSettings>;
  pickRelay(region?: string): Promise<RelayEntry | undefined>;
  /** The registered relays (server_info's `local-ip`: where a client's media would go). */
  listRelays(): Promise<RelayEntry[]>;
  /** Per-client-address limits: undefined when admitted, else why not. */
  admit(req: AdmitRequest): Promise<string | undefined>;
}

/**
 * Everything the session logic needs from where it runs. The `SessionShard` Durable Object passes
 * its storage, the wall clock, RPC stubs and its WebSockets; unit tests pass an in-memory harness.
 */
export interface ShardHost {
  readonly storage: ShardStorage;
  readonly clock: Clock;
  readonly relays: RelayClient;
  readonly events: EventEmitter;
  readonly log: Logger;
  shard(n: number): ShardPeer;
  core(): CorePeer;
  /** Sends to a WebSocket held by this shard; false when it is gone. */
  sendToConnection(connId: string, m: JanusMessage): boolean;
}

/** Runs plugin work without letting the API wait on it or crash on its errors. */
export function runDetached(log: Logger, what: string, fn: () => Promise<void> | void): void {
  try {
    const p = fn();
    if (p) p.catch((err: unknown) => log.warn(`plugin ${what} failed`, { error: String(err) }));
  } catch (err) {
    log.warn(`plugin ${what} failed`, { error: String(err) });
  }
}
