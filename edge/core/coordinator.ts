import { CoreSubtype, EventType } from '../../shared/janus/events.js';
import { RelayDirectory, type RelayEntry } from '../relays/directory.js';
import { AddressAdmission, type AdmitRequest } from './addressAdmission.js';
import type { CoordinatorConfig, CoordinatorHost } from './coordinatorHost.js';
import type { RemoteCounts, RemoteCreator, RemoteTally } from './remoteCreator.js';
import { RemoteHolders } from './remoteHolders.js';
import type { RelaySettings } from '../../shared/control/messages.js';
import { applyIsolateSettings, relaySettingsOf, type SharedSettings } from './settings.js';
import type { Counts } from './shardApi.js';

const RELAY_PREFIX = 'relay:';
const relayKey = (relayId: string) => `${RELAY_PREFIX}${relayId}`;
const withoutLastSeen = ({ lastSeen: _l, ...entry }: RelayEntry): RelayEntry => entry;

/**
 * The core coordinator's logic, over a {@link CoordinatorHost}: owns the settings an admin can change
 * at runtime (global session_timeout, accept_new_sessions, stored tokens) and pushes them to every
 * shard, sums the shards' registries for counts, keeps the relay directory and the room list, and
 * emits the periodic core `status: update` event from the alarm.
 */
export class Coordinator {
  private settings!: SharedSettings;
  private readonly relays = new RelayDirectory();
  private readonly addresses: AddressAdmission;
  private readonly remoteHolders: RemoteHolders;

  constructor(
    private readonly host: CoordinatorHost,
    private readonly config: CoordinatorConfig,
  ) {
    this.addresses = new AddressAdmission(config.limits, (n, address) => {
      const shard = host.shards()[n];
      return shard ? shard.peersOf(address) : Promise.resolve(0);
    });
    this.remoteHolders = new RemoteHolders(host.storage, (room, creator) => host.room(room).remoteTally(creator));
  }

  /** Loads the settings, or creates them (and announces the start); schedules the status alarm. */
  async restore(): Promise<void> {
    const { storage, events } = this.host;
    const stored = await storage.get<SharedSettings>('settings');
    this.settings = stored ?? {
      version: 1,
      sessionTimeout: this.config.sessionTimeout,
      acceptNewSessions: true,
      tokens: {},
    };
    applyIsolateSettings(this.settings);
    if (!stored) {
      await storage.put('settings', this.settings);
      events.emit(
        EventType.CORE,
        {
          status: 'started',
          info: { 'server-name': this.config.serverName, 'session-timeout': this.config.sessionTimeout },
        },
        { subtype: CoreSubtype.STARTUP },
      );
    }
    // counted as just reported: one a dead link left behind is no longer offered after STALE_MS
    for (const entry of (await storage.list<RelayEntry>(RELAY_PREFIX)).values()) this.relays.up(entry, this.host.now());
    if (events.enabled && (await storage.getAlarm()) === null) {
      await storage.setAlarm(this.host.now() + this.config.statusPeriod * 1000);
    }
  }

  getSettings(): SharedSettings {
    return this.settings;
  }

  /** Applies a change and waits until every shard has it, so the admin reply means "in force". */
  async updateSettings(patch: Partial<Omit<SharedSettings, 'version'>>): Promise<SharedSettings> {
    this.settings = { ...this.settings, ...patch, version: this.settings.version + 1 };
    applyIsolateSettings(this.settings);
    await this.host.storage.put('settings', this.settings);
    const s = this.settings;
    await Promise.all(this.host.shards().map((stub) => stub.applySettings(s)));
    if (Object.keys(relaySettingsOf(patch)).length > 0) {
      // Relays apply them at once; one that registers later gets them with its welcome (relayUp).
      const relay = relaySettingsOf(s);
      await Promise.all(
        this.relays.list().map((r) =>
          this.host
            .relayLink(r.linkId)
            .applySettings(relay)
            .catch(() => undefined),
        ),
      );
    }
    return s;
  }

  async counts(): Promise<Counts> {
    const all = await Promise.all(this.host.shards().map((stub) => stub.counts()));
    return all.reduce(
      (a, b) => ({
        sessions: a.sessions + b.sessions,
        handles: a.handles + b.handles,
        peerconnections: a.peerconnections + b.peerconnections,
      }),
      { sessions: 0, handles: 0, peerconnections: 0 },
    );
  }

  customEvent(schema: string, data: Record<string, unknown>): void {
    this.host.events.emit(EventType.EXTERNAL, { schema, data });
  }

  // ---- relay directory (fed by RelayLink objects)

  // Links report a relay only when its load changes or every DIRECTORY_REFRESH_MS, so this object may
  // be evicted between reports: which relays are connected is kept in storage (written when a relay
  // comes, goes or drains, never per report), and a restored coordinator offers them at once.

  async relayUp(entry: RelayEntry): Promise<RelaySettings> {
    this.relays.up(entry, this.host.now());
    await this.host.storage.put(relayKey(entry.relayId), withoutLastSeen(entry));
    return this.settings ? relaySettingsOf(this.settings) : {};
  }

  async relayHeartbeat(entry: RelayEntry): Promise<void> {
    const added = this.relays.heartbeat(entry, this.host.now());
    if (added) await this.host.storage.put(relayKey(entry.relayId), withoutLastSeen(added));
  }

  async relayDraining(relayId: string, linkId: string): Promise<void> {
    const changed = this.relays.draining(relayId, linkId);
    if (changed) await this.host.storage.put(relayKey(relayId), withoutLastSeen(changed));
  }

  async relayDown(relayId: string, linkId: string): Promise<void> {
    if (this.relays.down(relayId, linkId)) await this.host.storage.delete(relayKey(relayId));
  }

  pickRelay(region?: string): RelayEntry | undefined {
    return this.relays.pick(region, this.host.now());
  }

  /** Per-client-address limits; kept in memory (buckets refill in seconds, counts are recounted). */
  admit(req: AdmitRequest): Promise<string | undefined> {
    return this.addresses.admit(req, this.host.now());
  }

  listRelays(): RelayEntry[] {
    return this.relays.list();
  }

  // ---- VideoRoom index (for `list`); each room's state lives in its own VideoRoomDO

  async roomCreated(room: number | string): Promise<void> {
    await this.host.storage.put(`room:${typeof room}:${room}`, room);
  }

  async roomDestroyed(room: number | string): Promise<void> {
    await this.host.storage.delete(`room:${typeof room}:${room}`);
    await this.remoteHolders.roomGone(room);
  }

  /** A creator's remote publishers over every room, for `room`'s `add_remote_publisher` (see RemoteHolders). */
  countRemotePublishers(room: number | string, creator: RemoteCreator, own: RemoteTally): Promise<RemoteCounts> {
    return this.remoteHolders.count(room, creator, own);
  }

  async listRooms(): Promise<Array<number | string>> {
    return [...(await this.host.storage.list<number | string>('room:')).values()];
  }

  /** The status alarm: reschedules itself and emits the summed counts. */
  async alarm(): Promise<void> {
    const { storage, events } = this.host;
    if (!events.enabled) return;
    await storage.setAlarm(this.host.now() + this.config.statusPeriod * 1000);
    try {
      const c = await this.counts();
      events.emit(
        EventType.CORE,
        { status: 'update', info: { ...c, 'stats-period': this.config.statusPeriod } },
        { subtype: CoreSubtype.STARTUP },
      );
    } catch (err) {
      this.host.log.warn('status update failed', { error: String(err) });
    }
  }
}
