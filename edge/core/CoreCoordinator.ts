import { DurableObject } from 'cloudflare:workers';
import { EventType, CoreSubtype } from '../../shared/janus/events.js';
import { loadConfig, type EdgeConfig } from '../config.js';
import type { SharedSettings } from './settings.js';
import type { Env } from '../env.js';
import { EventSink } from '../events/eventSink.js';
import { Logger } from '../log.js';
import { Stubs } from '../stubs.js';
import { RelayDirectory, type RelayEntry } from '../relays/directory.js';
import type { CoreCoordinatorApi } from './coreApi.js';
import type { Counts } from './shardApi.js';

/**
 * The one core coordinator: owns the settings an admin can change at runtime (global
 * session_timeout, accept_new_sessions, stored tokens) and pushes them to every shard, sums the
 * shards' registries for counts, and emits the periodic core `status: update` event with an alarm.
 */
export class CoreCoordinator extends DurableObject<Env> implements CoreCoordinatorApi {
  private readonly config: EdgeConfig;
  private readonly log: Logger;
  private readonly sink: EventSink;
  private settings!: SharedSettings;
  private readonly relays = new RelayDirectory();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = loadConfig(env);
    this.log = new Logger(this.config.logLevel, 'core');
    this.sink = new EventSink(this.config.eventsUrl, this.config.serverName, this.log);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<SharedSettings>('settings');
      this.settings = stored ?? {
        version: 1,
        sessionTimeout: this.config.sessionTimeout,
        acceptNewSessions: true,
        tokens: {},
      };
      if (!stored) {
        await ctx.storage.put('settings', this.settings);
        this.sink.emit(
          EventType.CORE,
          {
            status: 'started',
            info: { 'server-name': this.config.serverName, 'session-timeout': this.config.sessionTimeout },
          },
          { subtype: CoreSubtype.STARTUP },
        );
      }
      if (this.sink.enabled && (await ctx.storage.getAlarm()) === null) {
        await ctx.storage.setAlarm(Date.now() + this.config.statusPeriod * 1000);
      }
    });
  }

  async getSettings(): Promise<SharedSettings> {
    return this.settings;
  }

  /** Applies a change and waits until every shard has it, so the admin reply means "in force". */
  async updateSettings(patch: Partial<Omit<SharedSettings, 'version'>>): Promise<SharedSettings> {
    this.settings = { ...this.settings, ...patch, version: this.settings.version + 1 };
    await this.ctx.storage.put('settings', this.settings);
    const s = this.settings;
    await Promise.all(this.shards().map((stub) => stub.applySettings(s)));
    return s;
  }

  async counts(): Promise<Counts> {
    const all = await Promise.all(this.shards().map((stub) => stub.counts()));
    return all.reduce(
      (a, b) => ({
        sessions: a.sessions + b.sessions,
        handles: a.handles + b.handles,
        peerconnections: a.peerconnections + b.peerconnections,
      }),
      { sessions: 0, handles: 0, peerconnections: 0 },
    );
  }

  async customEvent(schema: string, data: Record<string, unknown>): Promise<void> {
    this.sink.emit(EventType.EXTERNAL, { schema, data });
  }

  // ---- relay directory (fed by RelayLink objects)

  async relayUp(entry: RelayEntry): Promise<void> {
    this.relays.up(entry);
  }

  async relayHeartbeat(entry: RelayEntry): Promise<void> {
    this.relays.heartbeat(entry);
  }

  async relayDraining(relayId: string, linkId: string): Promise<void> {
    this.relays.draining(relayId, linkId);
  }

  async relayDown(relayId: string, linkId: string): Promise<void> {
    this.relays.down(relayId, linkId);
  }

  async pickRelay(region?: string): Promise<RelayEntry | undefined> {
    return this.relays.pick(region);
  }

  async listRelays(): Promise<RelayEntry[]> {
    return this.relays.list();
  }

  // ---- VideoRoom index (for `list`); each room's state lives in its own VideoRoomDO

  async roomCreated(room: number | string): Promise<void> {
    await this.ctx.storage.put(`room:${typeof room}:${room}`, room);
  }

  async roomDestroyed(room: number | string): Promise<void> {
    await this.ctx.storage.delete(`room:${typeof room}:${room}`);
  }

  async listRooms(): Promise<Array<number | string>> {
    return [...(await this.ctx.storage.list<number | string>({ prefix: 'room:' })).values()];
  }

  override async alarm(): Promise<void> {
    if (!this.sink.enabled) return;
    await this.ctx.storage.setAlarm(Date.now() + this.config.statusPeriod * 1000);
    try {
      const c = await this.counts();
      this.sink.emit(
        EventType.CORE,
        { status: 'update', info: { ...c, 'stats-period': this.config.statusPeriod } },
        { subtype: CoreSubtype.STARTUP },
      );
    } catch (err) {
      this.log.warn('status update failed', { error: String(err) });
    }
  }

  private shards() {
    return new Stubs(this.env, this.config.shardCount).allShards();
  }
}
