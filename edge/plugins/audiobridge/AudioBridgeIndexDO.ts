import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../../env.js';
import type { AudioBridgeIndexApi } from './audioBridgeApi.js';
import type { AbRoomId } from './schemas.js';

/**
 * The AudioBridge room list, one object for the deployment (`list` asks it, then each room for its
 * entry): only ids, written when a room is created or destroyed.
 */
export class AudioBridgeIndexDO extends DurableObject<Env> implements AudioBridgeIndexApi {
  async roomCreated(room: AbRoomId): Promise<void> {
    await this.ctx.storage.put(`room:${typeof room}:${room}`, room);
  }

  async roomDestroyed(room: AbRoomId): Promise<void> {
    await this.ctx.storage.delete(`room:${typeof room}:${room}`);
  }

  async listRooms(): Promise<AbRoomId[]> {
    return [...(await this.ctx.storage.list<AbRoomId>({ prefix: 'room:' })).values()];
  }
}
