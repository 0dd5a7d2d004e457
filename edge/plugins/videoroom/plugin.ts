import { JanusApiError } from '../../../shared/janus/errors.js';
import { answerLater } from '../answerLater.js';
import { requestNameCode } from '../requestName.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { randomSafeInt } from '../../core/ids.js';
import { answeredMids } from '../../core/sdp.js';
import type { RemoteCreator } from '../../core/remoteCreator.js';
import { unwrap } from '../../rpc.js';
import type { Stubs } from '../../stubs.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../plugin.js';
import { errorEvent, idTypeProblem, VideoRoomError, VR, vrError } from './errors.js';
import { isRoomCall } from './host.js';
import * as S from './schemas.js';
import type { RoomId } from './schemas.js';
import { negotiatedCodecs, videoRoomObjectName, type JanusData } from './state.js';
import type { Removal } from './subscribers.js';
import {
  inRoom,
  cappedBitrate,
  configuredWith,
  settled,
  relayOf,
  stateOf,
  subscriberState,
  who,
  type HandleState,
  type Result,
} from './handleState.js';
import { subscriberNegotiation } from './subscriberNegotiation.js';
import { applyOpusOptions, roomOpusOptions } from './opusOptions.js';
import { withStreamFormats } from './streamFormats.js';
import { recordingRequest } from './recordings.js';
import { recordingDoneEvent } from '../recordingEvents.js';

const PKG = 'janus.plugin.videoroom';

/**
 * `janus.plugin.videoroom` (§5): the SFU's signalling. Room state lives in one VideoRoomDO per room;
 * this plugin runs in the session shards, validates requests, negotiates each handle's
 * PeerConnection with the relay (publishers send, subscribers receive a multistream offer), and
 * delivers the room's notifications. Synchronous requests answer in the `success`; the others `ack`
 * and answer with an event.
 */
