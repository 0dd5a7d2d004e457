import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus } from '../../shared/janus/validate.js';
import { levelOfJanus, type Logger } from '../log.js';
import type { CoreCoordinatorApi } from './coreApi.js';
import { applyIsolateSettings } from './settings.js';

type Core = Pick<CoreCoordinatorApi, 'getSettings' | 'updateSettings'>;

/** The global admin requests about our log: `set_log_timestamps`, `set_log_colors`, `custom_logline`, `query_logger`. */
export const loggingVerbs = new Set(['set_log_timestamps', 'set_log_colors', 'custom_logline', 'query_logger']);

const timestampsSchema = z.object({ timestamps: z.boolean() });
const colorsSchema = z.object({ colors: z.boolean() });
const loglineSchema = z.object({ line: z.string(), level: z.number().int().nonnegative().optional() });
const queryLoggerSchema = z.object({ logger: z.string() });

/** Janus's LOG_INFO: custom_logline's default level, and what Janus uses for a level above LOG_MAX (7). */
const LOG_INFO = 4;

export async function loggingRequest(
  core: Core,
  log: Logger,
  verb: string,
  raw: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  switch (verb) {
    case 'set_log_timestamps': {
      // Every isolate's loggers add (or stop adding) a `time` field to their JSON lines.
      const { timestamps } = parseJanus(timestampsSchema, raw);
      await core.updateSettings({ logTimestamps: timestamps });
      return { log_timestamps: timestamps };
    }
    case 'set_log_colors': {
      const { colors } = parseJanus(colorsSchema, raw);
      if (colors)
        throw new JanusApiError(
          JanusError.UNKNOWN,
          'Log colors are not supported: logs are JSON lines, which have no colors (log_colors stays false)',
        );
      return { log_colors: false };
    }
    case 'custom_logline': {
      const { line, level = LOG_INFO } = parseJanus(loglineSchema, raw);
      // As Janus: 0 (LOG_NONE) is never written, a level above 7 is written as info.
      const name = levelOfJanus(level > 7 ? LOG_INFO : level);
      // The Worker running this request may not have had the settings pushed (only objects get them):
      // the line follows the admin's log level and timestamps all the same.
      applyIsolateSettings(await core.getSettings());
      if (name !== 'silent') log.log(name, line, { source: 'custom_logline' });
      return {};
    }
    case 'query_logger':
      parseJanus(queryLoggerSchema, raw);
      // Janus's loggers are plugins (e.g. janus.logger.jsonlog); ours is built in, so none is named.
      throw new JanusApiError(JanusError.PLUGIN_NOT_FOUND, 'Invalid logger');
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}
