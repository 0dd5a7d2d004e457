import { JanusApiError } from '../../../shared/janus/errors.js';
import type { Jsep } from '../../../shared/janus/requests.js';
import { parseJanus } from '../../../shared/janus/validate.js';
import { answerLater, type AsyncAnswer } from '../answerLater.js';
import type { HandleContext, Plugin, PluginMessage, PluginResult } from '../plugin.js';
import { requestNameCode } from '../requestName.js';
import { unwrap } from '../../rpc.js';
import type { Stubs } from '../../stubs.js';
import { errorEvent, stError, ST, StreamingError } from './errors.js';
import { viewerState, watching, who, type ViewerHandleState } from './handleState.js';
import { isStreamingCall } from './host.js';
import * as S from './schemas.js';
import type { JanusData } from './state.js';
import type { WatchPlan } from './viewers.js';
import { viewerNegotiation } from './viewerNegotiation.js';
import { layerTargets, svcLayerEvents } from './svcLayers.js';
import { viewerInfo } from './viewerInfo.js';

const PKG = 'janus.plugin.streaming';

const status = (s: string): JanusData => ({ streaming: 'event', result: { status: s } });

/** A plugin error keeps its code; anything else (a relay's, the core's) is reported with its own code. */
const asEvent = (err: unknown) => errorEvent(err instanceof JanusApiError ? stError(err.code, err.message) : err);

/**
 * `janus.plugin.streaming`: RTP mountpoints received on a relay and watched by WebRTC viewers. The
 * mountpoints live in one StreamingDO; this plugin runs in the session shards, validates requests,
 * places each viewer's PeerConnection on a relay of its region (the mountpoint's media is carried
 * there by a cascade when that is not its home) and negotiates it: the relay offers and `start` answers,
 * or the relay answers the viewer's own offer.
 */
