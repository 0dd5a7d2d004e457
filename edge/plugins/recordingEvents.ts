import type { RecordingClosedEvent } from '../../shared/control/recording.js';

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
