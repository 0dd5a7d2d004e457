import type { Jsep } from '../../../shared/janus/requests.js';
import type { HandleContext, PluginMessage } from '../plugin.js';
import { RecordPlayError, RecordPlayFailure } from './errors.js';
import { recordRequest } from './requests.js';
import { carries } from './sdpKinds.js';
import type { PlayerState } from './state.js';

/** A new recording's id when the client names none: random, as Janus's, within JSON's safe integers. */
function randomRecordingId(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2));
  return (hi! & 0x1fffff) * 2 ** 32 + lo! || 1;
}

/**
 * `record` (janus_recordplay.c): the client's offer is required (checked first, as Janus), then the
 * elements; the relay answers recvonly and records the first audio and video m-line into its folder
 * (420 when the id is taken there). The answer comes with `{status:"recording", id}`; event handlers get
 * `{event:"recording", id, audio, video}`.
 */
export async function record(
  ctx: HandleContext,
  message: PluginMessage,
): Promise<{ data: Record<string, unknown>; jsep?: Jsep }> {
  const jsep = message.jsep;
  if (jsep?.type !== 'offer') throw new RecordPlayFailure(RecordPlayError.MISSING_ELEMENT, 'Missing SDP offer');
  const params = recordRequest(message.body);
  if ((jsep as { update?: unknown }).update === true || jsep.restart === true)
    throw new RecordPlayFailure(
      RecordPlayError.UNKNOWN_ERROR,
      'Renegotiating a recording is not supported by this gateway',
    );
  if (ctx.media.hasPeer || ctx.getState<PlayerState>())
    throw new RecordPlayFailure(
      RecordPlayError.INVALID_STATE,
      'Already in a recording or playout session (stop it first)',
    );
  const id = params.id ?? randomRecordingId();
  const result = await ctx.media.open(
    { sdp: jsep.sdp },
    {
      record: {
        id,
        name: params.name,
        ...(params.filename !== undefined ? { filename: params.filename } : {}),
        ...(params.audiocodec ? { audiocodec: params.audiocodec } : {}),
        ...(params.videocodec ? { videocodec: params.videocodec } : {}),
      },
    },
  );
  if (!('answer' in result)) throw new RecordPlayFailure(RecordPlayError.UNKNOWN_ERROR, 'The relay made no answer');
  ctx.setState({ recording: id, playing: false, recorder: true } satisfies PlayerState);
  // as Janus, handlers hear which kinds are recorded
  const sdp = result.answer.sdp;
  ctx.notifyEvent({
    event: 'recording',
    id,
    audio: carries(sdp, 'audio', 'recvonly'),
    video: carries(sdp, 'video', 'recvonly'),
  });
  return { data: { recordplay: 'event', result: { status: 'recording', id } }, jsep: result.answer };
}