export function streamingPlugin(stubs: Stubs): Plugin {
  const object = () => stubs.streaming();

  /**
   * `watch`: the relay offers the mountpoint's streams (`start` carries the answer), or, when the
   * viewer brought an offer (a WHEP player, a client that offers), the relay answers it with the
   * streams on the m-lines it offered and no `start` is needed. (Janus 1.1.2 ignores a viewer's offer
   * and offers anyway; we answer it, as the VideoRoom subscriber does.)
   */
  async function watch(ctx: HandleContext, body: Record<string, unknown>, jsep?: Jsep): Promise<AsyncAnswer> {
    const r = parseJanus(S.watchSchema, body, ST);
    if (jsep && jsep.type !== 'offer')
      throw stError(StreamingError.INVALID_ELEMENT, 'A viewer may only bring an offer to watch');
    const st = viewerState(ctx);
    if (st && r.restart === true && st.id === r.id) return restart(ctx, st, jsep);
    if (st) throw stError(StreamingError.INVALID_STATE, `Already watching mountpoint ${st.id}`);
    const relay = await ctx.media.place();
    const plan = unwrap(await object().watch(who(ctx), r.id, r.pin, relay));
    try {
      const streams = subscription(plan, r);
      if (streams.length === 0)
        throw stError(StreamingError.INVALID_ELEMENT, 'No stream of the mountpoint left to offer');
      const res = await ctx.media.open(jsep ? { sdp: jsep.sdp } : undefined, { role: 'subscriber', streams }, relay);
      const negotiated = viewerNegotiation(res);
      ctx.setState({
        id: plan.id,
        mlines: negotiated.streams.map((s) => ({ mid: s.mid, type: s.type, ...svcOf(plan, s.feedMid) })),
        ...(jsep ? { offered: true as const } : {}),
      } satisfies ViewerHandleState);
      return { data: status('preparing'), jsep: negotiated.jsep };
    } catch (err) {
      await object().leave(who(ctx));
      if (ctx.media.hasPeer) ctx.media.close();
      throw err;
    }
  }

  /**
   * `watch` with `restart` of the mountpoint the viewer watches: as Janus, the relay's ICE-restart
   * offer (`start` carries the answer), `updating`. A viewer that offered first (a WHEP player) may
   * bring its own new offer instead, answered on the m-lines it has; the others only answer.
   */
  async function restart(ctx: HandleContext, st: ViewerHandleState, jsep?: Jsep): Promise<AsyncAnswer> {
    if (!jsep) {
      const out = await ctx.media.command('sfu.configure', { restart: true });
      if (!('offer' in out)) throw stError(StreamingError.UNKNOWN_ERROR, 'The relay gave no offer');
      return { data: status('updating'), jsep: out.offer };
    }
    if (!st.offered)
      throw stError(StreamingError.INVALID_ELEMENT, 'This viewer answers our offers: restart without one');
    const out = await ctx.media.command('peer.offer', { sdp: jsep.sdp, iceRestart: true });
    return { data: status('updating'), jsep: out.answer };
  }

  async function start(ctx: HandleContext, jsep?: Jsep): Promise<AsyncAnswer> {
    const st = watching(ctx, 'start');
    if (jsep) {
      if (jsep.type !== 'answer') throw stError(StreamingError.INVALID_ELEMENT, 'Only answers are accepted on start');
      await ctx.media.command('peer.answer', { sdp: jsep.sdp });
    }
    if (st.paused) {
      await ctx.media.command('sfu.resume', {});
      ctx.setState({ ...(viewerState(ctx) ?? st), paused: false } satisfies ViewerHandleState);
    }
    // as Janus: `started` once the PeerConnection is up (a resume, the answer to a restart's offer)
    return { data: status(viewerState(ctx)?.started ? 'started' : 'starting') };
  }

  async function pause(ctx: HandleContext): Promise<AsyncAnswer> {
    const st = watching(ctx, 'pause');
    await ctx.media.command('sfu.pause', {});
    ctx.setState({ ...st, paused: true } satisfies ViewerHandleState);
    ctx.notifyEvent({ status: 'pausing', id: st.id });
    return { data: status('pausing') };
  }

  /** `switch`: every m-line follows the target's stream of the same kind, with no renegotiation. */
  async function switchTo(ctx: HandleContext, body: Record<string, unknown>): Promise<AsyncAnswer> {
    const r = parseJanus(S.idSchema, body, ST);
    const st = watching(ctx, 'switch');
    const plan = unwrap(await object().switchTo(who(ctx), r.id));
    const used = new Set<string>();
    // the DataChannel keeps the first mountpoint's data stream: a switch moves audio and video
    const changes = st.mlines.flatMap((l) => {
      if (l.type === 'data') return [];
      const target = plan.streams.find((s) => s.type === l.type && !used.has(s.mid));
      if (!target) return [];
      used.add(target.mid);
      return [{ sub_mid: l.mid, feedKey: plan.feedKey, mid: target.mid, feedId: plan.id }];
    });
    const mlines = st.mlines.map((l) => {
      const c = changes.find((x) => x.sub_mid === l.mid);
      return c ? { mid: l.mid, type: l.type, ...svcOf(plan, c.mid) } : l;
    });
    try {
      await ctx.media.command('sfu.switch', { changes });
    } catch (err) {
      throw stError(StreamingError.CANT_SWITCH, `Can't switch: ${err instanceof Error ? err.message : String(err)}`);
    }
    ctx.setState({ ...st, id: plan.id, mlines } satisfies ViewerHandleState);
    ctx.notifyEvent({ status: 'switching', id: plan.id });
    return { data: { streaming: 'event', result: { switched: 'ok', id: plan.id } } };
  }

  /**
   * `configure`: the simulcast substream / VP8 temporal layer (and fallback) the viewer wants, or on
   * an SVC stream the VP9 spatial / temporal layer, on its video m-lines (or the one `mid` names);
   * the relay switches at the next keyframe (spatial up/down) or switching point (temporal up).
   */
  async function configure(ctx: HandleContext, body: Record<string, unknown>): Promise<AsyncAnswer> {
    const r = parseJanus(S.configureSchema, body, ST);
    const st = watching(ctx, 'configure');
    const video = st.mlines.filter((l) => l.type === 'video' && (r.mid === undefined || l.mid === r.mid));
    if (r.mid !== undefined && video.length === 0)
      throw stError(StreamingError.INVALID_ELEMENT, `Invalid element (no video stream ${r.mid})`);
    const streams = video.flatMap((l) => {
      const wanted = layerTargets(r, l.svc === true);
      return Object.keys(wanted).length > 0 ? [{ mid: l.mid, ...wanted }] : [];
    });
    if (streams.length > 0) await ctx.media.command('sfu.configure', { streams });
    return { data: { streaming: 'event', result: { event: 'configured' } } };
  }

  async function stop(ctx: HandleContext): Promise<AsyncAnswer> {
    ctx.setState(undefined);
    await object().leave(who(ctx));
    return { data: status('stopping'), hangup: true };
  }

  function asyncRequest(
    ctx: HandleContext,
    name: S.AsyncRequest,
    body: Record<string, unknown>,
    jsep?: Jsep,
  ): Promise<AsyncAnswer> {
    switch (name) {
      case 'watch':
        return watch(ctx, body, jsep);
      case 'start':
        return start(ctx, jsep);
      case 'pause':
        return pause(ctx);
      case 'switch':
        return switchTo(ctx, body);
      case 'stop':
        return stop(ctx);
      case 'configure':
        return configure(ctx, body);
    }
  }

  async function syncRequest(
    ctx: HandleContext | undefined,
    name: S.SyncRequest,
    body: Record<string, unknown>,
  ): Promise<JanusData> {
    // A mountpoint listens on a relay of its creator's region (none there: the object picks one, after
    // its own checks, so a bad create still answers its own code).
    const placement = name === 'create' && ctx ? await ctx.media.place().catch(() => undefined) : undefined;
    return unwrap(await object().sync(name, body, placement, ctx ? who(ctx) : undefined));
  }

  async function gone(ctx: HandleContext): Promise<void> {
    if (!viewerState(ctx)) return;
    ctx.setState(undefined);
    await object().leave(who(ctx));
  }

  return {
    info: {
      package: PKG,
      name: 'JANUS Streaming plugin',
      author: 'Meetecho s.r.l.',
      description:
        'This is a streaming plugin for Janus, allowing WebRTC peers to watch/listen to pre-recorded files or media generated by gstreamer.',
      version: 8,
      versionString: '0.0.8',
    },
    createHandle() {},
    async handleMessage(ctx, message: PluginMessage): Promise<PluginResult> {
      const body = message.body;
      const name = requestNameCode(body, ST);
      if (typeof name !== 'string') return { kind: 'ok', data: errorEvent(stError(name.code, name.text)) };
      if (S.isSyncRequest(name)) {
        try {
          return { kind: 'ok', data: await syncRequest(ctx, name, body) };
        } catch (err) {
          return { kind: 'ok', data: asEvent(err) };
        }
      }
      if (!S.isAsyncRequest(name))
        return {
          kind: 'ok',
          data: errorEvent(stError(StreamingError.INVALID_REQUEST, `Unknown request '${String(body.request)}'`)),
        };
      return answerLater(ctx, message.transaction, asyncRequest(ctx, name, body, message.jsep), asEvent);
    },
    setupMedia(ctx) {
      const st = viewerState(ctx);
      if (!st) return;
      ctx.setState({ ...st, started: true } satisfies ViewerHandleState);
      ctx.pushEvent(status('started'));
    },
    /** The PeerConnection is gone (stop, hang-up, ICE failure, relay lost): the viewer watches nothing now (Janus tells it nothing more). */
    async hangupMedia(ctx) {
      if (!viewerState(ctx)) return;
      ctx.setState(undefined);
      await object().leave(who(ctx));
    },
    destroyHandle: gone,
    /** As Janus: the viewer is told which substream / temporal layer (SVC: spatial / temporal layer) its m-line now carries. */
    viewerLayer(ctx, e) {
      const st = viewerState(ctx);
      if (!st) return;
      if (st.mlines.some((l) => l.mid === e.mid && l.svc)) {
        for (const result of svcLayerEvents(e)) ctx.pushEvent({ streaming: 'event', result });
        return;
      }
      if (e.substream !== undefined)
        ctx.pushEvent({ streaming: 'event', result: { mid: e.mid, substream: e.substream } });
      if (e.temporal !== undefined) ctx.pushEvent({ streaming: 'event', result: { mid: e.mid, temporal: e.temporal } });
    },
    async handleAdminMessage(request) {
      const name = requestNameCode(request, ST);
      if (typeof name !== 'string') return errorEvent(stError(name.code, name.text));
      if (!S.isSyncRequest(name))
        return errorEvent(stError(StreamingError.INVALID_REQUEST, `Unknown request '${String(request.request)}'`));
      try {
        return await syncRequest(undefined, name, request);
      } catch (err) {
        return asEvent(err);
      }
    },
    queryHandle: (ctx) => viewerInfo(ctx, async (id) => unwrap(await object().watched(id))),
    handleInternal(ctx, call) {
      if (!isStreamingCall(call)) return;
      // Removed by the mountpoints (kick, kick_all, destroy): the viewer's PeerConnection goes.
      if (!viewerState(ctx)) return;
      ctx.setState(undefined);
      ctx.pushEvent(call.data ?? status('stopped'));
      if (ctx.media.hasPeer) ctx.media.close();
    },
  };
}

/**
 * The subscriber streams of a viewer, by the mountpoint's feed key on the relay: every stream, or
 * those `media` names (mids; none or empty: all), minus a kind `offer_audio`/`offer_video`/`offer_data: false` leaves out, as Janus.
 */
function subscription(
  plan: WatchPlan,
  r: { media?: string[]; offer_audio?: boolean; offer_video?: boolean; offer_data?: boolean },
) {
  return plan.streams
    .filter((s) => !r.media?.length || r.media.includes(s.mid))
    .filter((s) => r[`offer_${s.type}`] !== false)
    .map((s) => ({ feedId: plan.id, feedKey: plan.feedKey, feedMid: s.mid, type: s.type, mid: s.mid }));
}

const svcOf = (plan: WatchPlan, feedMid: string) =>
  plan.streams.some((s) => s.mid === feedMid && s.svc) ? { svc: true } : {};
