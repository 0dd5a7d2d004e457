import type { EnvVars } from './config.js';
import type { CoreCoordinatorApi } from './core/coreApi.js';
import type { SessionShardApi } from './core/shardApi.js';
import type { RelayLinkApi } from './relays/relayLinkApi.js';
import type { VideoRoomApi } from './plugins/videoroom/videoRoomApi.js';
import type { AudioBridgeApi, AudioBridgeIndexApi } from './plugins/audiobridge/audioBridgeApi.js';

/** Bindings and vars of the Worker (wrangler.toml [vars]; secrets via `wrangler secret put`). */
export interface Env extends EnvVars {
  SESSION_SHARD: DurableObjectNamespace<SessionShardApi>;
  CORE: DurableObjectNamespace<CoreCoordinatorApi>;
  RELAY_LINK: DurableObjectNamespace<RelayLinkApi>;
  VIDEOROOM: DurableObjectNamespace<VideoRoomApi>;
  AUDIOBRIDGE: DurableObjectNamespace<AudioBridgeApi>;
  AUDIOBRIDGE_INDEX: DurableObjectNamespace<AudioBridgeIndexApi>;
  /** The demo pages and janus.js (wrangler.toml [assets]). */
  ASSETS?: Fetcher;
}
