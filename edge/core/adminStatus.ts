import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus } from '../../shared/janus/validate.js';
import type { EdgeConfig } from '../config.js';
import { janusLogLevel } from '../log.js';
import type { CoreCoordinatorApi } from './coreApi.js';

type Core = Pick<CoreCoordinatorApi, 'getSettings' | 'updateSettings'>;

/** The global admin requests about the server's own settings: `get_status`, `set_log_level`, `loops_info`. */
export const statusVerbs = new Set(['get_status', 'set_log_level', 'loops_info']);

const setLogLevelSchema = z.object({ level: z.number().int() });

export async function statusRequest(
  core: Core,
  config: Pick<EdgeConfig, 'tokenAuth' | 'reclaimSessionTimeout' | 'candidatesTimeout' | 'logLevel'>,
  verb: string,
  raw: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  switch (verb) {
    case 'get_status': {
      const s = await core.getSettings();
      return {
        status: {
          token_auth: config.tokenAuth,
          session_timeout: s.sessionTimeout,
          reclaim_session_timeout: config.reclaimSessionTimeout,
          candidates_timeout: config.candidatesTimeout,
          log_level: s.logLevel ?? janusLogLevel(config.logLevel),
          // Structured JSON lines: no timestamp prefix, no colours.
          log_timestamps: false,
          log_colors: false,
          locking_debug: false,
          refcount_debug: false,
          libnice_debug: false,
          min_nack_queue: 200,
          'nack-optimizations': false,
          no_media_timer: 1,
          slowlink_threshold: 0,
          accepting_new_sessions: s.acceptNewSessions,
        },
      };
    }
    case 'set_log_level': {
      const { level } = parseJanus(setLogLevelSchema, raw);
      if (level < 0 || level > 7)
        throw new JanusApiError(
          JanusError.INVALID_ELEMENT_TYPE,
          'Invalid element type (level should be between 0 and 7)',
        );
      await core.updateSettings({ logLevel: level });
      return { level };
    }
    case 'loops_info':
      // Janus lists its static event loops; the edge has none (each Durable Object is its own loop).
      return { loops: [] };
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}
