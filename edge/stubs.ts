import { shardName, shardOf } from './core/ids.js';
import type { Env } from './env.js';
import { STREAMING_OBJECT } from './plugins/streaming/linkWatch.js';

/**
 * Ids by name, per namespace: `idFromName` hashes the name on every call (a measurable share of the
 * edge's CPU per call, made for every relay event and command), and an id is a plain value that any
 * request or object of the isolate may reuse. Names here are few (the shards, the core, rooms); the
 * cache is cleared past MAX_CACHED_IDS so that room and link names cannot grow it without bound.
 */
const MAX_CACHED_IDS = 4096;
const idCache = new WeakMap<object, Map<string, DurableObjectId>>();

function cachedId(ns: object, key: string, make: () => DurableObjectId): DurableObjectId {
  let ids = idCache.get(ns);
  if (!ids) idCache.set(ns, (ids = new Map()));
  let id = ids.get(key);
  if (!id) {
    if (ids.size >= MAX_CACHED_IDS) ids.clear();
    ids.set(key, (id = make()));
  }
  return id;
}

function idFromName(ns: Pick<DurableObjectNamespace, 'idFromName'>, name: string): DurableObjectId {
  return cachedId(ns, `n:${name}`, () => ns.idFromName(name));
}

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
    return this.env.SESSION_SHARD.get(idFromName(this.env.SESSION_SHARD, shardName(shard)));
  }

  /** The shard that owns a session. */
  shardOfSession(sessionId: number) {
    return this.shard(shardOf(sessionId, this.shardCount));
  }

  allShards() {
    return Array.from({ length: this.shardCount }, (_, i) => this.shard(i));
  }

  core() {
    return this.env.CORE.get(idFromName(this.env.CORE, 'core'));
  }

  /** A fresh link object for a relay that connects, and its id. */
  newRelayLink() {
    const id = this.env.RELAY_LINK.newUniqueId();
    return { linkId: id.toString(), stub: this.env.RELAY_LINK.get(id) };
  }

  relayLink(linkId: string) {
    const ns = this.env.RELAY_LINK;
    return ns.get(cachedId(ns, `s:${linkId}`, () => ns.idFromString(linkId)));
  }

  /** A VideoRoom's object, by the name `videoRoomObjectName` gives its room id. */
  videoRoom(objectName: string) {
    return this.env.VIDEOROOM.get(idFromName(this.env.VIDEOROOM, objectName));
  }

  /** An AudioBridge room's object, by the name `audioBridgeObjectName` gives its room id. */
  audioBridge(objectName: string) {
    return this.env.AUDIOBRIDGE.get(this.env.AUDIOBRIDGE.idFromName(objectName));
  }

  /** The AudioBridge room list (one object). */
  audioBridgeIndex() {
    return this.env.AUDIOBRIDGE_INDEX.get(this.env.AUDIOBRIDGE_INDEX.idFromName('index'));
  }

  /** The Streaming mountpoints (one object). */
  streaming() {
    return this.env.STREAMING.get(this.env.STREAMING.idFromName(STREAMING_OBJECT));
  }
}
