import { JanusApiError } from '../../../shared/janus/errors.js';
import { answerLater } from '../answerLater.js';
import { requestNameCode } from '../requestName.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { randomSafeInt } from '../../core/ids.js';
import { unwrap } from '../../rpc.js';
import type { Stubs } from '../../stubs.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../plugin.js';
import { AB, abError, AudioBridgeError, errorEvent, idTypeProblem } from './errors.js';
import {
  groupState,
  handleExists,
  inRoom,
  joinedState,
  participantCommand,
  who,
  type AbHandleState,
  type Result,
} from './handleState.js';
import { isAbRoomCall } from './host.js';
import type { AbBridged } from './audioBridgeApi.js';
import { negotiate, openMedia, openPlainRtp } from './media.js';
import type { JoinOptions } from './participants.js';
import * as S from './schemas.js';
import type { AbRoomId } from './schemas.js';
import { audioBridgeObjectName, type HandleAddress, type JanusData } from './state.js';
import { recordingDoneEvent } from '../recordingEvents.js';

const PKG = 'janus.plugin.audiobridge';

/**
 * Where a participant's media is, for the room a changeroom moves it to (which must mix there, or
 * nowhere yet): its mixer's relay, and a bridged one's bridge with its leg.
 */
function mediaToMove(ctx: HandleContext, st: AbHandleState, bridged?: AbBridged): JoinOptions {
  if (bridged) return { relay: bridged.home, bridge: bridged.bridge };
  if (st.plainRtp) return { plainRtp: true, relay: st.plainRtp };
  // a bridged PeerConnection without its leg has no mixer to take along
  return ctx.media.relay && !st.bridged ? { relay: ctx.media.relay } : {};
}

/** A plugin error keeps its code; anything else (a relay's, the core's) is reported with its own code. */
const asEvent = (err: unknown) => errorEvent(err instanceof JanusApiError ? abError(err.code, err.message) : err);

/**
 * `janus.plugin.audiobridge`: an audio conference mixed on a relay. Room state lives in one
 * AudioBridgeDO per room; this plugin runs in the session shards, validates requests, places each
 * participant's media on the room's relay (the mixer) and delivers the room's notifications.
 * Synchronous requests answer in the `success`; join, configure, changeroom, leave and hangup `ack`
 * and answer with an event.
 */
