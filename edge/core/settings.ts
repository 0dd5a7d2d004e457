import type { RelaySettings } from '../../shared/control/messages.js';
import { applyEventDeliverySettings } from '../events/eventMask.js';
import { applyJanusLogLevel, applyLogTimestamps } from '../log.js';

/** Runtime settings an admin can change, owned by the core coordinator and cached by every shard. */
export interface SharedSettings {
  version: number;
  sessionTimeout: number;
  acceptNewSessions: boolean;
  tokens: Record<string, string[]>;
  /** Janus log level (0–7) set by admin `set_log_level`; absent until then (the configured LOG_LEVEL). */
  logLevel?: number;
  /** Whether JSON log lines carry a `time` field (admin `set_log_timestamps`); absent: no. */
  logTimestamps?: boolean;
  /** The event handler's `events` mask and `grouping` once `query_eventhandler` tweaked them (else the configured ones). */
  eventsMask?: number;
  eventsGrouping?: boolean;
  /** Janus no_media_timer (seconds) and slowlink_threshold (lost packets per second), set by the admin
   * and pushed to every relay; absent until then (each relay's own settings). */
  noMediaTimer?: number;
  slowlinkThreshold?: number;
  /** Janus min_nack_queue (ms a sent video packet can be retransmitted), pushed to every relay; absent: the default. */
  minNackQueue?: number;
}

/** The relay-wide part of the settings, as the `settings` control message carries it. */
export function relaySettingsOf(
  s: Pick<SharedSettings, 'noMediaTimer' | 'slowlinkThreshold' | 'minNackQueue'>,
): RelaySettings {
  return {
    ...(s.noMediaTimer !== undefined ? { noMediaTimerSec: s.noMediaTimer } : {}),
    ...(s.slowlinkThreshold !== undefined ? { slowlinkThreshold: s.slowlinkThreshold } : {}),
    ...(s.minNackQueue !== undefined ? { minNackQueueMs: s.minNackQueue } : {}),
  };
}

/**
 * Puts the settings that act on a whole isolate (log level, event delivery) in force here. Every
 * object that receives the settings calls it, so loggers and event sinks follow the admin.
 */
export function applyIsolateSettings(s: SharedSettings): void {
  applyJanusLogLevel(s.logLevel);
  applyLogTimestamps(s.logTimestamps);
  applyEventDeliverySettings({ mask: s.eventsMask, grouping: s.eventsGrouping });
}
