import { JanusApiError } from '../../../shared/janus/errors.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import type { RecordingSummary } from '../../../shared/control/playback.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../plugin.js';
import { errorEvent, RecordPlayError, RecordPlayFailure } from './errors.js';
import { record } from './record.js';
import { carries } from './sdpKinds.js';
import type { PlayerState } from './state.js';
import { playRequest, requestName, type RecordPlayRequest } from './requests.js';

/** Janus's `list` entry. */
function listEntry(r: RecordingSummary): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    date: r.date,
    audio: r.audio !== undefined,
    ...(r.audio ? { audio_codec: r.audio.codec } : {}),
    video: r.video !== undefined,
    ...(r.video ? { video_codec: r.video.codec } : {}),
    data: r.data !== undefined,
  };
}

/** `configure` (a recorder's bitrate/keyframe interval), `pause` and `resume` are not built: refused. */
function recordingUnsupported(request: string): RecordPlayFailure {
  return new RecordPlayFailure(
    RecordPlayError.UNKNOWN_ERROR,
    `${request} is not supported by this gateway; recordings can be made (record), listed and played`,
  );
}

async function list(ctx: HandleContext): Promise<Record<string, unknown>> {
  // Recordings live on media hosts: the relay this handle's media would use lists its folder.
  const relay = await ctx.media.place();
  const { recordings } = await ctx.media.commandAt(relay, 'playback.list', {});
  return { recordplay: 'list', list: recordings.map(listEntry) };
}

async function play(
  ctx: HandleContext,
  body: Record<string, unknown>,
): Promise<{ data: Record<string, unknown>; jsep?: Jsep }> {
  const { id, restart } = playRequest(body);
  const state = ctx.getState<PlayerState>();
  if (restart) {
    if (!state) throw new RecordPlayFailure(RecordPlayError.INVALID_STATE, "Not a playout session, can't restart");
    throw new RecordPlayFailure(RecordPlayError.UNKNOWN_ERROR, 'ICE restart of a playout is not supported');
  }
  if (ctx.media.hasPeer || state)
    throw new RecordPlayFailure(RecordPlayError.INVALID_STATE, 'Already in a playout session (stop it first)');
  const result = await ctx.media.open(undefined, { recording: id });
  if (!('offer' in result)) throw new RecordPlayFailure(RecordPlayError.UNKNOWN_ERROR, 'The relay made no offer');
  ctx.setState({ recording: id, playing: false } satisfies PlayerState);
  const sdp = result.offer.sdp;
  ctx.notifyEvent({
    event: 'playout',
    id,
    audio: carries(sdp, 'audio', 'sendonly'),
    video: carries(sdp, 'video', 'sendonly'),
  });
  return { data: { recordplay: 'event', result: { status: 'preparing', id } }, jsep: result.offer };
}

async function start(ctx: HandleContext, jsep: Jsep | undefined): Promise<Record<string, unknown>> {
  const state = ctx.getState<PlayerState>();
  if (!state || state.recorder || !ctx.media.hasPeer)
    throw new RecordPlayFailure(RecordPlayError.INVALID_STATE, "Not a playout session, can't start");
  if (state.playing) throw new RecordPlayFailure(RecordPlayError.INVALID_STATE, 'Already playing');
  if (jsep?.type !== 'answer') throw new RecordPlayFailure(RecordPlayError.MISSING_ELEMENT, 'Missing SDP answer');
  await ctx.media.command('peer.answer', { sdp: jsep.sdp });
  ctx.setState({ ...state, playing: true } satisfies PlayerState);
  ctx.notifyEvent({ event: 'playing', id: state.recording });
  return { recordplay: 'event', result: { status: 'playing' } };
}

/** The asynchronous requests: each answers with one event carrying the request's transaction. */
async function handleAsync(
  ctx: HandleContext,
  request: RecordPlayRequest,
  message: PluginMessage,
): Promise<{ data: Record<string, unknown>; jsep?: Jsep; after?: () => void }> {
  switch (request) {
    case 'record':
      return record(ctx, message);
    case 'play':
      return play(ctx, message.body);
    case 'start':
      return { data: await start(ctx, message.jsep) };
    case 'stop': {
      // As Janus: `stopped` (with the recording's id), then `done` once the PeerConnection is gone (hangupMedia);
      // a recorder's relay closes its files and writes the recording's .nfo as the PeerConnection ends.
      const recording = ctx.getState<PlayerState>()?.recording;
      ctx.setState(undefined);
      if (recording !== undefined) ctx.notifyEvent({ event: 'stopped', id: recording });
      return {
        data: { recordplay: 'event', result: { status: 'stopped', ...(recording ? { id: recording } : {}) } },
        // `stopped` is held behind the request's `ack`, which is still on its way: the hang-up (`done`,
        // `hangup`) waits one turn so the client hears them after it, as from Janus. A handle gone
        // meanwhile (detach) took its PeerConnection with it.
        after: () => setTimeout(() => ctx.media.close(), 0),
      };
    }
    default:
      throw recordingUnsupported(request);
  }
}

function failure(err: unknown): Record<string, unknown> {
  if (err instanceof RecordPlayFailure || err instanceof JanusApiError) return errorEvent(err.code, err.message);
  return errorEvent(RecordPlayError.UNKNOWN_ERROR, err instanceof Error ? err.message : String(err));
}

/**
 * `janus.plugin.recordplay`: records, lists and plays Janus recordings (`.nfo` + `.mjr`) held by the
 * relays. `list`/`update` answer at once, `record`/`play`/`start`/`stop` with an event; the relay
 * holding the viewer's PeerConnection plays the files and closes it when they end (`done`), the one
 * holding a recorder's writes the files and, when it ends, the `.nfo`.
 */
export const recordPlay: Plugin = {
  info: {
    package: 'janus.plugin.recordplay',
    name: 'JANUS Record&Play plugin',
    author: 'Meetecho s.r.l.',
    description: 'This is a trivial Record&Play plugin for Janus, to record WebRTC sessions and replay them.',
    version: 4,
    versionString: '0.0.4',
  },
  createHandle() {},
  async handleMessage(ctx, message): Promise<PluginResult> {
    let request: RecordPlayRequest;
    try {
      request = requestName(message.body);
      if (request === 'list') return { kind: 'ok', data: await list(ctx) };
      // Every list is read afresh from the relay's folder: there is nothing to rescan.
      if (request === 'update') return { kind: 'ok', data: { recordplay: 'ok' } };
      if (request === 'configure') throw recordingUnsupported(request);
    } catch (err) {
      return { kind: 'ok', data: failure(err) };
    }
    void handleAsync(ctx, request, message).then(
      ({ data, jsep, after }) => {
        ctx.pushEvent(data, jsep, message.transaction);
        after?.();
      },
      (err: unknown) => ctx.pushEvent(failure(err), undefined, message.transaction),
    );
    return { kind: 'ack' };
  },
  hangupMedia(ctx) {
    // Janus's hangup_media: the viewer hears the playout is over (the relay closed the files with the peer).
    ctx.setState(undefined);
    ctx.pushEvent({ recordplay: 'event', result: 'done' });
  },
  destroyHandle(ctx) {
    ctx.setState(undefined);
  },
  queryHandle(ctx) {
    const state = ctx.getState<PlayerState>();
    return {
      type: state ? (state.recorder ? 'recorder' : 'player') : 'none',
      ...(state ? { recording_id: state.recording, playing: state.playing } : {}),
      hangingup: 0,
      destroyed: 0,
    };
  },
};
