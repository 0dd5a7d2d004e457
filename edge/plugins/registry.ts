import type { EdgeConfig } from '../config.js';
import type { Env } from '../env.js';
import { videoRoomPlugin } from './videoroom.js';
import { echoTest } from './echotest.js';
import type { Plugin } from './plugin.js';
import { slowTest } from './slowtest.js';

/** The plugins this edge serves, by package name. Test-only plugins load with TEST_PLUGINS=true. */
export function pluginRegistry(config: EdgeConfig, env: Env): Map<string, Plugin> {
  const list: Plugin[] = [echoTest, videoRoomPlugin(env, config.videoroomStringIds)];
  if (config.testPlugins) list.push(slowTest);
  return new Map(list.map((p) => [p.info.package, p]));
}
