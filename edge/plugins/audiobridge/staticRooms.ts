import type { AudioRoom } from './room.js';
import type { RoomRequests } from './roomRequests.js';
import type { AbRoomId } from './schemas.js';
import { abStaticRoomFingerprint, type AbStaticRoomConfig, type AbStaticRooms } from './staticRoomConfig.js';
import { audioBridgeObjectName } from './state.js';

/**
 * Janus creates its configured rooms at start; a Worker has no start, so a configured room is
 * created the first time a request names it (any request: `list`, `exists`, `join`, `create`…),
 * once. A `destroy` leaves a tombstone: the room is not created again while its configuration is
 * unchanged and the edge's state lasts (locally until the next `npm start`, as Janus until restart).
 */
export class AbStaticRoomKeeper {
  /** A configured room that `destroy` removed: its configuration's fingerprint (persisted by the host). */
  tombstone?: string;

  constructor(
    private readonly room: AudioRoom,
    private readonly requests: RoomRequests,
    private readonly rooms: () => AbStaticRooms | undefined,
  ) {}

  private configOf(id: AbRoomId): AbStaticRoomConfig | undefined {
    return this.rooms()?.get(audioBridgeObjectName(id));
  }

  /** Creates the configured room named `id` unless it exists or was destroyed. */
  async ensure(id: unknown): Promise<void> {
    if (this.room.state || (typeof id !== 'number' && typeof id !== 'string')) return;
    const config = this.configOf(id);
    if (!config || this.tombstone === abStaticRoomFingerprint(config)) return;
    // The configuration is the operator's: it needs no admin key, so it is given the plugin's own.
    const adminKey = this.room.host.adminKey;
    const body = adminKey === undefined ? config : { ...config, admin_key: adminKey };
    // Janus creates these at its start, telling event handlers nothing.
    await this.requests.create(config.room, body, undefined, { configured: true });
  }

  /** The room was destroyed: remember it if it is a configured one. */
  destroyed(id: AbRoomId): void {
    const config = this.configOf(id);
    if (!config) return;
    this.tombstone = abStaticRoomFingerprint(config);
    this.room.save();
  }
}
