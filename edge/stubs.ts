import { shardName, shardOf } from './core/ids.js';
import type { Env } from './env.js';

/**
 * The one place that turns names into Durable Object stubs. A session id names its shard, a relay
 * connection its link object (a unique id), a plugin room its object name; the core is a singleton.
 */
export class Stubs {
  constructor(
    private readonly env: Env,
    private readonly shardCount: number,
  ) {}

  shard(shard: number) {
    return this.env.SESSION_SHARD.get(this.env.SESSION_SHARD.idFromName(shardName(shard)));
  }

  /** The shard that owns a session. */
  shardOfSession(sessionId: number) {
    return this.shard(shardOf(sessionId, this.shardCount));
  }

  allShards() {
    return Array.from({ length: this.shardCount }, (_, i) => this.shard(i));
  }

  core() {
    return this.env.CORE.get(this.env.CORE.idFromName('core'));
  }

  /** A fresh link object for a relay that connects, and its id. */
  newRelayLink() {
    const id = this.env.RELAY_LINK.newUniqueId();
    return { linkId: id.toString(), stub: this.env.RELAY_LINK.get(id) };
  }

  relayLink(linkId: string) {
    return this.env.RELAY_LINK.get(this.env.RELAY_LINK.idFromString(linkId));
  }

  /** A VideoRoom's object, by the name `videoRoomObjectName` gives its room id. */
  videoRoom(objectName: string) {
    return this.env.VIDEOROOM.get(this.env.VIDEOROOM.idFromName(objectName));
  }

  /** An AudioBridge room's object, by the name `audioBridgeObjectName` gives its room id. */
  audioBridge(objectName: string) {
    return this.env.AUDIOBRIDGE.get(this.env.AUDIOBRIDGE.idFromName(objectName));
  }

  /** The AudioBridge room list (one object). */
  audioBridgeIndex() {
    return this.env.AUDIOBRIDGE_INDEX.get(this.env.AUDIOBRIDGE_INDEX.idFromName('index'));
  }
}
