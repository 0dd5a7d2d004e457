import { z } from 'zod';
import { JanusApiError } from '../../../shared/janus/errors.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../plugin.js';
import { recordingDoneEvent } from '../recordingEvents.js';
import { EchoTestError } from './errors.js';

const ECHOTEST = 'janus.plugin.echotest';
import { echoRecordingTarget, recordingFiles, type EchoRecording } from './recording.js';

const echoRequest = z.object({
  audio: z.boolean().optional(),
  video: z.boolean().optional(),
  data: z.boolean().optional(),
  bitrate: z.number().int().nonnegative().optional(),
  record: z.boolean().optional(),
  filename: z.string().max(1224).optional(),
  substream: z.number().int().min(0).max(2).optional(),
  temporal: z.number().int().min(0).max(2).optional(),
  fallback: z.number().int().nonnegative().optional(),
});

interface EchoState {
  audio?: boolean;
  video?: boolean;
  bitrate?: number;
  /** While the relay records the echo: the files, as Janus's handle_info and events list them. */
  recording?: EchoRecording;
}

/** Applies one request: settings, and an offer (new or renegotiating) or an answer. */
async function handle(ctx: HandleContext, message: PluginMessage): Promise<Jsep | undefined> {
  const parsed = echoRequest.safeParse(message.body);
  if (!parsed.success) throw new JanusApiError(EchoTestError.INVALID_ELEMENT, validationError(parsed.error.issues[0]));
  const { record, filename, fallback: _fb, ...settings } = parsed.data;
  // A filename that cannot work is refused before anything changes (Janus only logs the failed open).
  const target = record ? echoRecordingTarget(filename, ctx.handleId, Date.now()) : undefined;
  let answer: Jsep | undefined;
  let configured = false;
  const jsep = message.jsep;
  if (jsep?.type === 'offer') {
    let result: Record<string, unknown>;
    if (ctx.media.hasPeer)
      result = await ctx.media.command('peer.offer', { sdp: jsep.sdp, iceRestart: jsep.restart === true });
    else {
      // The relay's answer carries its candidates, as Janus's does without full-trickle.
      result = await ctx.media.open({ sdp: jsep.sdp }, settings);
      configured = true;
    }
    answer = result.answer as Jsep;
  } else if (jsep?.type === 'answer') {
    await ctx.media.command('peer.answer', { sdp: jsep.sdp });
  }
  if (Object.keys(settings).length > 0) {
    if (ctx.media.hasPeer && !configured) await ctx.media.command('echo.configure', settings);
    ctx.setState({ ...ctx.getState<EchoState>(), ...settings });
  }
  // As Janus: recording applies to the PeerConnection there is (none yet: nothing to record).
  if (record !== undefined && ctx.media.hasPeer) {
    const recording = setRecording(ctx, target);
    // With an offer in the same message the negotiation stands (its answer must reach the client, as in
    // Janus, which only logs a recorder that failed): the failure goes to event handlers.
    if (answer)
      await recording.catch((err: unknown) =>
        ctx.notifyEvent({ event: 'recording', error: err instanceof Error ? err.message : String(err) }),
      );
    else await recording;
  }
  if (Object.keys(settings).length > 0 || record !== undefined) {
    const recording = ctx.getState<EchoState>()?.recording;
    ctx.notifyEvent({
      audio_active: settings.audio ?? true,
      video_active: settings.video ?? true,
      bitrate: settings.bitrate ?? 0,
      ...(recording ? { recording } : {}),
    });
  }
  return answer;
}

/**
 * `record: true` (a target) starts recording the echo's incoming media, one file per kind, under new
 * names even while recording (Janus opens new files); `record: false` (none) stops.
 */
async function setRecording(ctx: HandleContext, target: { dir?: string; base: string } | undefined): Promise<void> {
  const state = ctx.getState<EchoState>() ?? {};
  if (state.recording || !target) {
    await ctx.media.command('peer.record', { record: false, naming: 'kind' });
    ctx.setState({ ...state, recording: undefined });
  }
  if (!target) return;
  const started = await ctx.media
    .command('peer.record', { record: true, ...target, naming: 'kind', report: { plugin: ECHOTEST, ids: {} } })
    .catch((err: unknown) => {
      throw new JanusApiError(
        EchoTestError.MEDIA,
        `Error starting recording (${err instanceof Error ? err.message : String(err)})`,
      );
    });
  ctx.setState({ ...ctx.getState<EchoState>(), recording: recordingFiles(started.files) });
}

function validationError(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'Invalid value';
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type')
    return `Invalid element type (${field} should be ${issue.expected === 'int' || issue.expected === 'number' ? 'a positive integer' : `a ${issue.expected}`})`;
  return `Invalid value (${field})`;
}

/**
 * `janus.plugin.echotest`: answers like Janus's (ack, then `{echotest:"event", result:"ok"}` with the
 * request's transaction). Media is echoed by the relay that holds the handle's PeerConnection.
 */
export const echoTest: Plugin = {
  info: {
    package: ECHOTEST,
    name: 'JANUS EchoTest plugin',
    author: 'Meetecho s.r.l.',
    description: 'This is a trivial EchoTest plugin for Janus, just used to showcase the plugin interface.',
    version: 7,
    versionString: '0.0.7',
  },
  createHandle() {},
  handleMessage(ctx, message): PluginResult {
    // Janus's echotest works in its own thread and reports the outcome as an event: so do we, so the
    // API never waits on the relay.
    void handle(ctx, message).then(
      (jsep) => ctx.pushEvent({ echotest: 'event', result: 'ok' }, jsep, message.transaction),
      (err: unknown) => {
        const code = err instanceof JanusApiError ? err.code : EchoTestError.MEDIA;
        ctx.pushEvent(
          { echotest: 'event', error_code: code, error: err instanceof Error ? err.message : String(err) },
          undefined,
          message.transaction,
        );
      },
    );
    return { kind: 'ack', hint: "I'm taking my time!" };
  },
  hangupMedia(ctx) {
    // As Janus's echotest: the client hears that the echo is over (the relay closed the recordings with the peer).
    ctx.pushEvent({ echotest: 'event', result: 'done' });
    ctx.notifyEvent({ event: 'hangup' });
    const state = ctx.getState<EchoState>();
    if (state?.recording) ctx.setState({ ...state, recording: undefined });
  },
  recordingClosed(ctx, e) {
    // Janus tells nobody when a recording ends; event handlers hear of it here (type 64).
    ctx.notifyEvent(recordingDoneEvent(e, {}));
  },
  destroyHandle() {},
  async handleAdminMessage(request) {
    // As Janus's echotest: nothing to administer, so message_plugin gets back what it sent.
    return structuredClone(request);
  },
  async queryHandle(ctx) {
    const st = ctx.getState<EchoState>() ?? {};
    // The relay holding the PeerConnection knows the client's REMB and the slowlinks it reported.
    const info = ctx.media.hasPeer ? await ctx.media.command('peer.info', {}).catch(() => undefined) : undefined;
    return {
      audio_active: st.audio ?? true,
      video_active: st.video ?? true,
      bitrate: st.bitrate ?? 0,
      'peer-bitrate': info?.peerBitrate ?? 0,
      slowlink_count: info?.slowlinkCount ?? 0,
      ...(st.recording ? { recording: st.recording } : {}),
      hangingup: 0,
      destroyed: 0,
    };
  },
};
