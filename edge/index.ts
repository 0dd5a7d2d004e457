import { app } from './app.js';
import type { Env } from './env.js';

export { SessionShard } from './core/SessionShard.js';
export { CoreCoordinator } from './core/CoreCoordinator.js';
export { RelayLink } from './relays/RelayLink.js';
export { VideoRoomDO } from './plugins/videoroom/VideoRoomDO.js';
export { AudioBridgeDO } from './plugins/audiobridge/AudioBridgeDO.js';
export { AudioBridgeIndexDO } from './plugins/audiobridge/AudioBridgeIndexDO.js';
export { StreamingDO } from './plugins/streaming/StreamingDO.js';
export { TurnLimiter } from './turn/TurnLimiter.js';
export { LocalEntry } from './localEntry.js';

export default app satisfies ExportedHandler<Env>;
