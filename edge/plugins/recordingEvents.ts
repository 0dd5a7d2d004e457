import type { RecordingClosedEvent } from '../../shared/control/recording.js';
import { EventType } from '../../shared/janus/events.js';
import type { EventEmitter } from '../core/host.js';

/**
 * A recording file closed on its relay, as a plugin event for event handlers (type 64). Janus emits
 * nothing then; the name is the AudioBridge's `recordingdone`. `size` in bytes, `duration` in ms (first
 * to last packet written); `damaged` when packets were dropped (`dropped`), `error` when it ended early.
 */
export function recordingDoneEvent(e: RecordingClosedEvent, ids: Record<string, unknown>): Record<string, unknown> {
  return {
    event: 'recordingdone',
    ...ids,
    mid: e.file.mid,
    media: e.file.kind,
    path: e.file.path,
    size: e.bytes,
    duration: e.durationMs,
    packets: e.packets,
    dropped: e.dropped,
    damaged: e.damaged,
    ...(e.error !== undefined ? { error: e.error } : {}),
  };
}

/**
 * A recording closed after its handle went away (the session ended right after a stop, or while the
 * files were being flushed after a hang-up): reported to event handlers all the same, with the plugin
 * and ids the plugin gave the relay when it started recording.
 */
export function reportRecordingOfGoneHandle(
  events: EventEmitter,
  sessionId: number,
  handleId: number,
  e: RecordingClosedEvent,
): void {
  if (!e.report) return;
  events.emit(
    EventType.PLUGIN,
    { plugin: e.report.plugin, data: recordingDoneEvent(e, e.report.ids) },
    { sessionId, handleId },
  );
}
