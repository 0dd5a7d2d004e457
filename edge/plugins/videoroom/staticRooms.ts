import type { Room } from './room.js';
import type { RoomRequests } from './roomRequests.js';
import type { RoomId } from './schemas.js';
import { staticRoomFingerprint, type StaticRoomConfig } from './staticRoomConfig.js';
import { videoRoomObjectName } from './state.js';

/**
 * Janus creates its configured rooms at start; a Worker has no start, so a configured room is
 * created the first time a request names it (any request: `list`, `exists`, `join`, `create`…),
 * once. A `destroy` leaves a tombstone: the room is not created again while its configuration is
 * unchanged and the edge's state lasts (locally until the next `npm start`, as Janus until restart).
 */
export class StaticRoomKeeper {
  constructor(
    private readonly room: Room,
    private readonly requests: RoomRequests,
  ) {}

  private configOf(id: RoomId): StaticRoomConfig | undefined {
    return this.room.host.staticRooms?.get(videoRoomObjectName(id));
  }

  /** Creates the configured room named `id` unless it exists or was destroyed. */
  async ensure(id: unknown): Promise<void> {
    if (this.room.state || (typeof id !== 'number' && typeof id !== 'string')) return;
    const config = this.configOf(id);
    if (!config || this.room.tombstone === staticRoomFingerprint(config)) return;
    await this.requests.build(config.room, config);
    this.room.host.log.debug('static room created', { room: config.room });
  }

  /** The room was destroyed: remember it if it is a configured one. */
  destroyed(id: RoomId): void {
    const config = this.configOf(id);
    if (config) this.room.tombstone = staticRoomFingerprint(config);
  }
}
