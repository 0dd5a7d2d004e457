import { z } from 'zod';
import type { Plugin, PluginResult } from './plugin.js';

/** EchoTest error codes (janus_echotest.c). */
export const EchoTestError = { NO_MESSAGE: 411, INVALID_JSON: 412, INVALID_ELEMENT: 413, INVALID_SDP: 414, MEDIA: 415 } as const;

const echoRequest = z.object({
  audio: z.boolean().optional(),
  video: z.boolean().optional(),
  data: z.boolean().optional(),
  bitrate: z.number().int().nonnegative().optional(),
  record: z.boolean().optional(),
  filename: z.string().optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
  fallback: z.number().int().nonnegative().optional(),
});

function validationError(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type') return `Invalid element type (${field} should be ${issue.expected === 'int' || issue.expected === 'number' ? 'a positive integer' : `a ${issue.expected}`})`;
  return `Invalid value (${field})`;
}

/**
 * `janus.plugin.echotest`: answers like Janus's (ack, then `{echotest:"event", result:"ok"}` with the
 * request's transaction). Media is echoed by the relay that holds the handle's PeerConnection.
 */
export const echoTest: Plugin = {
  info: {
    package: 'janus.plugin.echotest',
    name: 'JANUS EchoTest plugin',
    author: 'Meetecho s.r.l.',
    description: 'This is a trivial EchoTest plugin for Janus, just used to showcase the plugin interface.',
    version: 7,
    versionString: '0.0.7',
  },
  createHandle() {},
  handleMessage(ctx, message): PluginResult {
    const parsed = echoRequest.safeParse(message.body);
    // Janus's echotest validates inside its handler thread and reports problems as events.
    queueMicrotask(() => {
      if (!parsed.success) {
        ctx.pushEvent({ echotest: 'event', error_code: EchoTestError.INVALID_ELEMENT, error: validationError(parsed.error.issues[0]!) }, undefined, message.transaction);
        return;
      }
      if (parsed.data.record) {
        ctx.pushEvent({ echotest: 'event', error_code: EchoTestError.INVALID_ELEMENT, error: 'Recording is not supported yet' }, undefined, message.transaction);
        return;
      }
      if (message.jsep) {
        ctx.pushEvent({ echotest: 'event', error_code: EchoTestError.MEDIA, error: 'No media relay available' }, undefined, message.transaction);
        return;
      }
      ctx.pushEvent({ echotest: 'event', result: 'ok' }, undefined, message.transaction);
      ctx.notifyEvent({ audio_active: parsed.data.audio ?? true, video_active: parsed.data.video ?? true });
    });
    return { kind: 'ack' };
  },
  hangupMedia(ctx) {
    ctx.notifyEvent({ event: 'hangup' });
  },
  destroyHandle() {},
  queryHandle() {
    return {};
  },
};
