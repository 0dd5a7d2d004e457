import type { Mountpoints } from './mountpoints.js';
import type { MountpointId } from './schemas.js';
import { staticMountpointFingerprint, type StaticMountpoints } from './staticMountpointConfig.js';

/** After a failed creation (no relay yet, an RTSP server down), the next try waits this long. */
const RETRY_MS = 10_000;

/** Where the tombstones of destroyed configured mountpoints are kept (the Durable Object's storage). */
export interface TombstoneStore {
  save(tombstones: Record<string, string>): void;
}

/**
 * Janus creates its configured mountpoints at start; the Streaming object has no start of its own and
 * needs a relay, so each configured mountpoint that does not exist is created when a Streaming request
 * arrives (`list`, `info`, `watch`…), on the least loaded relay, with the plugin's admin key (the
 * configuration is the operator's). Like every mountpoint they are stored, so an evicted object
 * restores them instead of creating them again; one lost with its relay is created again on another.
 * A `destroy` leaves a tombstone: it is not created again while its configuration is unchanged and
 * the edge's state lasts (as Janus, until restart).
 */
export class StaticMountpointKeeper {
  private creating?: Promise<void>;
  private failedAt = new Map<MountpointId, number>();

  constructor(
    private readonly mounts: Mountpoints,
    private readonly configured: StaticMountpoints,
    private readonly tombstones: Record<string, string>,
    private readonly store: TombstoneStore,
    private readonly now: () => number = Date.now,
  ) {}

  private due(): MountpointId[] {
    const t = this.now();
    return [...this.configured.values()]
      .filter((c) => !this.mounts.all.has(c.id))
      .filter((c) => this.tombstones[c.id] !== staticMountpointFingerprint(c))
      .filter((c) => t - (this.failedAt.get(c.id) ?? -Infinity) >= RETRY_MS)
      .map((c) => c.id);
  }

  /** Creates the configured mountpoints that are missing; resolves when this round is over. */
  ensure(): Promise<void> {
    if (this.creating) return this.creating;
    const ids = this.due();
    if (ids.length === 0) return Promise.resolve();
    this.creating = this.createAll(ids).finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async createAll(ids: MountpointId[]): Promise<void> {
    const adminKey = this.mounts.host.adminKey;
    for (const id of ids) {
      const config = this.configured.get(id)!;
      try {
        await this.mounts.create(adminKey === undefined ? { ...config } : { ...config, admin_key: adminKey });
        this.failedAt.delete(id);
      } catch (err) {
        this.failedAt.set(id, this.now());
        this.mounts.host.log.warn('configured mountpoint not created', { id, error: String(err) });
      }
    }
  }

  /** A mountpoint was destroyed by request: a configured one is not created again. */
  destroyed(id: MountpointId): void {
    const config = this.configured.get(id);
    if (!config) return;
    this.tombstones[id] = staticMountpointFingerprint(config);
    this.store.save(this.tombstones);
  }
}
