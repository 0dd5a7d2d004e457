import { DurableObject } from 'cloudflare:workers';
import type { RelaySettings } from '../../shared/control/messages.js';
import { loadConfig } from '../config.js';
import type { Env } from '../env.js';
import { EventSink } from '../events/eventSink.js';
import { Logger } from '../log.js';
import type { RelayEntry } from '../relays/directory.js';
import { videoRoomObjectName } from '../plugins/videoroom/state.js';
import { Stubs } from '../stubs.js';
import type { AdmitRequest } from './addressAdmission.js';
import { Coordinator } from './coordinator.js';
import type { CoordinatorHost } from './coordinatorHost.js';
import type { CoreCoordinatorApi } from './coreApi.js';
import type { RemoteCounts, RemoteCreator, RemoteTally } from './remoteCreator.js';
import type { SharedSettings } from './settings.js';
import type { Counts } from './shardApi.js';
import { meterDurableObject } from '../metering/meterDurableObject.js';

/**
 * The one core coordinator: owns the settings an admin can change at runtime (global
 * session_timeout, accept_new_sessions, stored tokens) and pushes them to every shard, sums the
 * shards' registries for counts, and emits the periodic core `status: update` event with an alarm
 * ({@link Coordinator}). This class only wires the Durable Object's storage, clock, event sink and
 * shard stubs to it.
 */
export class CoreCoordinator extends DurableObject<Env> implements CoreCoordinatorApi {
  private readonly core: Coordinator;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    meterDurableObject(this, ctx, env, 'CoreCoordinator');
    const config = loadConfig(env);
    const log = new Logger(config.logLevel, 'core');
    const storage = ctx.storage;
    const host: CoordinatorHost = {
      storage: {
        get: <T>(key: string) => storage.get<T>(key),
        list: <T>(prefix: string) => storage.list<T>({ prefix }),
        put: (key, value) => storage.put(key, value),
        delete: async (key) => {
          await storage.delete(key);
        },
        getAlarm: () => storage.getAlarm(),
        setAlarm: (at) => storage.setAlarm(at),
      },
      events: new EventSink(config.eventsUrl, config.serverName, log, config.eventDelivery),
      log,
      now: () => Date.now(),
      shards: () => new Stubs(env, config.shardCount).allShards(),
      relayLink: (linkId) => new Stubs(env, config.shardCount).relayLink(linkId),
      room: (id) => new Stubs(env, config.shardCount).videoRoom(videoRoomObjectName(id)),
    };
    this.core = new Coordinator(host, config);
    void ctx.blockConcurrencyWhile(() => this.core.restore());
  }

  async getSettings(): Promise<SharedSettings> {
    return this.core.getSettings();
  }

  /** Applies a change and waits until every shard has it, so the admin reply means "in force". */
  async updateSettings(patch: Partial<Omit<SharedSettings, 'version'>>): Promise<SharedSettings> {
    return this.core.updateSettings(patch);
  }

  async counts(): Promise<Counts> {
    return this.core.counts();
  }

  async customEvent(schema: string, data: Record<string, unknown>): Promise<void> {
    this.core.customEvent(schema, data);
  }

  // ---- relay directory (fed by RelayLink objects)

  async admit(req: AdmitRequest): Promise<string | undefined> {
    return this.core.admit(req);
  }

  async relayUp(entry: RelayEntry): Promise<RelaySettings> {
    return this.core.relayUp(entry);
  }

  async relayHeartbeat(entry: RelayEntry): Promise<void> {
    await this.core.relayHeartbeat(entry);
  }

  async relayDraining(relayId: string, linkId: string): Promise<void> {
    await this.core.relayDraining(relayId, linkId);
  }

  async relayDown(relayId: string, linkId: string): Promise<void> {
    await this.core.relayDown(relayId, linkId);
  }

  async pickRelay(region?: string): Promise<RelayEntry | undefined> {
    return this.core.pickRelay(region);
  }

  async listRelays(): Promise<RelayEntry[]> {
    return this.core.listRelays();
  }

  // ---- VideoRoom index (for `list`)

  async roomCreated(room: number | string): Promise<void> {
    await this.core.roomCreated(room);
  }

  async roomDestroyed(room: number | string): Promise<void> {
    await this.core.roomDestroyed(room);
  }

  async listRooms(): Promise<Array<number | string>> {
    return this.core.listRooms();
  }

  async countRemotePublishers(room: number | string, creator: RemoteCreator, own: RemoteTally): Promise<RemoteCounts> {
    return this.core.countRemotePublishers(room, creator, own);
  }

  override async alarm(): Promise<void> {
    await this.core.alarm();
  }
}