export function videoRoomPlugin(stubs: Stubs, stringIds = false, staticRoomIds: RoomId[] = []): Plugin {
  const roomStub = (room: RoomId) => stubs.videoRoom(videoRoomObjectName(room));
  const { subscribe, configureSubscriber, renegotiate, flushPending } = subscriberNegotiation(roomStub);

  // ---------------------------------------------------------------- synchronous requests

  /** `caller`: the session asking and its client address (none through admin `message_plugin`). */
  async function syncRequest(
    request: S.SyncRequest,
    body: Record<string, unknown>,
    caller?: RemoteCreator,
  ): Promise<JanusData> {
    switch (request) {
      case 'create': {
        const { room } = parseJanus(S.createRoomIdSchema, body, VR);
        const id = room ?? randomSafeInt();
        return unwrap(await roomStub(id).create(id, body));
      }
      case 'list': {
        // Configured rooms are listed even before anything used them (Janus creates them at start).
        const listed = await stubs.core().listRooms();
        const ids = [...listed, ...staticRoomIds.filter((id) => !listed.includes(id))];
        const summaries = await Promise.all(ids.map((id) => roomStub(id).summary(id)));
        return {
          videoroom: 'success',
          list: summaries.filter((s): s is JanusData => s !== undefined && s.is_private !== true),
        };
      }
      default: {
        // rtp_forward: its whole body is checked first, as Janus does.
        const { room } = parseJanus(request === 'rtp_forward' ? S.rtpForwardSchema : S.roomOnlySchema, body, VR);
        return unwrap(await roomStub(room).sync(request, body, caller));
      }
    }
  }

  // ---------------------------------------------------------------- asynchronous requests

  async function asyncRequest(
    ctx: HandleContext,
    request: S.AsyncRequest,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<Result> {
    switch (request) {
      case 'join':
      case 'joinandconfigure':
        return join(ctx, request, body, jsep);
      case 'publish':
        return publish(ctx, body, jsep);
      case 'configure':
        return configure(ctx, body, jsep);
      case 'unpublish': {
        const st = stateOf(ctx);
        if (st.role !== 'publisher') throw vrError(VideoRoomError.INVALID_ELEMENT, 'Only publishers can unpublish');
        unwrap(await roomStub(st.room).unpublished(who(ctx), true));
        return { data: { videoroom: 'event', room: st.room, unpublished: 'ok' }, hangup: true };
      }
      case 'leave': {
        const st = stateOf(ctx);
        const data = unwrap(await roomStub(st.room).leave(who(ctx)));
        // Janus keeps a publisher on its handle, with no room; a subscriber handle may join again.
        ctx.setState(
          st.role === 'publisher' ? ({ room: st.room, role: st.role, left: true } satisfies HandleState) : undefined,
        );
        return { data: { ...data, room: st.room }, hangup: true };
      }
      case 'start': {
        const st = subscriberState(ctx);
        if (jsep) {
          if (jsep.type !== 'answer')
            throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only answers are accepted by subscribers');
          await ctx.media.command('peer.answer', { sdp: jsep.sdp });
          unwrap(await roomStub(st.room).subscriberAnswered(who(ctx), answeredMids(jsep.sdp)));
          if (st.pending) queueMicrotask(() => void flushPending(ctx, st.room));
        } else await ctx.media.command('sfu.resume', {});
        // The room only hears of a subscriber this handle paused (a first start changes nothing there).
        if (st.paused) {
          unwrap(await roomStub(st.room).setPaused(who(ctx), false));
          ctx.setState({ ...stateOf(ctx), paused: undefined } satisfies HandleState);
        }
        return { data: { videoroom: 'event', room: st.room, started: 'ok' } };
      }
      case 'pause': {
        const st = subscriberState(ctx);
        await ctx.media.command('sfu.pause', {});
        unwrap(await roomStub(st.room).setPaused(who(ctx), true));
        ctx.setState({ ...stateOf(ctx), paused: true } satisfies HandleState);
        return { data: { videoroom: 'event', room: st.room, paused: 'ok' } };
      }
      case 'switch': {
        const st = subscriberState(ctx);
        const { streams } = parseJanus(S.switchSchema, body, VR);
        const { changes } = unwrap(await roomStub(st.room).switchStreams(who(ctx), streams));
        await ctx.media.command('sfu.switch', {
          changes: changes.map((c) => ({ sub_mid: c.sub_mid, feedKey: c.feedKey, mid: c.mid, feedId: c.feed })),
        });
        const layers = streams
          .filter((x) => x.substream !== undefined || x.temporal !== undefined)
          .map((x) => ({ mid: x.sub_mid, substream: x.substream, temporal: x.temporal }));
        if (layers.length) await ctx.media.command('sfu.configure', { streams: layers });
        const now = unwrap(await roomStub(st.room).subscriberStreams(who(ctx)));
        return {
          data: { videoroom: 'event', room: st.room, switched: 'ok', changes: changes.length, streams: now.streams },
        };
      }
      case 'subscribe':
      case 'unsubscribe':
      case 'update': {
        const st = subscriberState(ctx);
        let add: S.SubscribeStream[] = [];
        let remove: Removal[] = [];
        if (request === 'subscribe') add = parseJanus(S.subscribeSchema, body, VR).streams;
        else if (request === 'unsubscribe') remove = parseJanus(S.unsubscribeSchema, body, VR).streams;
        else {
          const u = parseJanus(S.updateSchema, body, VR);
          if (!u.subscribe && !u.unsubscribe)
            throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (subscribe|unsubscribe)');
          add = u.subscribe ?? [];
          remove = u.unsubscribe ?? [];
        }
        const room = roomStub(st.room);
        const additions = add.length ? unwrap(await room.resolveAdditions(who(ctx), add)).streams : [];
        const removals = remove.length ? unwrap(await room.resolveRemovals(who(ctx), remove)).mids : [];
        return renegotiate(ctx, st.room, additions, removals);
      }
      default:
        throw vrError(VideoRoomError.INVALID_REQUEST, `Unknown request '${request}'`);
    }
  }

  async function join(
    ctx: HandleContext,
    request: string,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<Result> {
    const current = ctx.getState<HandleState>();
    if (current?.left) throw vrError(VideoRoomError.ALREADY_JOINED, 'Not in a room (create a new handle)');
    if (current) throw vrError(VideoRoomError.ALREADY_JOINED, `Already in as a ${current.role} on this handle`);
    const ptype = body.ptype;
    if (ptype === undefined) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (ptype)');
    if (ptype === 'publisher') {
      const joining = parseJanus(S.publisherJoinSchema, body, VR);
      const room = joining.room;
      // joinandconfigure's record/filename: checked before the join, so a refusal leaves nothing behind.
      const recording =
        request === 'joinandconfigure' ? recordingRequest(parseJanus(S.publishSchema, body, VR)) : undefined;
      if (recording) unwrap(await roomStub(room).checkRecording(recording));
      const joined = unwrap(await roomStub(room).joinPublisher(who(ctx), joining));
      ctx.setState({ room, role: 'publisher', id: joined.id } satisfies HandleState);
      ctx.notifyEvent({ event: 'joined', room, id: joined.id, private_id: joined.private_id, display: body.display });
      if (request === 'joinandconfigure' && jsep) {
        // Janus's `joined` then carries the codecs and streams the publish negotiated.
        const { jsep: answer, streams } = await publish(ctx, body, jsep);
        return { data: { ...joined, ...negotiatedCodecs(streams), streams }, jsep: answer };
      }
      if (recording) unwrap(await roomStub(room).configurePublisher(who(ctx), { recording }));
      return { data: joined };
    }
    if (ptype === 'subscriber') {
      if (request === 'joinandconfigure')
        throw vrError(VideoRoomError.INVALID_ELEMENT, 'Subscribers cannot joinandconfigure');
      return subscribe(ctx, body, jsep);
    }
    const access = parseJanus(S.joinAccessSchema, body, VR);
    unwrap(await roomStub(access.room).checkJoinAccess(access));
    throw vrError(VideoRoomError.INVALID_ELEMENT, 'Invalid element (ptype)');
  }

  async function publish(
    ctx: HandleContext,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<Result & { streams: JanusData[] }> {
    const st = stateOf(ctx);
    if (st.role !== 'publisher') throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only publishers send offers');
    const p = parseJanus(S.publishSchema, body, VR);
    const recording = recordingRequest(p);
    if (!jsep) throw vrError(VideoRoomError.MISSING_ELEMENT, 'Missing mandatory element (jsep)');
    if (jsep.type !== 'offer')
      throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only offers are accepted from publishers');
    const room = roomStub(st.room);
    if (recording) unwrap(await room.checkRecording(recording));
    // The room's checks and the relay's placement are independent: asked together.
    const [planned, placement] = await Promise.allSettled([room.preparePublish(who(ctx)), ctx.media.place()]);
    if (planned.status === 'rejected') throw planned.reason;
    const prep = unwrap(planned.value);
    const bitrateCap = prep.bitrateCap && prep.bitrate > 0 ? prep.bitrate : undefined;
    const bitrate = p.bitrate === undefined ? prep.bitrate : cappedBitrate(p.bitrate, bitrateCap);
    const level = prep.audioLevel;
    // Talking detection runs on the relay; a publisher may override the room's thresholds (§5.3 publish).
    const talking = level.event
      ? { packets: p.audio_active_packets ?? level.packets, average: p.audio_level_average ?? level.average }
      : undefined;
    const options = {
      role: 'publisher' as const,
      room: st.room,
      bitrate,
      audiocodec: p.audiocodec ?? prep.audiocodec,
      videocodec: p.videocodec ?? prep.videocodec,
      ...(prep.videoProfiles.h264 ? { h264Profile: prep.videoProfiles.h264 } : {}),
      ...(prep.videoProfiles.vp9 ? { vp9Profile: prep.videoProfiles.vp9 } : {}),
      audioLevelExt: level.ext,
      firFreq: prep.firFreq,
      ...(talking ? { talking } : {}),
    };
    // Placed in the publisher's own region; subscribers elsewhere get it through cascades.
    ctx.setState({ ...st, opus: prep.opus, videoProfiles: prep.videoProfiles, bitrateCap } satisfies HandleState);
    const result = await ctx.media.open({ sdp: applyOpusOptions(jsep.sdp, prep.opus) }, options, settled(placement));
    const answered = 'answer' in result ? result : undefined;
    const formats = { opus: prep.opus, profiles: prep.videoProfiles };
    const streams = withStreamFormats(answered?.streams ?? [], jsep.sdp, formats);
    const published = await room.published(who(ctx), streams, relayOf(ctx), {
      display: p.display,
      metadata: p.metadata,
      descriptions: p.descriptions,
      recording,
    });
    if (!published.ok) {
      ctx.media.close();
      throw vrError(published.error.code, published.error.reason);
    }
    ctx.notifyEvent({ event: 'published', room: st.room, id: st.id });
    const { streams: listed, recordingError } = published.value;
    if (recordingError) ctx.notifyEvent({ event: 'recording', room: st.room, id: st.id, error: recordingError });
    return { data: configuredWith(st.room, listed), jsep: answered?.answer, streams: listed };
  }

  async function configure(ctx: HandleContext, body: Record<string, unknown>, jsep?: Jsep): Promise<Result> {
    const st = stateOf(ctx);
    if (st.role === 'subscriber') return configureSubscriber(ctx, st, body, jsep);
    const p = parseJanus(S.publishSchema, body, VR);
    const recording = recordingRequest(p);
    if (jsep) {
      if (jsep.type !== 'offer')
        throw vrError(VideoRoomError.INVALID_SDP_TYPE, 'Only offers are accepted from publishers');
      if (!ctx.media.hasPeer) return publish(ctx, body, jsep);
      if (recording) unwrap(await roomStub(st.room).checkRecording(recording));
      const opus = st.opus ?? roomOpusOptions({});
      const sdp = applyOpusOptions(jsep.sdp, opus);
      const out = await ctx.media.command('peer.offer', { sdp, iceRestart: jsep.restart === true });
      const formats = { opus, profiles: st.videoProfiles ?? {} };
      const { streams, recordingError } = unwrap(
        await roomStub(st.room).published(
          who(ctx),
          withStreamFormats(out.streams ?? [], jsep.sdp, formats),
          relayOf(ctx),
          {
            display: p.display,
            metadata: p.metadata,
            descriptions: p.descriptions,
            recording,
          },
        ),
      );
      if (recordingError) ctx.notifyEvent({ event: 'recording', room: st.room, id: st.id, error: recordingError });
      return { data: configuredWith(st.room, streams), jsep: out.answer };
    }
    // Only a display, metadata or recording change concerns the room.
    if (p.display !== undefined || p.metadata !== undefined || recording)
      unwrap(
        await roomStub(st.room).configurePublisher(who(ctx), { display: p.display, metadata: p.metadata, recording }),
      );
    const talking =
      p.audio_active_packets !== undefined || p.audio_level_average !== undefined
        ? { packets: p.audio_active_packets, average: p.audio_level_average }
        : undefined;
    if (ctx.media.hasPeer && (p.bitrate !== undefined || p.keyframe || p.streams || talking)) {
      const applied = ctx.media.command('sfu.configure', {
        bitrate: p.bitrate === undefined ? undefined : cappedBitrate(p.bitrate, st.bitrateCap),
        keyframe: p.keyframe,
        streams: p.streams,
        talking,
      });
      // Per-stream changes can be refused (466); a keyframe, bitrate or talking change cannot, so the
      // answer does not wait for the relay (the handle's later commands still reach it after this one).
      if (p.streams) await applied;
      else applied.catch(() => undefined);
    }
    return { data: { videoroom: 'event', room: st.room, configured: 'ok' } };
  }

  // ---------------------------------------------------------------- the plugin

  const plugin: Plugin = {
    info: {
      package: PKG,
      name: 'JANUS VideoRoom plugin',
      author: 'Meetecho s.r.l.',
      description:
        'This is a plugin implementing a videoconferencing SFU (Selective Forwarding Unit) for Janus, that is an audio/video router.',
      version: 9,
      versionString: '0.0.9',
    },
    createHandle() {},
    async handleMessage(ctx, message: PluginMessage): Promise<PluginResult> {
      const body = message.body;
      const name = requestNameCode(body, VR);
      if (typeof name !== 'string') return { kind: 'ok', data: errorEvent(vrError(name.code, name.text)) };
      const idProblem = idTypeProblem(body, stringIds);
      if (S.isSyncRequest(name)) {
        if (idProblem) return { kind: 'ok', data: errorEvent(idProblem) };
        try {
          const caller = { sessionId: ctx.sessionId, ...(message.address ? { address: message.address } : {}) };
          return { kind: 'ok', data: await syncRequest(name, body, caller) };
        } catch (err) {
          return { kind: 'ok', data: errorEvent(err) };
        }
      }
      if (!S.isAsyncRequest(name))
        return {
          kind: 'ok',
          data: errorEvent(vrError(VideoRoomError.INVALID_REQUEST, `Unknown request '${String(body.request)}'`)),
        };
      // Janus checks an asynchronous request's fields in its handler thread: errors come as events.
      const work = idProblem ? Promise.reject(idProblem) : asyncRequest(ctx, name, body, message.jsep);
      return answerLater(ctx, message.transaction, work, (err) =>
        errorEvent(err instanceof JanusApiError ? vrError(err.code, err.message) : err),
      );
    },
    async hangupMedia(ctx) {
      const st = inRoom(ctx);
      if (st) await roomStub(st.room).handleGone(who(ctx), true);
    },
    async destroyHandle(ctx) {
      const st = inRoom(ctx);
      if (st) await roomStub(st.room).handleGone(who(ctx), false);
    },
    async handleAdminMessage(request) {
      // As handleMessage: a missing request (message_plugin without one) is 429, a mistyped one 430.
      const name = requestNameCode(request, VR);
      if (typeof name !== 'string') return errorEvent(vrError(name.code, name.text));
      if (!S.isSyncRequest(name))
        return errorEvent(vrError(VideoRoomError.INVALID_REQUEST, `Unknown request '${String(request.request)}'`));
      try {
        return await syncRequest(name, request);
      } catch (err) {
        return errorEvent(err);
      }
    },
    async queryHandle(ctx) {
      const st = inRoom(ctx);
      if (!st) return { type: 'none' };
      // Cascaded feeds: the links between relays that carry this publisher out, or this subscriber's feeds in.
      const cascades = await roomStub(st.room).cascadeInfo(who(ctx));
      return { type: st.role, room: st.room, id: st.id, relay: ctx.media.relay?.relayId ?? null, cascades };
    },
    recordingClosed(ctx, e) {
      // Janus tells nobody when a recording ends; event handlers hear of it here (type 64).
      const st = ctx.getState<HandleState>();
      ctx.notifyEvent(recordingDoneEvent(e, st ? { room: st.room, id: st.id ?? null } : {}));
    },
    async handleInternal(ctx, call) {
      if (!isRoomCall(call)) return;
      switch (call.kind) {
        case 'event':
          ctx.pushEvent(call.data);
          return;
        case 'removed':
          // As in Janus: `destroyed` / `leaving ... kicked` first, then the `hangup`.
          ctx.setState(undefined);
          ctx.pushEvent(call.data);
          if (ctx.media.hasPeer) ctx.media.close();
          return;
        case 'feedsGone': {
          const st = inRoom(ctx);
          if (!st || st.role !== 'subscriber' || !ctx.media.hasPeer) return;
          const { mids } = unwrap(
            await roomStub(st.room).resolveRemovals(
              who(ctx),
              call.feedIds.map((feed) => ({ feed })),
            ),
          );
          try {
            const r = await renegotiate(ctx, st.room, [], mids);
            ctx.pushEvent(r.data, r.jsep);
          } catch (err) {
            ctx.pushEvent(errorEvent(err));
          }
          return;
        }
      }
    },
  };
  return plugin;
}
