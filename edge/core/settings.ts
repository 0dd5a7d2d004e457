import { applyEventDeliverySettings } from '../events/eventMask.js';
import { applyJanusLogLevel } from '../log.js';

/** Runtime settings an admin can change, owned by the core coordinator and cached by every shard. */
export interface SharedSettings {
  version: number;
  sessionTimeout: number;
  acceptNewSessions: boolean;
  tokens: Record<string, string[]>;
  /** Janus log level (0–7) set by admin `set_log_level`; absent until then (the configured LOG_LEVEL). */
  logLevel?: number;
  /** The event handler's `events` mask and `grouping` once `query_eventhandler` tweaked them (else the configured ones). */
  eventsMask?: number;
  eventsGrouping?: boolean;
}

/**
 * Puts the settings that act on a whole isolate (log level, event delivery) in force here. Every
 * object that receives the settings calls it, so loggers and event sinks follow the admin.
 */
export function applyIsolateSettings(s: SharedSettings): void {
  applyJanusLogLevel(s.logLevel);
  applyEventDeliverySettings({ mask: s.eventsMask, grouping: s.eventsGrouping });
}
