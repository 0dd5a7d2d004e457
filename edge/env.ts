import type { EnvVars } from './config.js';
import type { CoreCoordinatorApi } from './core/coreApi.js';
import type { SessionShardApi } from './core/shardApi.js';
import type { RelayLinkApi } from './relays/relayLinkApi.js';
import type { VideoRoomApi } from './plugins/videoroom/videoRoomApi.js';
import type { AudioBridgeApi, AudioBridgeIndexApi } from './plugins/audiobridge/audioBridgeApi.js';
import type { StreamingApi } from './plugins/streaming/streamingApi.js';
import type { TurnLimiterApi } from './turn/turnLimiterApi.js';

/** Bindings and vars of the Worker (wrangler.toml [vars]; secrets via `wrangler secret put`). */
export interface Env extends EnvVars {
  SESSION_SHARD: DurableObjectNamespace<SessionShardApi>;
  CORE: DurableObjectNamespace<CoreCoordinatorApi>;
  RELAY_LINK: DurableObjectNamespace<RelayLinkApi>;
  VIDEOROOM: DurableObjectNamespace<VideoRoomApi>;
  AUDIOBRIDGE: DurableObjectNamespace<AudioBridgeApi>;
  AUDIOBRIDGE_INDEX: DurableObjectNamespace<AudioBridgeIndexApi>;
  STREAMING: DurableObjectNamespace<StreamingApi>;
  /** One per client address: the rate limit of `GET /turn-credentials`. */
  TURN_LIMITER: DurableObjectNamespace<TurnLimiterApi>;
  /** The demo pages and janus.js (wrangler.toml [assets]). */
  ASSETS?: Fetcher;
}
