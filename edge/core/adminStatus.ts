import { z } from 'zod';
import { JanusApiError, JanusError } from '../../shared/janus/errors.js';
import { parseJanus, positiveInt } from '../../shared/janus/validate.js';
import { DEFAULT_MIN_NACK_QUEUE_MS, MAX_MIN_NACK_QUEUE_MS } from '../../shared/control/messages.js';
import type { EdgeConfig } from '../config.js';
import { janusLogLevel } from '../log.js';
import type { CoreCoordinatorApi } from './coreApi.js';

type Core = Pick<CoreCoordinatorApi, 'getSettings' | 'updateSettings'>;

/** The global admin requests about the server's own settings: `get_status`, `set_log_level`, `loops_info`. */
export const statusVerbs = new Set([
  'get_status',
  'set_log_level',
  'loops_info',
  'set_no_media_timer',
  'set_slowlink_threshold',
  'set_locking_debug',
  'set_refcount_debug',
  'set_nack_optimizations',
  'set_min_nack_queue',
]);

const setLogLevelSchema = z.object({ level: z.number().int() });
const setNoMediaTimerSchema = z.object({ no_media_timer: positiveInt.max(3600) });
const setSlowlinkThresholdSchema = z.object({ slowlink_threshold: positiveInt.max(1_000_000) });
const setMinNackQueueSchema = z.object({ min_nack_queue: positiveInt });
const debugSchema = z.object({ debug: z.boolean() });
const nackOptimizationsSchema = z.object({ nack_optimizations: z.boolean() });

/** What a relay uses until an admin sets it (relay/config.ts RELAY_NO_MEDIA_TIMER's default; no slowlink). */
const RELAY_DEFAULT_NO_MEDIA_TIMER = 1;

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
          // JSON lines: a `time` field once set_log_timestamps turned it on; never colours.
          log_timestamps: s.logTimestamps ?? false,
          log_colors: false,
          locking_debug: false,
          refcount_debug: false,
          libnice_debug: false,
          min_nack_queue: s.minNackQueue ?? DEFAULT_MIN_NACK_QUEUE_MS,
          'nack-optimizations': false,
          no_media_timer: s.noMediaTimer ?? RELAY_DEFAULT_NO_MEDIA_TIMER,
          slowlink_threshold: s.slowlinkThreshold ?? 0,
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
    case 'set_no_media_timer': {
      // Every relay applies it at once (and one that registers later, with its welcome).
      const { no_media_timer } = parseJanus(setNoMediaTimerSchema, raw);
      await core.updateSettings({ noMediaTimer: no_media_timer });
      return { no_media_timer };
    }
    case 'set_slowlink_threshold': {
      const { slowlink_threshold } = parseJanus(setSlowlinkThresholdSchema, raw);
      await core.updateSettings({ slowlinkThreshold: slowlink_threshold });
      return { slowlink_threshold };
    }
    case 'set_min_nack_queue': {
      // Every relay (and one that registers later) has its VideoRoom subscriber legs resend a NACKed video
      // packet only while it is this young, or within the subscriber's RTT; 0: never. The EchoTest's
      // retransmissions are werift's own (its last 128 packets), which this does not bound.
      const { min_nack_queue } = parseJanus(setMinNackQueueSchema, raw);
      if (min_nack_queue > MAX_MIN_NACK_QUEUE_MS)
        throw new JanusApiError(
          JanusError.INVALID_ELEMENT_TYPE,
          `Invalid element type (min_nack_queue should be at most ${MAX_MIN_NACK_QUEUE_MS})`,
        );
      await core.updateSettings({ minNackQueue: min_nack_queue });
      return { min_nack_queue };
    }
    case 'set_locking_debug':
    case 'set_refcount_debug': {
      // Janus traces its C mutexes and reference counts; we have neither, so only "off" is true.
      const { debug } = parseJanus(debugSchema, raw);
      const key = verb === 'set_locking_debug' ? 'locking_debug' : 'refcount_debug';
      if (debug)
        throw new JanusApiError(
          JanusError.UNKNOWN,
          `${key} is not supported: there are no C mutexes or reference counters to trace (${key} stays false)`,
        );
      return { [key]: false };
    }
    case 'set_nack_optimizations': {
      // Janus's optimization empties a video NACK buffer on every keyframe it sends; relays keep theirs.
      const { nack_optimizations } = parseJanus(nackOptimizationsSchema, raw);
      if (nack_optimizations)
        throw new JanusApiError(
          JanusError.UNKNOWN,
          'nack-optimizations are not supported: relays do not clear the retransmission history on keyframes (nack-optimizations stays false)',
        );
      return { 'nack-optimizations': false };
    }
    case 'loops_info':
      // Janus lists its static event loops; the edge has none (each Durable Object is its own loop).
      return { loops: [] };
  }
  throw new JanusApiError(JanusError.UNKNOWN_REQUEST, `Unknown request '${verb}'`);
}
