import type { SessionShard } from './coordinator/SessionShard.js';
import type { CoreCoordinator } from './coordinator/CoreCoordinator.js';
import type { RelayLink } from './relays/RelayLink.js';
import type { VideoRoomDO } from './plugins/videoroom/VideoRoomDO.js';

/** Bindings and vars of the Worker (wrangler.toml [vars]; secrets via `wrangler secret put`). */
export interface Env {
  SESSION_SHARD: DurableObjectNamespace<SessionShard>;
  CORE: DurableObjectNamespace<CoreCoordinator>;
  RELAY_LINK: DurableObjectNamespace<RelayLink>;
  VIDEOROOM: DurableObjectNamespace<VideoRoomDO>;
  /** Shared secret of the edge⇄relay control plane; without it no relay can connect. */
  RELAY_SECRET?: string;
  SESSION_TIMEOUT?: string;
  RECLAIM_SESSION_TIMEOUT?: string;
  CANDIDATES_TIMEOUT?: string;
  ADMIN_SECRET?: string;
  API_SECRET?: string;
  TOKEN_AUTH?: string;
  TOKEN_AUTH_SECRET?: string;
  EVENTS_URL?: string;
  SERVER_NAME?: string;
  SHARD_COUNT?: string;
  MAX_BODY_BYTES?: string;
  STATUS_PERIOD?: string;
  TEST_PLUGINS?: string;
  VIDEOROOM_STRING_IDS?: string;
  LOG_LEVEL?: string;
}