export function audioBridgePlugin(stubs: Stubs, stringIds = false, staticRoomIds: AbRoomId[] = []): Plugin {
  const roomStub = (room: AbRoomId) => stubs.audioBridge(audioBridgeObjectName(room));

  /** `from`: the asking handle, named to event handlers (none for admin `message_plugin`). */
  async function syncRequest(
    request: S.SyncRequest,
    body: Record<string, unknown>,
    from?: HandleAddress,
  ): Promise<JanusData> {
    switch (request) {
      case 'create': {
        const { room } = parseJanus(S.createSchema, body, AB);
        const id = room ?? (stringIds ? crypto.randomUUID() : randomSafeInt());
        return unwrap(await roomStub(id).create(id, body, from));
      }
      case 'list': {
        // Configured rooms are listed even before anything used them (Janus creates them at start).
        const listed = await stubs.audioBridgeIndex().listRooms();
        const ids = [...listed, ...staticRoomIds.filter((id) => !listed.includes(id))];
        const entries = await Promise.all(ids.map((id) => roomStub(id).summary(id)));
        return { audiobridge: 'success', list: entries.filter((e): e is JanusData => e !== undefined) };
      }
      case 'resetdecoder':
        throw abError(AudioBridgeError.NOT_JOINED, "Can't reset (not in a room)");
      default: {
        const { room } = parseJanus(S.roomOnlySchema, body, AB);
        return unwrap(await roomStub(room).sync(request, body, from));
      }
    }
  }

  /** `resetdecoder` is about the asking handle's own participant. */
  async function resetDecoder(ctx: HandleContext): Promise<JanusData> {
    const st = inRoom(ctx, 'reset');
    // a bridged one's decoder is in the home relay's mixer, under the leg the room holds
    if (st.bridged) unwrap(await roomStub(st.room).resetLegDecoder(who(ctx)));
    else await participantCommand(ctx, st, 'ab.resetDecoder', {});
    return { audiobridge: 'success' };
  }

  async function join(ctx: HandleContext, body: Record<string, unknown>, jsep?: Jsep): Promise<Result> {
    if (joinedState(ctx))
      throw abError(AudioBridgeError.ALREADY_JOINED, 'Already in a room (use changeroom to join another one)');
    const j = parseJanus(S.joinSchema, body, AB);
    // As Janus: with an offer, `rtp` is ignored.
    const rtp = jsep ? undefined : j.rtp;
    if (rtp) parseJanus(S.rtpSchema, rtp, AB);
    if (jsep && jsep.type !== 'offer') throw abError(AudioBridgeError.INVALID_SDP, 'Only offers are accepted on join');
    const room = roomStub(j.room);
    const joined = unwrap(await room.join(who(ctx), j, { plainRtp: rtp !== undefined }));
    const id = joined.place.participant;
    ctx.setState({ room: j.room, id, ...groupState(joined.place.settings) } satisfies AbHandleState);
    if (!handleExists(ctx)) {
      // Detached while the room was joining it: its destroyHandle found no room to leave, so it leaves now.
      await gone(ctx);
      return { data: joined.event };
    }
    let result: Result = { data: joined.event };
    try {
      if (rtp) {
        const leg = await openPlainRtp(ctx, room, rtp);
        ctx.setState({ ...joinedState(ctx), room: j.room, id, plainRtp: leg.relay } satisfies AbHandleState);
        result = { data: { ...joined.event, rtp: leg.rtp } };
      } else if (jsep || j.generate_offer) result = { data: joined.event, jsep: await openMedia(ctx, room, jsep) };
    } catch (err) {
      // The join is undone: nothing stays behind a failed placement.
      ctx.setState(undefined);
      if (handleExists(ctx) && ctx.media.hasPeer) ctx.media.close();
      await room.leave(who(ctx)).catch(() => undefined);
      throw err;
    }
    return result;
  }

  async function configure(ctx: HandleContext, body: Record<string, unknown>, jsep?: Jsep): Promise<Result> {
    const st = inRoom(ctx, 'configure');
    const c = parseJanus(S.configureSchema, body, AB);
    if (c.generate_offer === true || c.update === true)
      throw abError(
        AudioBridgeError.INVALID_ELEMENT,
        'Invalid element (generate_offer: renegotiating with an offer of ours is not supported)',
      );
    const room = roomStub(st.room);
    const { settings, hasMedia } = unwrap(await room.configure(who(ctx), c));
    if (settings.group !== st.group) ctx.setState({ ...st, ...groupState(settings) } satisfies AbHandleState);
    // The room's state stands if the media went meanwhile: nothing flows anyway.
    if (hasMedia) await participantCommand(ctx, st, 'ab.configure', { settings })?.catch(() => undefined);
    const answer = jsep ? await negotiate(ctx, room, jsep) : undefined;
    return { data: { audiobridge: 'event', result: 'ok' }, jsep: answer };
  }

  async function changeRoom(ctx: HandleContext, body: Record<string, unknown>): Promise<Result> {
    // As Janus: the fields first, then whether the handle is in a room, and not this one.
    const j = parseJanus(S.joinSchema, body, AB);
    const st = inRoom(ctx, 'change room', 'not in a room in the first place');
    if (j.room === st.room) throw abError(AudioBridgeError.ALREADY_JOINED, 'Already in this room');
    const target = roomStub(j.room);
    // A bridged one's media is its leg in the home mixer: it moves to the new room's mixer on the same
    // home, or the new room opens a new leg on its own relay and the bridge is re-pointed there.
    const bridged = st.bridged ? unwrap(await roomStub(st.room).bridgeOf(who(ctx))) : undefined;
    // The new room first: a refusal there leaves the participant where it was.
    const joined = unwrap(await target.join(who(ctx), j, { changeroom: true, ...mediaToMove(ctx, st, bridged) }));
    // the one leave path: the old leg is hung up there unless it moves to the new mixer
    await roomStub(st.room).moveOut(who(ctx), joined.newLeg !== true);
    const { group: _old, ...rest } = st;
    ctx.setState({
      ...rest,
      room: j.room,
      id: joined.place.participant,
      ...groupState(joined.place.settings),
    } satisfies AbHandleState);
    const { mixer, mixerSettings, participant, settings } = joined.place;
    try {
      const moved = bridged
        ? (joined.newLeg ? target.rebridge(who(ctx), st.audioLevel === true) : target.moveLeg(who(ctx))).then(unwrap)
        : st.bridged
          ? undefined
          : participantCommand(ctx, st, 'ab.move', { mixer, mixerSettings, participant, settings });
      if (moved) {
        await moved;
        await target.mediaReady(who(ctx), st.audioLevel === true);
        // its media is up already: the new room hears it at once
        await target.setupMedia(who(ctx));
      }
    } catch (err) {
      // The relay could not move it: it is in no mixer now, so it leaves the new room too, media and all.
      await gone(ctx);
      if (ctx.media.hasPeer) ctx.media.close();
      throw err;
    }
    return { data: joined.event };
  }

  async function asyncRequest(
    ctx: HandleContext,
    request: S.AsyncRequest,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<Result> {
    switch (request) {
      case 'join':
        return join(ctx, body, jsep);
      case 'configure':
        return configure(ctx, body, jsep);
      case 'changeroom':
        return changeRoom(ctx, body);
      case 'leave': {
        const st = inRoom(ctx, 'leave');
        const left = unwrap(await roomStub(st.room).leave(who(ctx)));
        ctx.setState(undefined);
        return { data: left ?? { audiobridge: 'left', room: st.room, id: st.id }, hangup: true };
      }
      case 'hangup': {
        // As Janus: `hangingup`, then the media goes and the participant with it (hangupMedia); a
        // plain-RTP leg is no PeerConnection of the handle, so it goes here.
        const st = joinedState(ctx);
        if (st?.plainRtp) {
          ctx.setState(undefined);
          await roomStub(st.room).handleGone(who(ctx));
        }
        return { data: { audiobridge: 'hangingup' }, hangup: true };
      }
    }
  }

  async function gone(ctx: HandleContext): Promise<void> {
    const st = joinedState(ctx);
    if (!st) return;
    ctx.setState(undefined);
    await roomStub(st.room).handleGone(who(ctx));
  }

  return {
    info: {
      package: PKG,
      name: 'JANUS AudioBridge plugin',
      author: 'Meetecho s.r.l.',
      description: 'This is a plugin implementing an audio conference bridge for Janus, mixing Opus streams.',
      version: 12,
      versionString: '0.0.12',
    },
    createHandle() {},
    async handleMessage(ctx, message: PluginMessage): Promise<PluginResult> {
      const body = message.body;
      const name = requestNameCode(body, AB);
      if (typeof name !== 'string') return { kind: 'ok', data: errorEvent(abError(name.code, name.text)) };
      const idProblem = idTypeProblem(body, stringIds);
      if (S.isSyncRequest(name)) {
        try {
          if (name === 'resetdecoder') return { kind: 'ok', data: await resetDecoder(ctx) };
          if (idProblem) throw idProblem;
          return { kind: 'ok', data: await syncRequest(name, body, who(ctx)) };
        } catch (err) {
          return { kind: 'ok', data: asEvent(err) };
        }
      }
      if (!S.isAsyncRequest(name))
        return {
          kind: 'ok',
          data: errorEvent(abError(AudioBridgeError.INVALID_REQUEST, `Unknown request '${String(body.request)}'`)),
        };
      // Janus checks an asynchronous request's fields in its handler thread: errors come as events.
      const work = idProblem ? Promise.reject(idProblem) : asyncRequest(ctx, name, body, message.jsep);
      return answerLater(ctx, message.transaction, work, asEvent);
    },
    /** Media gone (hang-up, ICE failure, relay lost): as Janus, the participant leaves its room. */
    async hangupMedia(ctx) {
      const st = joinedState(ctx);
      if (!st) return;
      if (await roomStub(st.room).mediaGone(who(ctx))) ctx.setState(undefined);
    },
    /** The PeerConnection is up (webrtcup): the room tells the others, as Janus's setup_media. */
    async setupMedia(ctx) {
      const st = joinedState(ctx);
      if (st) await roomStub(st.room).setupMedia(who(ctx));
    },
    destroyHandle: gone,
    async handleAdminMessage(request) {
      const name = requestNameCode(request, AB);
      if (typeof name !== 'string') return errorEvent(abError(name.code, name.text));
      if (!S.isSyncRequest(name))
        return errorEvent(abError(AudioBridgeError.INVALID_REQUEST, `Unknown request '${String(request.request)}'`));
      const idProblem = idTypeProblem(request, stringIds);
      if (idProblem) return errorEvent(idProblem);
      try {
        return await syncRequest(name, request);
      } catch (err) {
        return asEvent(err);
      }
    },
    queryHandle(ctx) {
      const st = joinedState(ctx);
      if (!st) return { state: 'none' };
      return {
        room: st.room,
        id: st.id,
        ...(st.group !== undefined ? { group: st.group } : {}),
        plain_rtp: st.plainRtp !== undefined,
        relay: (st.plainRtp ?? ctx.media.relay)?.relayId ?? null,
      };
    },
    recordingClosed(ctx, e) {
      // A participant's .mjr (mjrs) closed: event handlers hear it (type 64), as the VideoRoom's.
      const st = joinedState(ctx);
      ctx.notifyEvent(recordingDoneEvent(e, st ? { room: st.room, id: st.id } : (e.report?.ids ?? {})));
    },
    handleInternal(ctx, call) {
      if (!isAbRoomCall(call)) return;
      if (call.kind === 'ab.event') {
        ctx.pushEvent(call.data);
        return;
      }
      // Removed by the room (kick, kick_all, destroy): the event first, then the hangup.
      ctx.setState(undefined);
      ctx.pushEvent(call.data);
      if (ctx.media.hasPeer) ctx.media.close();
    },
  };
}
