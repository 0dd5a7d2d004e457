import type { EdgeConfig } from '../config.js';
import type { Stubs } from '../stubs.js';
import { videoRoomPlugin } from './videoroom/plugin.js';
import { staticRoomIds } from './videoroom/staticRoomConfig.js';
import { echoTest } from './echotest/echotest.js';
import { recordPlay } from './recordplay/plugin.js';
import { audioBridgePlugin } from './audiobridge/plugin.js';
import { abStaticRoomIds } from './audiobridge/staticRoomConfig.js';
import type { Plugin } from './plugin.js';
import { slowTest } from './slowtest/slowtest.js';
import { streamingPlugin } from './streaming/plugin.js';

/** The plugins this edge serves, by package name. Test-only plugins load with TEST_PLUGINS=true. */
export function pluginRegistry(config: EdgeConfig, stubs: Stubs): Map<string, Plugin> {
  const list: Plugin[] = [
    echoTest,
    videoRoomPlugin(stubs, config.videoroomStringIds, staticRoomIds(config.videoroomRooms)),
    recordPlay,
    audioBridgePlugin(stubs, config.audiobridgeStringIds, abStaticRoomIds(config.audiobridgeRooms)),
    streamingPlugin(stubs),
  ];
  if (config.testPlugins) list.push(slowTest);
  return new Map(list.map((p) => [p.info.package, p]));
}
