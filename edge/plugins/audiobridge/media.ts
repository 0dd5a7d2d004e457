import type { Jsep } from '../../../shared/janus/requests.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import type { RelayRef } from '../../relays/relayClient.js';
import { unwrap } from '../../rpc.js';
import type { HandleContext } from '../plugin.js';
import type { AudioBridgeApi } from './audioBridgeApi.js';
import { AB, abError, AudioBridgeError } from './errors.js';
import { joinedState, who, type AbHandleState } from './handleState.js';
import { rtpSchema } from './schemas.js';
import type { JanusData } from './state.js';

/** Whether an SDP negotiates the RFC 6464 audio-level extension (Janus lists `talking` only then). */
export function negotiatesAudioLevel(sdp: string): boolean {
  return /^a=extmap:\d+(\/\w+)? urn:ietf:params:rtp-hdrext:ssrc-audio-level/m.test(sdp);
}

/** The media is set up: the room hears it, the handle remembers the audio level for a changeroom. */
async function ready(ctx: HandleContext, room: AudioBridgeApi, audioLevel: boolean): Promise<void> {
  await room.mediaReady(who(ctx), audioLevel);
  const st = ctx.getState<AbHandleState>();
  if (st) ctx.setState({ ...st, audioLevel } satisfies AbHandleState);
}

/**
 * A participant's media: a PeerConnection (the client's offer answered, or the relay's offer for
 * `generate_offer`) or a plain-RTP leg. The room picks the relay: its mixer's, the handle's usual
 * placement (its region's) being the candidate when the room has none yet; a PeerConnection of a
 * client whose region the mixer's relay does not serve stays on its own relay, bridged (bridging.ts).
 */
export async function openMedia(
  ctx: HandleContext,
  room: AudioBridgeApi,
  offer: Jsep | undefined,
): Promise<Jsep | undefined> {
  const candidate = await ctx.media.place();
  const audioLevel = offer ? negotiatesAudioLevel(offer.sdp) : true;
  const { relay, place } = unwrap(await room.placeMedia(who(ctx), candidate, audioLevel));
  try {
    const result = await ctx.media.open(offer ? { sdp: offer.sdp } : undefined, place, relay);
    const st = joinedState(ctx);
    // a bridged PeerConnection has no mixer of its own to move (changeroom refuses it)
    if (place.bridge && st) ctx.setState({ ...st, bridged: true });
    if ('answer' in result) {
      await ready(ctx, room, negotiatesAudioLevel(result.answer.sdp));
      return result.answer;
    }
    return 'offer' in result ? result.offer : undefined;
  } catch (err) {
    await room.mediaFailed(who(ctx));
    throw err;
  }
}

/** A plain-RTP participant's leg (`join` with `rtp`): Janus answers where to send in the `joined` event's `rtp`. */
export async function openPlainRtp(
  ctx: HandleContext,
  room: AudioBridgeApi,
  rtp: Record<string, unknown>,
): Promise<{ rtp: JanusData; relay: RelayRef }> {
  const r = parseJanus(rtpSchema, rtp, AB);
  const candidate = await ctx.media.place();
  const { relay, place } = unwrap(await room.placeMedia(who(ctx), candidate));
  try {
    const leg = await ctx.media.commandAt(relay, 'ab.rtpJoin', {
      ...place,
      rtp: {
        ...(r.ip !== undefined ? { ip: r.ip } : {}),
        ...(r.port !== undefined ? { port: r.port } : {}),
        ...(r.payload_type !== undefined ? { payloadType: r.payload_type } : {}),
        ...(r.audiolevel_ext !== undefined ? { audioLevelExt: r.audiolevel_ext } : {}),
        ...(r.fec !== undefined ? { fec: r.fec } : {}),
      },
    });
    await ready(ctx, room, r.audiolevel_ext !== undefined);
    // As Janus (a simulated setup_media): no handshake to wait for.
    await room.setupMedia(who(ctx));
    return {
      rtp: { ip: leg.ip, port: leg.port, ...(r.payload_type !== undefined ? { payload_type: r.payload_type } : {}) },
      relay,
    };
  } catch (err) {
    await room.mediaFailed(who(ctx));
    throw err;
  }
}

/** A client's JSEP on configure: an offer opens or renegotiates, an answer completes a relay's offer. */
export async function negotiate(ctx: HandleContext, room: AudioBridgeApi, jsep: Jsep): Promise<Jsep | undefined> {
  if (jsep.type === 'answer') {
    if (!ctx.media.hasPeer) throw abError(AudioBridgeError.INVALID_SDP, 'Unexpected answer (no offer was made)');
    await ctx.media.command('peer.answer', { sdp: jsep.sdp });
    await ready(ctx, room, negotiatesAudioLevel(jsep.sdp));
    return undefined;
  }
  if (!ctx.media.hasPeer) return openMedia(ctx, room, jsep);
  const out = await ctx.media.command('peer.offer', { sdp: jsep.sdp, iceRestart: jsep.restart === true });
  return out.answer;
}
